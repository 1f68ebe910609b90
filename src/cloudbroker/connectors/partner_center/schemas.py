"""Typed Partner Center payloads (Pydantic 2).

Field names are snake_case here and camelCase on the wire (``populate_by_name``: both are
accepted). Fields Partner Center adds that are not declared are kept (``model_extra``) and sent back
when a resource is written again — a subscription PATCH must carry the whole resource.

Enum-like fields (statuses, billing cycles...) are plain strings: Partner Center adds values over
time, and an unknown value is data, not an error. The constants classes below name the known ones.
Amounts are ``Decimal`` (Partner Center sends numbers and, in reconciliation lines, strings); string
fields take numbers too (``resellerMpnId: 0`` in Microsoft's own samples) and keep them as text;
times are timezone-aware UTC ``datetime`` (a time without zone is read as UTC).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

__all__ = [
    "Address",
    "Availability",
    "BillingCycle",
    "BillingProfile",
    "Cart",
    "CartCheckoutResult",
    "CartLineItem",
    "CartLineItemError",
    "CompanyProfile",
    "CountryValidationRules",
    "CustomTermEndDate",
    "Customer",
    "CustomerCreateRequest",
    "CustomerUser",
    "DomainAvailability",
    "Eligibility",
    "EligibilityError",
    "EligibilityType",
    "ErrorBody",
    "Invoice",
    "LicenseAssignment",
    "LicenseUpdate",
    "Link",
    "NextChargeInstructions",
    "Order",
    "OrderError",
    "OrderLineItem",
    "OrderLineItemProvisioningStatus",
    "OrderStatus",
    "PagedCollection",
    "PartnerCenterModel",
    "PasswordProfile",
    "PriceSheetRow",
    "Pricing",
    "Product",
    "ProvisioningStatus",
    "QuantityProvisioningInformation",
    "ReconciliationLineItem",
    "RefundableQuantity",
    "RefundableQuantityDetail",
    "ScheduledNextTermInstructions",
    "ScheduledProduct",
    "Sku",
    "SubscribedSku",
    "Subscription",
    "SubscriptionEligibility",
    "SubscriptionProvisioningState",
    "SubscriptionProvisioningStatus",
    "SubscriptionRefundOption",
    "SubscriptionStatus",
    "SubscriptionUpdate",
    "TermDuration",
    "TokenResponse",
    "Transition",
    "TransitionEligibility",
    "TransitionEvent",
    "TransitionType",
    "Upgrade",
    "UpgradeTargetOffer",
    "parse_sheet_time",
]


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[datetime | None, BeforeValidator(_blank_to_none), AfterValidator(_utc)]
Amount = Annotated[Decimal | None, BeforeValidator(_blank_to_none)]
Count = Annotated[int | None, BeforeValidator(_blank_to_none)]


class PartnerCenterModel(BaseModel):
    # ``coerce_numbers_to_str``: Partner Center sends some documented string fields as numbers
    # (``mpnId``/``resellerMpnId`` in its reconciliation samples, ids, postal and phone numbers);
    # a number where a string is declared is read as its text rather than failing the whole page.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", coerce_numbers_to_str=True
    )

    @model_validator(mode="before")
    @classmethod
    def _pascal_case_keys(cls, data: Any) -> Any:
        # Partner Center reads names in any case and its documentation writes requests in
        # PascalCase ("CompanyProfile"); read such keys as their camelCase selves.
        if isinstance(data, dict) and any(isinstance(k, str) and k[:1].isupper() for k in data):
            return {
                (k[:1].lower() + k[1:] if isinstance(k, str) and k[1:2].islower() else k): v for k, v in data.items()
            }
        return data

    def to_body(self) -> dict[str, Any]:
        """The JSON body Partner Center expects: camelCase, only the fields that were given."""
        return self.model_dump(by_alias=True, mode="json", exclude_unset=True)


# -- constants ---------------------------------------------------------------------------------------


class SubscriptionStatus(StrEnum):
    NONE = "none"
    ACTIVE = "active"
    PENDING = "pending"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    DISABLED = "disabled"
    DELETED = "deleted"


class BillingCycle(StrEnum):
    MONTHLY = "monthly"
    ANNUAL = "annual"
    TRIENNIAL = "triennial"
    NONE = "none"
    ONE_TIME = "one_time"


class TermDuration(StrEnum):
    ONE_MONTH = "P1M"
    ONE_YEAR = "P1Y"
    THREE_YEARS = "P3Y"


class OrderStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"
    PARTIAL_SUCCESS = "partial success"
    ERROR = "error"
    UNKNOWN = "unknown"


class ProvisioningStatus(StrEnum):
    """An order line's provisioning status (``GET .../orders/{id}/provisioningstatus``)."""

    FULFILLED = "Fulfilled"
    UNFULFILLED = "Unfulfilled"
    PREFULFILLMENT_PENDING = "PrefulfillmentPending"


