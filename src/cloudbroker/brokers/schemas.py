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
    market: str
    offer_monthly_billing: bool
    offer_annual_billing: bool
    offer_triennial_billing: bool
    offer_term_p1m: bool
    offer_term_p1y: bool
    offer_term_p3y: bool


class BrokerUpdate(Schema):
    name: str | None = None
    notification_email: str | None = None
    support_email: str | None = None
    currency: Currency | None = None
    staff_two_factor_required: bool | None = None
    market: str | None = None
    offer_monthly_billing: bool | None = None
    offer_annual_billing: bool | None = None
    offer_triennial_billing: bool | None = None
    offer_term_p1m: bool | None = None
    offer_term_p1y: bool | None = None
    offer_term_p3y: bool | None = None
