import uuid

from ninja import Schema

from cloudbroker.brokers.choices import Currency


class BrokerOut(Schema):
    id: uuid.UUID
    name: str
    slug: str
    notification_email: str
    support_email: str
    currency: Currency
    staff_two_factor_required: bool


class BrokerUpdate(Schema):
    name: str | None = None
    notification_email: str | None = None
    support_email: str | None = None
    currency: Currency | None = None
    staff_two_factor_required: bool | None = None