class SubscriptionProvisioningState(StrEnum):
    """A subscription's provisioning status (``GET .../subscriptions/{id}/provisioningstatus``)."""

    SUCCESS = "success"
    PENDING = "pending"
    FAILED = "failed"
    NONE = "none"


class TransitionType(StrEnum):
    TRANSITION_ONLY = "transition_only"
    TRANSITION_WITH_LICENSE_TRANSFER = "transition_with_license_transfer"


class EligibilityType(StrEnum):
    IMMEDIATE = "immediate"
    SCHEDULED = "scheduled"


def _same(value: str | None, known: str) -> bool:
    """Enum-like strings compared as Partner Center writes them: in any case."""
    return (value or "").lower() == known.lower()


# -- shared pieces -----------------------------------------------------------------------------------


class LinkHeader(PartnerCenterModel):
    key: str
    value: str


class Link(PartnerCenterModel):
    uri: str
    method: str = "GET"
    headers: list[LinkHeader] = Field(default_factory=list)


class ResourceAttributes(PartnerCenterModel):
    object_type: str | None = None
    etag: str | None = None


class Resource(PartnerCenterModel):
    links: dict[str, Link] | None = None
    attributes: ResourceAttributes | None = None


T = TypeVar("T")


class PagedCollection(PartnerCenterModel, Generic[T]):
    """One page of a list. ``total_count`` is the count of *this page* on seek-paged lists."""

    total_count: int | None = None
    items: list[T] = Field(default_factory=list)
    continuation_token: str | None = None
    links: dict[str, Link] | None = None
    attributes: ResourceAttributes | None = None

    @property
    def next_link(self) -> Link | None:
        return (self.links or {}).get("next")


class ErrorBody(PartnerCenterModel):
    """Partner Center's error body (and the throttling body: ``statusCode`` + ``message``)."""

    code: int | str | None = None
    description: str | None = None
    data: list[Any] = Field(default_factory=list)
    source: str | None = None
    message: str | None = None
    error_name: str | None = None
    is_retryable: bool | None = None
    parameters: dict[str, Any] | None = None
    status_code: int | None = None


class TokenResponse(PartnerCenterModel):
    """The token endpoint's answer (client credentials)."""

    token_type: str = Field("Bearer", alias="token_type")
    access_token: str = Field(alias="access_token", repr=False)
    expires_in: int = Field(3599, alias="expires_in")
    ext_expires_in: int | None = Field(None, alias="ext_expires_in")
    scope: str | None = None


# -- customers ---------------------------------------------------------------------------------------


class Address(PartnerCenterModel):
    country: str | None = None
    region: str | None = None
    city: str | None = None
    state: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    postal_code: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None


class CompanyProfile(Resource):
    tenant_id: str | None = None
    domain: str | None = None
    company_name: str | None = None
    address: Address | None = None
    email: str | None = None
    organization_registration_number: str | None = None


class BillingProfile(Resource):
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    culture: str | None = None
    language: str | None = None
    company_name: str | None = None
    default_address: Address | None = None


class UserCredentials(PartnerCenterModel):
    """The new tenant's first administrator, returned once by create customer."""

    user_name: str | None = None
    password: str | None = Field(None, repr=False)


class Customer(Resource):
    id: str
    commerce_id: str | None = None
    company_profile: CompanyProfile | None = None
    billing_profile: BillingProfile | None = None
    relationship_to_partner: str | None = None
    allow_delegated_access: bool | None = None
    custom_domains: list[str] | None = None
    associated_partner_id: str | None = None
    enable_gdap_by_default: bool | None = Field(None, alias="enableGDAPByDefault")
    user_credentials: UserCredentials | None = None

    @property
    def tenant_id(self) -> str:
        return (self.company_profile and self.company_profile.tenant_id) or self.id

    @property
    def domain(self) -> str | None:
        return self.company_profile.domain if self.company_profile else None


