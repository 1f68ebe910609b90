from ninja import Router

from cloudbroker.brokers import services
from cloudbroker.brokers.models import Broker
from cloudbroker.brokers.schemas import BrokerOut, BrokerUpdate
from cloudbroker.core.api import actor_of
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404

router = Router(tags=["broker"])


@router.get("/", response=BrokerOut, summary="The broker's reseller properties")
def get_broker(request):
    actor = actor_of(request)
    actor.require(Perm.BROKER_VIEW)
    return get_visible_or_404(Broker.objects, actor, actor.broker_id)


@router.patch("/", response=BrokerOut, summary="Change the reseller properties")
def update_broker(request, payload: BrokerUpdate):
    actor = actor_of(request)
    broker = get_visible_or_404(Broker.objects, actor, actor.broker_id)
    return services.update_broker_properties(actor=actor, broker=broker, data=payload.dict(exclude_unset=True))
