import datetime as dt
import uuid
from typing import Any

from ninja import Field, Schema

from cloudbroker.organizations.schemas import OrganizationCreate


class ConnectionOut(Schema):
    tenant_id: str
    client_id: str
    has_client_secret: bool
    authority_base: str
    api_base_url: str
    scope: str
    requests_per_minute: int
    sync_enabled: bool
    sync_interval_minutes: int
    last_checked_at: dt.datetime | None
    last_check_ok: bool | None
    last_check_message: str
    last_synced_at: dt.datetime | None

    @staticmethod
    def resolve_has_client_secret(obj) -> bool:
        return bool(obj.client_secret_encrypted)


class ConnectionIn(Schema):
    tenant_id: str
    client_id: str
    client_secret: str | None = Field(None, description="Leave out to keep the stored secret.")
    authority_base: str | None = None
    api_base_url: str | None = None
    scope: str | None = None
    requests_per_minute: int | None = Field(None, ge=1, le=10_000)
    sync_enabled: bool | None = None
    sync_interval_minutes: int | None = Field(None, ge=5, le=10_080)


class ConnectionTestOut(Schema):
    ok: bool
    message: str


class TenantOut(Schema):
    id: uuid.UUID
    customer_id: str
    company_name: str
    default_domain: str
    status: str
    status_message: str
    organization_id: uuid.UUID | None
    admin_user: str
    linked_at: dt.datetime | None
    created_at: dt.datetime
    subscription_count: int = 0
    user_count: int = 0


class TenantRequest(Schema):
    organization: uuid.UUID
    company_name: str
    domain_prefix: str = Field(description="The part before .onmicrosoft.com")
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    address_line1: str
    city: str
    state: str = ""
    postal_code: str
    country: str
    registration_number: str = ""
    culture: str = "en-US"
    language: str = "en"


class DomainCheckOut(Schema):
    domain: str
    available: bool


class LinkIn(Schema):
    organization: uuid.UUID


class CreateAndLinkIn(OrganizationCreate):
    pass


class AutoLinkOut(Schema):
    created: list[dict]
    skipped: list[dict]


class JobRef(Schema):
    job_id: uuid.UUID


# -- NCE subscriptions -------------------------------------------------------------------------------


class AddonIn(Schema):
    offer: str = Field(description="The add-on's item code (product:SKU:term:plan).")
    quantity: Any = None


class BuyIn(Schema):
    """Values are checked by the service, which names the field of each problem."""

    offer: str = Field("", description="Item code, e.g. CFQ7TTC0LH18:0001:P1Y:monthly.")
    quantity: Any = None
    friendly_name: str = ""
    po_number: str = ""
    provision_on: str | None = Field(None, description="YYYY-MM-DD after today: bought on that day at its price.")
    align_end: str = Field("", description='"" (a full term), "calendar" or the id of a subscription to end with.')
    addons: list[AddonIn] = []


class AddonBuyIn(Schema):
    offer: str
    quantity: Any = None


class QuantityIn(Schema):
    quantity: Any = None


class AutoRenewIn(Schema):
    enabled: bool


class RenameIn(Schema):
    friendly_name: str | None = None
    po_number: str | None = None


class PreviewOut(Schema):
    allowed: bool
    message: str
    new_total: dict[str, str] | None = Field(None, description="Sales price per charge after the change.")
    prorated: dict[str, str] | None = Field(None, description="Charged now (positive) or refunded (negative).")
    cycle_end: dt.date | None = None
    deadlines: list[dict[str, Any]] = []
    refund_kind: str | None = None
    can_schedule: bool = False


class NextTermIn(Schema):
    quantity: Any = None
    offer: str = Field("", description="Item code the next term renews to (another term, plan or product).")


class UpgradeOptionOut(Schema):
    item_code: str | None = Field(None, description="Our item code of the target (same term and billing plan).")
    catalog_item_id: str
    title: str
    eligible: bool
    reasons: list[str] = []


class UpgradeIn(Schema):
    offer: str = Field("", description="The target's item code.")
    quantity: Any = Field(None, description="Seats to upgrade; all of them when left out (a full upgrade).")


class QuoteOut(Schema):
    item_code: str
    product: str
    quantity: int
    start: dt.date
    end: dt.date = Field(description="The last day of the first term.")
    unit_price: dict[str, str] | None = Field(None, description="Per seat per charge (roles that see prices).")
    total: dict[str, str] | None = Field(None, description="For the quantity, per charge.")
    price_rule: str | None = Field(None, description="Which price-list rule set the price.")