class CustomerCreateRequest(PartnerCenterModel):
    """``POST /v1/customers``: a billing profile with its default address and the initial domain."""

    company_profile: CompanyProfile
    billing_profile: BillingProfile
    enable_gdap_by_default: bool | None = Field(None, alias="enableGDAPByDefault")


class CountryValidationRules(Resource):
    """``GET /v1/countryvalidationrules/{iso2}``: a country's address, phone, tax and VAT id rules.

    Microsoft documents flat lists (``supportedStatesList``...); an older sample nests them
    (``states: {"value": [...]}``, ``supportedLanguages``, ``supportedCultures``,
    ``countryCallingCodes``): both are read.
    """

    iso2_code: str | None = None
    default_culture: str | None = None
    is_state_required: bool = False
    supported_states_list: list[str] = Field(default_factory=list)
    supported_languages_list: list[str] = Field(default_factory=list)
    supported_cultures_list: list[str] = Field(default_factory=list)
    is_postal_code_required: bool = False
    postal_code_regex: str | None = None
    is_city_required: bool = False
    is_vat_id_supported: bool = False
    tax_id_format: str | None = None
    tax_id_sample: str | None = None
    vat_id_regex: str | None = None
    phone_number_regex: str | None = None
    is_registration_number_supported: bool | None = None
    is_tax_id_supported: bool = False
    is_tax_id_optional: bool = True
    reseller_agreement_region: str | None = None
    geographic_region: str | None = None
    country_calling_codes_list: list[str] = Field(default_factory=list)

    _NESTED: ClassVar[dict[str, str]] = {
        "states": "supportedStatesList",
        "supportedLanguages": "supportedLanguagesList",
        "supportedCultures": "supportedCulturesList",
        "countryCallingCodes": "countryCallingCodesList",
    }

    @model_validator(mode="before")
    @classmethod
    def _nested_lists(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for nested, flat in cls._NESTED.items():
            for key in (nested, nested[:1].upper() + nested[1:]):
                value = data.pop(key, None)
                if isinstance(value, dict) and flat not in data:
                    data[flat] = value.get("value") or []
        return data


class DomainAvailability(PartnerCenterModel):
    domain: str
    available: bool


# -- catalog -----------------------------------------------------------------------------------------


class ProductType(PartnerCenterModel):
    id: str | None = None
    display_name: str | None = None


class Product(Resource):
    id: str
    title: str | None = None
    description: str | None = None
    product_type: ProductType | None = None
    is_microsoft_product: bool | None = None
    publisher_name: str | None = None


class Sku(Resource):
    id: str
    product_id: str | None = None
    title: str | None = None
    description: str | None = None
    minimum_quantity: int | None = None
    maximum_quantity: int | None = None
    is_trial: bool | None = None
    supported_billing_cycles: list[str] = Field(default_factory=list)
    purchase_prerequisites: list[str] = Field(default_factory=list)
    inventory_variables: list[Any] = Field(default_factory=list)
    provisioning_variables: list[Any] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list)
    dynamic_attributes: dict[str, Any] = Field(default_factory=dict)
    consumption_type: str | None = None

    @property
    def is_addon(self) -> bool:
        return bool(self.dynamic_attributes.get("isAddon"))

    @property
    def prerequisite_skus(self) -> list[str]:
        return list(self.dynamic_attributes.get("prerequisiteSkus") or [])

    @property
    def provisioning_id(self) -> str:
        """The directory (Entra) SKU id of the licences this SKU gives: ``subscribedskus``' ``productSku.id``."""
        return str(self.dynamic_attributes.get("provisioningId") or "")


class Currency(PartnerCenterModel):
    code: str | None = None
    symbol: str | None = None


class RefundOption(PartnerCenterModel):
    sequence_id: int | None = None
    type: str | None = None
    expires_after: str | None = None


class CancellationPolicy(PartnerCenterModel):
    refund_options: list[RefundOption] = Field(default_factory=list)


class Term(PartnerCenterModel):
    id: str | None = None
    duration: str | None = None
    description: str | None = None
    billing_cycle: str | None = None
    cancellation_policies: list[CancellationPolicy] = Field(default_factory=list)


