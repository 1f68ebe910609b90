from ninja import Router

from cloudbroker.brokers import services
from cloudbroker.brokers.models import Broker
from cloudbroker.brokers.schemas import BrokerOut, BrokerUpdate
from cloudbroker.core.api import actor_of, requires
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404

router = Router(tags=["broker"])


@router.get("/", response=BrokerOut, summary="The broker's reseller properties")
@requires(Perm.BROKER_VIEW)
def get_broker(request):
    actor = actor_of(request)
    return get_visible_or_404(Broker.objects, actor, actor.broker_id)


@router.patch("/", response=BrokerOut, summary="Change the reseller properties")
@requires(Perm.BROKER_CHANGE)
def update_broker(request, payload: BrokerUpdate):
    actor = actor_of(request)
    broker = get_visible_or_404(Broker.objects, actor, actor.broker_id)
    return services.update_broker_properties(actor=actor, broker=broker, data=payload.dict(exclude_unset=True))
