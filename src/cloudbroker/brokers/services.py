"""Reseller properties."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from cloudbroker.brokers.models import Broker
from cloudbroker.core.actors import Actor
from cloudbroker.core.audit import record_event, snapshot
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import lock_or_404
from cloudbroker.core.validation import validate_model

__all__ = ["BILLING_CYCLE_FIELDS", "BROKER_PROPERTY_FIELDS", "update_broker_properties"]

BILLING_CYCLE_FIELDS = (
    "offer_monthly_billing",
    "offer_annual_billing",
    "offer_triennial_billing",
    "offer_term_p1m",
    "offer_term_p1y",
    "offer_term_p3y",
)
BROKER_PROPERTY_FIELDS = (
    "name",
    "notification_email",
    "support_email",
    "currency",
    "market",
    "staff_two_factor_required",
    *BILLING_CYCLE_FIELDS,
)


def update_broker_properties(*, actor: Actor, broker: Broker, data: dict[str, Any]) -> Broker:
    actor.require(Perm.BROKER_CHANGE)
    with transaction.atomic():
        broker = lock_or_404(Broker.objects, broker.pk)
        before = snapshot(broker, BROKER_PROPERTY_FIELDS)
        for key, value in data.items():
            if key in BROKER_PROPERTY_FIELDS:
                setattr(broker, key, value)
        validate_model(broker, fields=BROKER_PROPERTY_FIELDS)
        after = snapshot(broker, BROKER_PROPERTY_FIELDS)
        if after != before:
            broker.save()
            record_event(actor=actor, action="broker.properties_updated", obj=broker, before=before, after=after)
    return broker