class RenewalOption(PartnerCenterModel):
    renew_to_id: str | None = None
    is_auto_renewable: bool | None = None


class RenewalInstruction(PartnerCenterModel):
    applicable_term_ids: list[str] = Field(default_factory=list)
    renewal_options: list[RenewalOption] = Field(default_factory=list)


class Availability(Resource):
    id: str
    product_id: str | None = None
    sku_id: str | None = None
    catalog_item_id: str | None = None
    default_currency: Currency | None = None
    segment: str | None = None
    country: str | None = None
    is_purchasable: bool | None = None
    is_renewable: bool | None = None
    renewal_instructions: list[RenewalInstruction] = Field(default_factory=list)
    terms: list[Term] = Field(default_factory=list)


def parse_sheet_time(value: str | None, column: str = "date") -> datetime | None:
    """A price-sheet date as UTC ``datetime``: Microsoft writes ``2/1/2019 12:00:00 AM`` (US month
    first, 12-hour clock); ``2/1/2019``, ISO ``2019-02-01`` and ``2019-02-01T00:00:00Z`` are read too.
    Blank is None; anything else raises ``ValueError`` naming the column."""
    text = (value or "").strip()
    if not text:
        return None
    for pattern in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a date (expected e.g. '2/1/2019 12:00:00 AM').") from None
    return _utc(parsed)


class PriceSheetRow(PartnerCenterModel):
    """One row of the license-based price sheet. ``unit_price`` is the partner's cost for the whole
    term; ``erp_price`` the estimated retail price (both ``Decimal``, in ``currency``).

    The dates are kept as Partner Center writes them (``effective_start_date``...); the
    ``effective_start``/``effective_end`` properties read them as dates (``*_at``: as UTC times).
    ``EffectiveEndDate`` is blank while no later price is known.
    """

    product_title: str | None = None
    product_id: str
    sku_id: str
    sku_title: str | None = None
    publisher: str | None = None
    sku_description: str | None = None
    unit_of_measure: str | None = None
    term_duration: str | None = None
    billing_plan: str | None = None
    market: str | None = None
    currency: str | None = None
    unit_price: Amount = None
    pricing_tier_range_min: Amount = None
    pricing_tier_range_max: Amount = None
    effective_start_date: str | None = None
    effective_end_date: str | None = None
    tags: str | None = None
    erp_price: Amount = None
    end_of_sale_date: str | None = None  # the preview column EndofSaleDate

    _COLUMNS: ClassVar[dict[str, str]] = {
        "ProductTitle": "product_title",
        "ProductId": "product_id",
        "SkuId": "sku_id",
        "SkuTitle": "sku_title",
        "Publisher": "publisher",
        "SkuDescription": "sku_description",
        "UnitOfMeasure": "unit_of_measure",
        "TermDuration": "term_duration",
        "BillingPlan": "billing_plan",
        "Market": "market",
        "Currency": "currency",
        "UnitPrice": "unit_price",
        "PricingTierRangeMin": "pricing_tier_range_min",
        "PricingTierRangeMax": "pricing_tier_range_max",
        "EffectiveStartDate": "effective_start_date",
        "EffectiveEndDate": "effective_end_date",
        "Tags": "tags",
        "ERP Price": "erp_price",
        "EndofSaleDate": "end_of_sale_date",
    }

    @classmethod
    def parse_csv(cls, text: str) -> list[PriceSheetRow]:
        """Rows of the price sheet CSV (unknown columns are kept under their own names)."""
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        rows = []
        for raw in reader:
            values = {cls._COLUMNS.get(k, k): v for k, v in raw.items() if k is not None}
            rows.append(cls.model_validate(values))
        return rows

    @property
    def catalog_key(self) -> str:
        return f"{self.product_id}:{self.sku_id}"

    @property
    def effective_start_at(self) -> datetime | None:
        return parse_sheet_time(self.effective_start_date, "EffectiveStartDate")

    @property
    def effective_end_at(self) -> datetime | None:
        return parse_sheet_time(self.effective_end_date, "EffectiveEndDate")

    @property
    def effective_start(self) -> date | None:
        """The first day the price is in effect."""
        moment = self.effective_start_at
        return moment.date() if moment else None

    @property
    def effective_end(self) -> date | None:
        """The last day the price is in effect; None while open-ended."""
        moment = self.effective_end_at
        return moment.date() if moment else None

    @property
    def end_of_sale(self) -> date | None:
        moment = parse_sheet_time(self.end_of_sale_date, "EndofSaleDate")
        return moment.date() if moment else None

    def in_effect_on(self, day: date) -> bool:
        """Whether the row's price applies on ``day`` (start and end days included)."""
        start, end = self.effective_start, self.effective_end
        return (start is None or start <= day) and (end is None or day <= end)


