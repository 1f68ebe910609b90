from ninja import Router

from cloudbroker.accounts.roles import Perm
from cloudbroker.brokers import services
from cloudbroker.brokers.models import Broker
from cloudbroker.brokers.schemas import BrokerOut, BrokerUpdate
from cloudbroker.core.api import actor_of, get_visible

router = Router(tags=["broker"])


@router.get("/", response=BrokerOut, summary="The broker's reseller properties")
def get_broker(request):
    actor = actor_of(request)
    actor.require(Perm.BROKER_VIEW)
    return get_visible(Broker.objects, actor, actor.broker_id)


@router.patch("/", response=BrokerOut, summary="Change the reseller properties")
def update_broker(request, payload: BrokerUpdate):
    actor = actor_of(request)
    broker = get_visible(Broker.objects, actor, actor.broker_id)
    return services.update_broker_properties(actor=actor, broker=broker, data=payload.dict(exclude_unset=True))