# -- carts and orders --------------------------------------------------------------------------------


class Pricing(PartnerCenterModel):
    list_price: Amount = None
    discounted_price: Amount = None
    prorated_price: Amount = None
    price: Amount = None
    extended_price: Amount = None


class RenewsTo(PartnerCenterModel):
    term_duration: str | None = None


class CartLineItemError(PartnerCenterModel):
    error_code: int | str | None = None
    error_description: str | None = None
    additional_information: dict[str, Any] | None = None


class CartLineItem(PartnerCenterModel):
    """A cart line: ``catalog_item_id`` is ``product:sku:availability``; ``error`` is set by Partner
    Center when the line cannot be bought."""

    id: int | None = None
    catalog_item_id: str
    quantity: int
    billing_cycle: str | None = None
    term_duration: str | None = None
    friendly_name: str | None = None
    currency_code: str | None = None
    participants: list[Any] | None = None
    provisioning_context: dict[str, Any] | None = None
    order_group: str | None = None
    renews_to: RenewsTo | None = None
    promotion_id: str | None = None
    custom_term_end_date: UtcDateTime = None
    attestation_accepted: bool | None = None
    error: CartLineItemError | None = None
    pricing: Pricing | None = None


class Cart(Resource):
    id: str | None = None
    creation_timestamp: UtcDateTime = None
    last_modified_timestamp: UtcDateTime = None
    expiration_timestamp: UtcDateTime = None
    last_modified_user: str | None = None
    status: str | None = None
    line_items: list[CartLineItem] = Field(default_factory=list)
    partner_on_record_attestation_accepted: bool | None = None

    @property
    def line_errors(self) -> list[tuple[CartLineItem, CartLineItemError]]:
        return [(line, line.error) for line in self.line_items if line.error is not None]


class OrderLineItem(Resource):
    line_item_number: int | None = None
    offer_id: str | None = None
    subscription_id: str | None = None
    parent_subscription_id: str | None = None
    friendly_name: str | None = None
    quantity: int | None = None
    custom_term_end_date: UtcDateTime = None
    term_duration: str | None = None
    transaction_type: str | None = None
    partner_id_on_record: str | None = None
    provisioning_context: dict[str, Any] | None = None
    renews_to: RenewsTo | None = None
    pricing: Pricing | None = None


class Order(Resource):
    """An order. ``status`` is ``pending`` until Partner Center has provisioned it; line items carry
    their ``subscription_id`` once it is (``completed``)."""

    id: str
    alternate_id: str | None = None
    reference_customer_id: str | None = None
    billing_cycle: str | None = None
    currency_code: str | None = None
    currency_symbol: str | None = None
    line_items: list[OrderLineItem] = Field(default_factory=list)
    creation_date: UtcDateTime = None
    status: str | None = None
    transaction_type: str | None = None
    total_price: Amount = None

    @property
    def is_completed(self) -> bool:
        return _same(self.status, OrderStatus.COMPLETED)

    @property
    def is_pending(self) -> bool:
        return _same(self.status, OrderStatus.PENDING)


class QuantityProvisioningInformation(PartnerCenterModel):
    quantity: int | None = None
    status: str | None = None


class OrderLineItemProvisioningStatus(Resource):
    """One line of ``GET .../orders/{id}/provisioningstatus`` (``status``: see ``ProvisioningStatus``)."""

    order_line_item_id: int | None = None
    line_item_number: int | None = None
    status: str | None = None
    quantity_provisioning_information: list[QuantityProvisioningInformation] = Field(default_factory=list)

    @property
    def is_fulfilled(self) -> bool:
        return _same(self.status, ProvisioningStatus.FULFILLED)


class OrderError(PartnerCenterModel):
    order_group_id: str | None = None
    code: int | str | None = None
    description: str | None = None


class CartCheckoutResult(PartnerCenterModel):
    orders: list[Order] = Field(default_factory=list)
    order_errors: list[OrderError] = Field(default_factory=list)


# -- subscriptions -----------------------------------------------------------------------------------


class SubscriptionRefundOption(PartnerCenterModel):
    type: str | None = None
    expires_at: UtcDateTime = None


class RefundableQuantityDetail(PartnerCenterModel):
    quantity: int
    allowed_until_date_time: UtcDateTime = None


class RefundableQuantity(PartnerCenterModel):
    total_quantity: int = 0
    details: list[RefundableQuantityDetail] = Field(default_factory=list)


class ScheduledProduct(PartnerCenterModel):
    product_id: str | None = None
    sku_id: str | None = None
    availability_id: str | None = None
    billing_cycle: str | None = None
    term_duration: str | None = None
    promotion_id: str | None = None


class ScheduledNextTermInstructions(PartnerCenterModel):
    """Changes Partner Center applies at the next renewal (quantity, product/SKU/availability with
    term and billing cycle, custom term end date). Any mid-term change removes them."""

    product: ScheduledProduct | None = None
    quantity: int | None = None
    custom_term_end_date: UtcDateTime = None


class NextChargeInstructions(PartnerCenterModel):
    """A billing-plan change waiting for the next charge cycle."""

    product: ScheduledProduct | None = None
    quantity: int | None = None


class SubscriptionProvisioningStatus(Resource):
    """``GET .../subscriptions/{id}/provisioningstatus`` (``status``: see ``SubscriptionProvisioningState``)."""

    sku_id: str | None = None
    status: str | None = None
    quantity: int | None = None
    end_date: UtcDateTime = None

    @property
    def is_provisioned(self) -> bool:
        return _same(self.status, SubscriptionProvisioningState.SUCCESS)


class EligibilityError(PartnerCenterModel):
    code: int | str | None = None
    description: str | None = None


class Eligibility(PartnerCenterModel):
    is_eligible: bool = False
    transition_type: str | None = None
    errors: list[EligibilityError] = Field(default_factory=list)


class SubscriptionEligibility(PartnerCenterModel):
    """An existing subscription of the target offer, and whether it can take the seats."""

    is_eligible: bool = False
    subscription_id: str | None = None
    subscription_friendly_name: str | None = None
    subscription_term_duration: str | None = None
    subscription_billing_cycle: str | None = None
    errors: list[EligibilityError] = Field(default_factory=list)


class TransitionEligibility(Resource):
    """One offer a subscription can transition (upgrade) to."""

    operation_id: str | None = None
    catalog_item_id: str | None = None
    title: str | None = None
    description: str | None = None
    quantity: int | None = None
    subscription_eligibilities: list[SubscriptionEligibility] = Field(default_factory=list)
    eligibilities: list[Eligibility] = Field(default_factory=list)

    def is_eligible(self, transition_type: str = TransitionType.TRANSITION_ONLY) -> bool:
        return any(e.is_eligible and _same(e.transition_type, transition_type) for e in self.eligibilities)


class TransitionEvent(PartnerCenterModel):
    name: str | None = None
    status: str | None = None
    timestamp: UtcDateTime = None


class Transition(Resource):
    """``POST``/``GET .../subscriptions/{id}/transitions``: an upgrade. A full upgrade keeps the
    subscription (``to_subscription_id`` is the source); a partial one makes a new subscription."""

    id: str | None = None
    from_catalog_item_id: str | None = None
    from_subscription_id: str | None = None
    to_catalog_item_id: str
    to_subscription_id: str | None = None
    quantity: int | None = None
    term_duration: str | None = None
    billing_cycle: str | None = None
    transition_type: str | None = None
    status: str | None = None
    creation_date: UtcDateTime = None
    events: list[TransitionEvent] = Field(default_factory=list)


class UpgradeTargetOffer(PartnerCenterModel):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    minimum_quantity: int | None = None
    maximum_quantity: int | None = None


class Upgrade(Resource):
    """``GET .../subscriptions/{id}/upgrades``: an offer the subscription may be upgraded to."""

    target_offer: UpgradeTargetOffer | None = None
    upgrade_type: str | None = None
    is_eligible: bool = False
    quantity: int | None = None
    eligibility_errors: list[EligibilityError] = Field(default_factory=list)


class CustomTermEndDate(PartnerCenterModel):
    """An allowed ``customTermEndDate``: a calendar-month end or another subscription's end."""

    allowed_custom_term_end_date_type: str | None = None
    allowed_custom_term_end_date: UtcDateTime = None
    coterm_subscription_ids: list[str] = Field(default_factory=list)


class Subscription(Resource):
    """A subscription as Partner Center returns it; also the body of its PATCH (the whole resource)."""

    id: str
    entitlement_id: str | None = None
    offer_id: str | None = None
    offer_name: str | None = None
    friendly_name: str | None = None
    product_type: ProductType | None = None
    quantity: int | None = None
    unit_type: str | None = None
    parent_subscription_id: str | None = None
    consumption_type: str | None = None
    creation_date: UtcDateTime = None
    effective_start_date: UtcDateTime = None
    commitment_end_date: UtcDateTime = None
    commitment_end_date_time: UtcDateTime = None
    cancellation_allowed_until_date: UtcDateTime = None
    billing_cycle_end_date: UtcDateTime = None
    billing_cycle_end_date_time: UtcDateTime = None
    status: str | None = None
    auto_renew_enabled: bool | None = None
    billing_type: str | None = None
    billing_cycle: str | None = None
    has_purchasable_addons: bool | None = None
    is_trial: bool | None = None
    is_microsoft_product: bool | None = None
    publisher_name: str | None = None
    actions: list[str] | None = None
    term_duration: str | None = None
    renewal_term_duration: str | None = None
    refund_options: list[SubscriptionRefundOption] | None = None
    partner_id: str | None = None
    suspension_reasons: list[str] | None = None
    contract_type: str | None = None
    promotion_id: str | None = None
    migrated_from_subscription_id: str | None = None
    refundable_quantity: RefundableQuantity | None = None
    scheduled_next_term_instructions: ScheduledNextTermInstructions | None = None
    next_charge_instructions: NextChargeInstructions | None = None
    order_id: str | None = None
    attention_needed: bool | None = None
    attention_reason: str | None = None
    action_taken: bool | None = None
    product_order_id: str | None = None

    def with_changes(self, update: SubscriptionUpdate) -> Subscription:
        """This subscription with ``update`` applied: the full body of the PATCH that makes it."""
        changes = {
            name: getattr(update, name)
            for name in SubscriptionUpdate.model_fields
            if name != "clear_scheduled_next_term_instructions" and getattr(update, name) is not None
        }
        if update.clear_scheduled_next_term_instructions:
            if update.scheduled_next_term_instructions is not None:
                raise ValueError("Set scheduled next-term instructions or clear them, not both.")
            changes["scheduled_next_term_instructions"] = None  # sent as null: Partner Center removes them
        if not changes:
            return self
        return self.model_copy(update=changes)

    @property
    def is_pending(self) -> bool:
        return _same(self.status, SubscriptionStatus.PENDING)

    @property
    def refundable_seats(self) -> int:
        """Seats that can still be taken back (added within the last 7 days)."""
        return self.refundable_quantity.total_quantity if self.refundable_quantity else 0


class SubscriptionUpdate(PartnerCenterModel):
    """What to change on a subscription; ``quantity`` is the new total, not a difference.

    ``term_duration`` (upward only: P1M -> P1Y/P3Y, P1Y -> P3Y) changes the term at once, with
    ``billing_cycle`` if given; ``billing_cycle`` alone changes the billing plan from the next
    charge cycle (Partner Center shows it as ``next_charge_instructions``; only P3Y monthly <->
    annual). ``scheduled_next_term_instructions`` apply at renewal;
    ``clear_scheduled_next_term_instructions`` removes them.
    """

    quantity: int | None = Field(default=None, ge=0)
    friendly_name: str | None = None
    status: str | None = None
    auto_renew_enabled: bool | None = None
    term_duration: str | None = None
    billing_cycle: str | None = None
    scheduled_next_term_instructions: ScheduledNextTermInstructions | None = None
    clear_scheduled_next_term_instructions: bool = False


# -- users and licences ------------------------------------------------------------------------------


class PasswordProfile(PartnerCenterModel):
    password: str | None = Field(None, repr=False)
    force_change_password: bool | None = None


class CustomerUser(Resource):
    """A user of a customer tenant. To create one: ``user_principal_name``, ``display_name``,
    ``first_name``, ``last_name``, ``usage_location`` (needed before licences) and a password."""

    id: str | None = None
    user_principal_name: str
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    usage_location: str | None = None
    immutable_id: str | None = None
    password_profile: PasswordProfile | None = None
    last_directory_sync_time: UtcDateTime = None
    user_domain_type: str | None = None
    state: str | None = None
    soft_deletion_time: UtcDateTime = None


class ProductSku(PartnerCenterModel):
    id: str
    name: str | None = None
    sku_part_number: str | None = None
    target_type: str | None = None
    license_group_id: str | None = None


class ServicePlan(PartnerCenterModel):
    id: str | None = None
    display_name: str | None = None
    service_name: str | None = None
    capability_status: str | None = None
    target_type: str | None = None


class SubscribedSku(Resource):
    """Licences of one directory SKU in a customer tenant; ``product_sku.id`` is the Entra SKU GUID."""

    available_units: int = 0
    active_units: int = 0
    consumed_units: int = 0
    suspended_units: int = 0
    total_units: int = 0
    warning_units: int = 0
    product_sku: ProductSku
    service_plans: list[ServicePlan] = Field(default_factory=list)
    capability_status: str | None = None


class LicenseAssignment(PartnerCenterModel):
    sku_id: str
    excluded_plans: list[str] | None = None


class LicenseUpdate(Resource):
    """``POST .../users/{id}/licenseupdates``: licences from one licence group at a time."""

    licenses_to_assign: list[LicenseAssignment] | None = None
    licenses_to_remove: list[str] | None = None
    license_warnings: list[Any] | None = None


# -- billing -----------------------------------------------------------------------------------------


class InvoiceDetail(Resource):
    invoice_line_item_type: str | None = None
    billing_provider: str | None = None


class Invoice(Resource):
    id: str
    invoice_date: UtcDateTime = None
    billing_period_start_date: UtcDateTime = None
    billing_period_end_date: UtcDateTime = None
    total_charges: Amount = None
    paid_amount: Amount = None
    currency_code: str | None = None
    currency_symbol: str | None = None
    pdf_download_link: str | None = None
    invoice_details: list[InvoiceDetail] = Field(default_factory=list)
    amendments: list[Any] = Field(default_factory=list)
    document_type: str | None = None
    amends_of: str | None = None
    invoice_type: str | None = None
    tax_receipts: list[Any] = Field(default_factory=list)
    status: str | None = None


class ReconciliationLineItem(Resource):
    """A new-commerce billed or unbilled reconciliation line (numbers may arrive as strings)."""

    partner_id: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    customer_domain_name: str | None = None
    customer_country: str | None = None
    invoice_number: str | None = None
    mpn_id: str | None = None
    reseller_mpn_id: str | None = None
    order_id: str | None = None
    order_date: UtcDateTime = None
    product_id: str | None = None
    sku_id: str | None = None
    availability_id: str | None = None
    product_name: str | None = None
    sku_name: str | None = None
    product_qualifiers: list[str] = Field(default_factory=list)
    charge_type: str | None = None
    unit_price: Amount = None
    effective_unit_price: Amount = None
    unit_type: str | None = None
    quantity: Amount = None
    subtotal: Amount = None
    tax_total: Amount = None
    total_for_customer: Amount = None
    currency: str | None = None
    publisher_name: str | None = None
    publisher_id: str | None = None
    subscription_description: str | None = None
    subscription_id: str | None = None
    subscription_start_date: UtcDateTime = None
    subscription_end_date: UtcDateTime = None
    charge_start_date: UtcDateTime = None
    charge_end_date: UtcDateTime = None
    term_and_billing_cycle: str | None = None
    alternate_id: str | None = None
    reference_id: str | None = None
    price_adjustment_description: str | None = None
    discount_details: str | None = None
    pricing_currency: str | None = None
    pc_to_bc_exchange_rate: Amount = Field(None, alias="pcToBCExchangeRate")
    pc_to_bc_exchange_rate_date: UtcDateTime = Field(None, alias="pcToBCExchangeRateDate")
    billable_quantity: Amount = None
    meter_description: str | None = None
    billing_frequency: str | None = None
    reservation_order_id: str | None = None
    invoice_line_item_type: str | None = None
    billing_provider: str | None = None
    promotion_id: str | None = None
    credit_reason_code: str | None = None
