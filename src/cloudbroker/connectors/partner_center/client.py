"""The Partner Center REST client (httpx + MSAL).

It talks to Microsoft (``https://api.partnercenter.microsoft.com``) and to the emulator alike:
only the base URL and the token authority differ.

Every call carries ``Authorization``, ``Accept``, ``MS-RequestId``, ``MS-CorrelationId``,
``MS-Contract-Version``, ``X-Locale`` and ``User-Agent: cloudbroker/<version>``. Reads get a new
request id; writes take the caller's ``request_id`` (the outbox keeps one per message) so that
Partner Center treats a second send as the same request.

Retries (see :class:`RetryPolicy`): 429, 500, 502, 503, 504, timeouts and broken connections are
retried with back-off, never before ``Retry-After``, within a bounded number of attempts and
time. Reads are always retried; writes only when the caller gave a ``request_id`` (the same id
is sent again, which makes the write idempotent). Before every send the client waits out the
partner's pause (a 429 pauses every worker of the partner, through the :class:`PauseStore`) and
its rate limiter.
"""

from __future__ import annotations

import json as jsonlib
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from cloudbroker.connectors.partner_center.auth import DEFAULT_SCOPE, TokenProvider
from cloudbroker.connectors.partner_center.errors import (
    PartnerCenterError,
    PartnerCenterInvalidRequest,
    PartnerCenterThrottled,
    PartnerCenterTimeout,
    PartnerCenterTransportError,
    PartnerCenterUnavailable,
    error_from_response,
)
from cloudbroker.connectors.partner_center.retry import RetryPolicy, parse_retry_after
from cloudbroker.connectors.partner_center.schemas import (
    Availability,
    BillingProfile,
    Cart,
    CartCheckoutResult,
    CartLineItem,
    CompanyProfile,
    CountryValidationRules,
    Customer,
    CustomerCreateRequest,
    CustomerUser,
    CustomTermEndDate,
    DomainAvailability,
    Invoice,
    LicenseAssignment,
    LicenseUpdate,
    Order,
    OrderLineItemProvisioningStatus,
    PagedCollection,
    PriceSheetRow,
    Product,
    ReconciliationLineItem,
    ResourceAttributes,
    ScheduledNextTermInstructions,
    Sku,
    SubscribedSku,
    Subscription,
    SubscriptionProvisioningStatus,
    SubscriptionUpdate,
    Transition,
    TransitionEligibility,
    Upgrade,
)
from cloudbroker.connectors.partner_center.throttle import MemoryPauseStore, NoRateLimit, PauseStore, RateLimiter

__all__ = ["DEFAULT_BASE_URL", "USER_AGENT", "Attempt", "ClientStats", "PartnerCenterClient"]

DEFAULT_BASE_URL = "https://api.partnercenter.microsoft.com"
PRICING_BASE_URL = "https://api.partner.microsoft.com"


def _version() -> str:
    try:
        return metadata.version("cloudbroker")
    except metadata.PackageNotFoundError:
        return "0"


USER_AGENT = f"cloudbroker/{_version()}"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Attempt:
    """One send of a call, as given to the ``on_attempt`` hook."""

    method: str
    path: str
    attempt: int  # 1 for the first send
    request_id: str
    correlation_id: str
    status: int | None  # HTTP status, None when no answer came
    error: PartnerCenterError | None
    wait: float | None  # seconds before the next send; None when there is none


@dataclass
class ClientStats:
    """Counters since the client was made (for tests and metrics)."""

    sends: int = 0  # HTTP requests sent to the API
    retries: int = 0  # sends that repeated an earlier one
    throttled: int = 0  # 429 answers
    paused_seconds: float = 0.0  # time spent waiting for a partner's pause or the rate limiter
    backoff_seconds: float = 0.0  # time spent waiting between attempts
    by_status: dict[int, int] = field(default_factory=dict)


class PartnerCenterClient:
    """A client for one partner (one app registration).

    ``partner_key`` names the partner in the pause store and rate limiter (default: the client
    id); give every client of the same partner the same key and the same stores so they share
    pauses. ``sleep`` and ``clock`` are injectable so tests can run throttling without waiting.
    """

    def __init__(
        self,
        *,
        authority: str,
        client_id: str,
        client_secret: str,
        base_url: str = DEFAULT_BASE_URL,
        scope: str = DEFAULT_SCOPE,
        partner_key: str | None = None,
        pause_store: PauseStore | None = None,
        rate_limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        timeout: float | None = None,
        locale: str = "en-US",
        verify: Any = True,
        pricing_base_url: str | None = None,
        application_name: str | None = None,
        token_provider: TokenProvider | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        on_attempt: Callable[[Attempt], None] | None = None,
    ) -> None:
        if timeout is not None:  # one figure for reads and writes
            read_timeout = timeout
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"The Partner Center address must be an http(s) URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.partner_key = partner_key or client_id
        self.pause_store: PauseStore = pause_store if pause_store is not None else MemoryPauseStore()
        self.rate_limiter: RateLimiter = rate_limiter if rate_limiter is not None else NoRateLimit()
        self.retry = retry or RetryPolicy()
        self.locale = locale
        self.sleep = sleep
        self.clock = clock
        self.on_attempt = on_attempt
        self.stats = ClientStats()
        self.timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        self.tokens = token_provider or TokenProvider(
            client_id=client_id,
            client_secret=client_secret,
            authority=authority,
            scope=scope,
            timeout=self.timeout,
            verify=verify,
            clock=clock,
        )
        if pricing_base_url is None:
            pricing_base_url = PRICING_BASE_URL if parts.hostname == urlsplit(DEFAULT_BASE_URL).hostname else base_url
        self.pricing_base_url = pricing_base_url.rstrip("/")
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, "MS-Contract-Version": "v1"}
        if application_name:
            headers["MS-PartnerCenter-Application"] = application_name
        self._http = httpx.Client(base_url=self.base_url, timeout=self.timeout, verify=verify, headers=headers)

    def __enter__(self) -> PartnerCenterClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        self.tokens.close()

    def __repr__(self) -> str:
        return f"PartnerCenterClient(base_url={self.base_url!r}, partner_key={self.partner_key!r})"

    # -- customers -----------------------------------------------------------------------------------

    def create_customer(
        self, customer: CustomerCreateRequest | Mapping[str, Any], *, request_id: uuid.UUID | None = None
    ) -> Customer:
        """Create a customer tenant (``userCredentials`` of its first admin come back only here)."""
        body = _body(customer, CustomerCreateRequest)
        return self._call(Customer, "POST", "/v1/customers", json=body, request_id=request_id)

    def get_customer(self, customer_id: str) -> Customer:
        return self._call(Customer, "GET", f"/v1/customers/{_seg(customer_id)}")

    def get_company_profile(self, customer_id: str) -> CompanyProfile:
        """``GET /v1/customers/{id}/profiles/company``: the tenant's company name, domain, address, e-mail."""
        return self._call(CompanyProfile, "GET", f"/v1/customers/{_seg(customer_id)}/profiles/company")

    def get_billing_profile(self, customer_id: str) -> BillingProfile:
        """``GET /v1/customers/{id}/profiles/billing``: contact name, e-mail, culture and billing address."""
        return self._call(BillingProfile, "GET", f"/v1/customers/{_seg(customer_id)}/profiles/billing")

    def get_country_validation_rules(self, country: str) -> CountryValidationRules:
        """``GET /v1/countryvalidationrules/{iso2}``: states, postal code, phone, tax and VAT id rules."""
        return self._call(CountryValidationRules, "GET", f"/v1/countryvalidationrules/{_seg(country.upper())}")

    def list_customers(
        self,
        *,
        page_size: int | None = None,
        company_name_starts_with: str | None = None,
        domain_starts_with: str | None = None,
    ) -> Iterator[Customer]:
        """Every customer of the partner, page after page (a generator: pages are read as needed)."""
        params: dict[str, Any] = {}
        if page_size:
            params["size"] = page_size
        if company_name_starts_with and domain_starts_with:
            raise ValueError("Partner Center filters customers on one field at a time.")
        if company_name_starts_with or domain_starts_with:
            field_name = "CompanyName" if company_name_starts_with else "Domain"
            value = company_name_starts_with or domain_starts_with
            params["filter"] = jsonlib.dumps({"Field": field_name, "Value": value, "Operator": "starts_with"})
        return self._pages(Customer, "/v1/customers", params)

    def delete_customer(self, customer_id: str, *, request_id: uuid.UUID | None = None) -> None:
        """Delete a customer (the integration sandbox only: production ends the relationship instead)."""
        self._request("DELETE", f"/v1/customers/{_seg(customer_id)}", request_id=request_id)

    def check_domain(self, domain: str) -> DomainAvailability:
        domain = domain.strip().lower()
        response = self._request("HEAD", f"/v1/domains/{_seg(domain)}", accept=(404,))
        return DomainAvailability(domain=domain, available=response.status_code == 404)

    def domain_available(self, domain: str) -> bool:
        """True when no tenant uses ``domain`` (Partner Center answers 404), False when taken (200)."""
        return self.check_domain(domain).available

    # -- catalog -------------------------------------------------------------------------------------

    def list_products(
        self, country: str, *, target_view: str = "OnlineServices", target_segment: str | None = None
    ) -> list[Product]:
        params = {"country": country, "targetView": target_view}
        if target_segment:
            params["targetSegment"] = target_segment
        return list(self._pages(Product, "/v1/products", params))

    def get_product(self, product_id: str, country: str) -> Product:
        return self._call(Product, "GET", f"/v1/products/{_seg(product_id)}", params={"country": country})

    def list_skus(self, product_id: str, country: str, *, target_segment: str | None = None) -> list[Sku]:
        params = {"country": country}
        if target_segment:
            params["targetSegment"] = target_segment
        return list(self._pages(Sku, f"/v1/products/{_seg(product_id)}/skus", params))

    def get_sku(self, product_id: str, sku_id: str, country: str) -> Sku:
        path = f"/v1/products/{_seg(product_id)}/skus/{_seg(sku_id)}"
        return self._call(Sku, "GET", path, params={"country": country})

    def list_availabilities(
        self, product_id: str, sku_id: str, country: str, *, target_segment: str | None = None
    ) -> list[Availability]:
        """The purchasable forms of a SKU; re-read one shortly before buying (ids change over time)."""
        params = {"country": country}
        if target_segment:
            params["targetSegment"] = target_segment
        path = f"/v1/products/{_seg(product_id)}/skus/{_seg(sku_id)}/availabilities"
        return list(self._pages(Availability, path, params))

    def get_availability(self, product_id: str, sku_id: str, availability_id: str, country: str) -> Availability:
        path = f"/v1/products/{_seg(product_id)}/skus/{_seg(sku_id)}/availabilities/{_seg(availability_id)}"
        return self._call(Availability, "GET", path, params={"country": country})

    def get_price_sheet(
        self, market: str, *, view: str = "updatedlicensebased", timeline: str = "current", month: str | None = None
    ) -> list[PriceSheetRow]:
        """The price sheet of a market (CSV): partner cost per term (``unit_price``) and ERP.

        ``timeline``: ``current`` (prices in effect now), ``history`` (those in effect during
        ``month``, ``YYYYMM``, superseded ones included) or ``future`` (scheduled changes; Partner
        Center answers 404 when there are none, which is read as no rows).
        Microsoft serves it from ``api.partner.microsoft.com`` (App+User tokens only); the emulator
        from its own address.
        """
        timeline = timeline.lower()
        if timeline not in ("current", "history", "future"):
            raise PartnerCenterInvalidRequest(
                f"The price sheet timeline must be current, history or future, not {timeline!r}.", field="timeline"
            )
        if timeline == "history" and not (month and len(month) == 6 and month.isdigit()):
            raise PartnerCenterInvalidRequest(
                f"The price sheet history needs month as YYYYMM (e.g. 202501), not {month!r}.", field="month"
            )
        path = (
            f"{self.pricing_base_url}/v1.0/sales/pricesheets(Market='{market.upper()}',PricesheetView='{view}')/$value"
        )
        params = {"timeline": timeline}
        if month:
            params["month"] = month
        accept = (404,) if timeline == "future" else ()
        response = self._request(
            "GET", path, params=params, headers={"Accept": "text/csv, application/json"}, accept=accept
        )
        if response.status_code == 404:
            return []  # no future changes
        return PriceSheetRow.parse_csv(response.text)

    # -- carts and orders ----------------------------------------------------------------------------

    def create_cart(
        self,
        customer_id: str,
        cart: Cart | Mapping[str, Any] | Sequence[CartLineItem],
        *,
        request_id: uuid.UUID | None = None,
    ) -> Cart:
        """Create a cart. Lines Partner Center cannot sell come back with ``error`` set (see ``line_errors``)."""
        if isinstance(cart, Sequence) and not isinstance(cart, (str, bytes)):
            cart = Cart(line_items=list(cart))
        body = _body(cart, Cart)
        return self._call(Cart, "POST", f"/v1/customers/{_seg(customer_id)}/carts", json=body, request_id=request_id)

    def get_cart(self, customer_id: str, cart_id: str) -> Cart:
        return self._call(Cart, "GET", f"/v1/customers/{_seg(customer_id)}/carts/{_seg(cart_id)}")

    def checkout_cart(
        self, customer_id: str, cart_id: str, *, request_id: uuid.UUID | None = None
    ) -> CartCheckoutResult:
        """Buy a cart. The orders usually come back ``pending`` without subscription ids: provisioning
        is asynchronous. Read the order again (``get_order``) until it is ``completed``, or list its
        subscriptions (``list_subscriptions(order_id=...)``, ``pending`` until provisioned)."""
        path = f"/v1/customers/{_seg(customer_id)}/carts/{_seg(cart_id)}/checkout"
        return self._call(CartCheckoutResult, "POST", path, request_id=request_id)

    def get_order(self, customer_id: str, order_id: str) -> Order:
        return self._call(Order, "GET", f"/v1/customers/{_seg(customer_id)}/orders/{_seg(order_id)}")

    def list_orders(self, customer_id: str) -> list[Order]:
        return list(self._pages(Order, f"/v1/customers/{_seg(customer_id)}/orders"))

    def get_order_provisioning_status(self, customer_id: str, order_id: str) -> list[OrderLineItemProvisioningStatus]:
        """Each order line's provisioning: ``PrefulfillmentPending``/``Unfulfilled``, then ``Fulfilled``."""
        path = f"/v1/customers/{_seg(customer_id)}/orders/{_seg(order_id)}/provisioningstatus"
        return list(self._pages(OrderLineItemProvisioningStatus, path))

    # -- subscriptions -------------------------------------------------------------------------------

    def list_subscriptions(self, customer_id: str, *, order_id: str | None = None) -> list[Subscription]:
        params = {"order_id": order_id} if order_id else None
        return list(self._pages(Subscription, f"/v1/customers/{_seg(customer_id)}/subscriptions", params))

    def get_subscription(self, customer_id: str, subscription_id: str) -> Subscription:
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription_id)}"
        return self._call(Subscription, "GET", path)

    def get_subscription_provisioning_status(
        self, customer_id: str, subscription_id: str
    ) -> SubscriptionProvisioningStatus:
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription_id)}/provisioningstatus"
        return self._call(SubscriptionProvisioningStatus, "GET", path)

    def list_custom_term_end_dates(
        self,
        customer_id: str,
        term_duration: str,
        *,
        term_start_date: str | None = None,
        target_coterm_subscription_id: str | None = None,
    ) -> list[CustomTermEndDate]:
        """The ``customTermEndDate`` values a new subscription of ``term_duration`` may take."""
        params: dict[str, Any] = {"term_duration": term_duration}
        if term_start_date:
            params["term_start_date"] = term_start_date
        if target_coterm_subscription_id:
            params["target_coterm_subscription_id"] = target_coterm_subscription_id
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/customTermEndDates"
        return list(self._pages(CustomTermEndDate, path, params))

    # -- transitions (upgrades) ----------------------------------------------------------------------

    def list_transition_eligibilities(
        self, customer_id: str, subscription_id: str, eligibility_type: str = "immediate"
    ) -> list[TransitionEligibility]:
        """The offers a subscription may transition to: now (``immediate``) or at renewal (``scheduled``)."""
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription_id)}/transitionEligibilities"
        return list(self._pages(TransitionEligibility, path, {"eligibilityType": eligibility_type}))

    def create_transition(
        self,
        customer_id: str,
        subscription_id: str,
        transition: Transition | Mapping[str, Any],
        *,
        request_id: uuid.UUID | None = None,
    ) -> Transition:
        """Upgrade a subscription (all seats: the same subscription; some: a new one). The answer
        says the conversion has started; ``list_transitions`` shows when it is done."""
        body = _body(transition, Transition)
        body.setdefault("fromSubscriptionId", subscription_id)
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription_id)}/transitions"
        return self._call(Transition, "POST", path, json=body, request_id=request_id)

    def list_transitions(
        self, customer_id: str, subscription_id: str, *, operation_id: str | None = None
    ) -> list[Transition]:
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription_id)}/transitions"
        return list(self._pages(Transition, path, {"operationId": operation_id} if operation_id else None))

    def list_upgrades(self, customer_id: str, subscription_id: str) -> list[Upgrade]:
        """The upgrade targets in the older ``Upgrade`` shape (``transitionEligibilities`` is the newer)."""
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription_id)}/upgrades"
        return list(self._pages(Upgrade, path))

    # -- subscription changes ------------------------------------------------------------------------

    def set_scheduled_next_term_instructions(
        self,
        customer_id: str,
        subscription_id: str,
        instructions: ScheduledNextTermInstructions | Mapping[str, Any],
        *,
        current: Subscription | None = None,
        request_id: uuid.UUID | None = None,
    ) -> Subscription:
        """Schedule changes for the next renewal (needs an active, auto-renewing subscription)."""
        if not isinstance(instructions, ScheduledNextTermInstructions):
            instructions = ScheduledNextTermInstructions.model_validate(dict(instructions))
        update = SubscriptionUpdate(scheduled_next_term_instructions=instructions)
        return self.update_subscription(customer_id, subscription_id, update, current=current, request_id=request_id)

    def clear_scheduled_next_term_instructions(
        self,
        customer_id: str,
        subscription_id: str,
        *,
        current: Subscription | None = None,
        request_id: uuid.UUID | None = None,
    ) -> Subscription:
        update = SubscriptionUpdate(clear_scheduled_next_term_instructions=True)
        return self.update_subscription(customer_id, subscription_id, update, current=current, request_id=request_id)

    def change_term(
        self,
        customer_id: str,
        subscription_id: str,
        term_duration: str,
        *,
        billing_cycle: str | None = None,
        current: Subscription | None = None,
        request_id: uuid.UUID | None = None,
    ) -> Subscription:
        """Lengthen the term now (P1M -> P1Y/P3Y, P1Y -> P3Y), with a new billing plan if given."""
        update = SubscriptionUpdate(term_duration=term_duration, billing_cycle=billing_cycle)
        return self.update_subscription(customer_id, subscription_id, update, current=current, request_id=request_id)

    def change_billing_cycle(
        self,
        customer_id: str,
        subscription_id: str,
        billing_cycle: str,
        *,
        current: Subscription | None = None,
        request_id: uuid.UUID | None = None,
    ) -> Subscription:
        """Change the billing plan from the next charge cycle (the answer's ``next_charge_instructions``)."""
        update = SubscriptionUpdate(billing_cycle=billing_cycle)
        return self.update_subscription(customer_id, subscription_id, update, current=current, request_id=request_id)

    def update_subscription(
        self,
        customer_id: str,
        subscription_id: str,
        update: SubscriptionUpdate | None = None,
        *,
        quantity: int | None = None,
        friendly_name: str | None = None,
        status: str | None = None,
        auto_renew_enabled: bool | None = None,
        current: Subscription | None = None,
        request_id: uuid.UUID | None = None,
    ) -> Subscription:
        """Change quantity (the new total), friendly name, status (``suspended``, ``active``,
        ``deleted`` = cancel) or auto-renew; through ``update`` also the term, the billing plan and
        the scheduled next-term instructions (see ``SubscriptionUpdate``).

        Partner Center wants the whole subscription in the PATCH (a partial body turns auto-renew
        off), so the subscription is read first — or ``current`` is used when given — and sent
        back with the changes.
        """
        if update is None:
            update = SubscriptionUpdate(
                quantity=quantity, friendly_name=friendly_name, status=status, auto_renew_enabled=auto_renew_enabled
            )
        elif any(v is not None for v in (quantity, friendly_name, status, auto_renew_enabled)):
            raise TypeError("Give either an update or keyword changes, not both.")
        if current is None:
            current = self.get_subscription(customer_id, subscription_id)
        return self.patch_subscription(customer_id, current.with_changes(update), request_id=request_id)

    def patch_subscription(
        self, customer_id: str, subscription: Subscription, *, request_id: uuid.UUID | None = None
    ) -> Subscription:
        """Send ``subscription`` as it is (the full resource) in a PATCH; the answer is the result.

        Partner Center may answer 202 with a ``Location`` while it works: the subscription is then
        read again from there.
        """
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription.id)}"
        response = self._request("PATCH", path, json=subscription.to_body(), request_id=request_id)
        if response.status_code == 202 or not response.content:
            location = response.headers.get("Location")
            return self._call(Subscription, "GET", self._link_path(location) if location else path)
        return _parse(Subscription, response)

    # -- users and licences --------------------------------------------------------------------------

    def list_users(self, customer_id: str, *, page_size: int | None = None) -> Iterator[CustomerUser]:
        params = {"size": page_size} if page_size else None
        return self._pages(CustomerUser, f"/v1/customers/{_seg(customer_id)}/users", params)

    def get_user(self, customer_id: str, user_id: str) -> CustomerUser:
        return self._call(CustomerUser, "GET", f"/v1/customers/{_seg(customer_id)}/users/{_seg(user_id)}")

    def create_user(
        self, customer_id: str, user: CustomerUser | Mapping[str, Any], *, request_id: uuid.UUID | None = None
    ) -> CustomerUser:
        body = _body(user, CustomerUser)
        body.setdefault("attributes", {"objectType": "CustomerUser"})
        path = f"/v1/customers/{_seg(customer_id)}/users"
        return self._call(CustomerUser, "POST", path, json=body, request_id=request_id)

    def delete_user(self, customer_id: str, user_id: str, *, request_id: uuid.UUID | None = None) -> None:
        """Delete a user (Partner Center keeps it inactive for 30 days, then purges it)."""
        self._request("DELETE", f"/v1/customers/{_seg(customer_id)}/users/{_seg(user_id)}", request_id=request_id)

    def list_subscribed_skus(self, customer_id: str) -> list[SubscribedSku]:
        return list(self._pages(SubscribedSku, f"/v1/customers/{_seg(customer_id)}/subscribedskus"))

    def assign_licenses(
        self,
        customer_id: str,
        user_id: str,
        *,
        assign: Iterable[str | LicenseAssignment] = (),
        remove: Iterable[str] = (),
        request_id: uuid.UUID | None = None,
    ) -> LicenseUpdate:
        """Give and take licences of a user (Entra SKU ids, from one licence group per call)."""
        to_assign = [a if isinstance(a, LicenseAssignment) else LicenseAssignment(sku_id=a) for a in assign]
        update = LicenseUpdate(
            licenses_to_assign=to_assign or None,
            licenses_to_remove=list(remove) or None,
            attributes=ResourceAttributes(object_type="LicenseUpdate"),
        )
        path = f"/v1/customers/{_seg(customer_id)}/users/{_seg(user_id)}/licenseupdates"
        return self._call(LicenseUpdate, "POST", path, json=update.to_body(), request_id=request_id)

    # -- billing -------------------------------------------------------------------------------------

    def list_invoices(self, *, page_size: int | None = None) -> Iterator[Invoice]:
        params = {"size": page_size} if page_size else None
        return self._pages(Invoice, "/v1/invoices", params)

    def get_invoice(self, invoice_id: str) -> Invoice:
        return self._call(Invoice, "GET", f"/v1/invoices/{_seg(invoice_id)}")

    def list_reconciliation_line_items(
        self, invoice_id: str, *, page_size: int | None = None
    ) -> Iterator[ReconciliationLineItem]:
        """Billed new-commerce reconciliation lines of an invoice, page after page."""
        params: dict[str, Any] = {"provider": "onetime", "invoicelineitemtype": "billinglineitems"}
        if page_size:
            params["size"] = page_size
        return self._pages(ReconciliationLineItem, f"/v1/invoices/{_seg(invoice_id)}/lineitems", params)

    def list_unbilled_reconciliation_line_items(
        self, currency: str, *, period: str = "current", page_size: int | None = None
    ) -> Iterator[ReconciliationLineItem]:
        """Charges not invoiced yet (``period``: ``current`` or ``previous`` month)."""
        params: dict[str, Any] = {
            "provider": "onetime",
            "invoicelineitemtype": "billinglineitems",
            "currencycode": currency,
            "period": period,
        }
        if page_size:
            params["size"] = page_size
        return self._pages(ReconciliationLineItem, "/v1/invoices/unbilled/lineitems", params)

    # -- transport -----------------------------------------------------------------------------------

    def _call(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        return _parse(model, self._request(method, path, **kwargs))

    def _pages(self, model: type[M], path: str, params: Mapping[str, Any] | None = None) -> Iterator[M]:
        """Items of a list, following ``links.next`` (with its headers, e.g. ``MS-ContinuationToken``)."""
        collection = PagedCollection[model]  # type: ignore[valid-type]
        headers: dict[str, str] | None = None
        seen: set[tuple[str, str]] = set()
        while True:
            page = _parse(collection, self._request("GET", path, params=params, headers=headers))
            yield from page.items
            link = page.next_link
            if link is None:
                return
            path, params = self._link_path(link.uri), None
            headers = {h.key: h.value for h in link.headers}
            if page.continuation_token and not any(k.lower() == "ms-continuationtoken" for k in headers):
                headers["MS-ContinuationToken"] = page.continuation_token
            marker = (path, jsonlib.dumps(headers, sort_keys=True))
            if marker in seen:  # a server that keeps answering the same "next": stop rather than loop
                raise PartnerCenterError(f"Partner Center's paging of {path} does not move on.", path=path)
            seen.add(marker)

    def _link_path(self, uri: str) -> str:
        """Partner Center's links are relative and lack ``/v1``; an absolute one must stay on our host."""
        parts = urlsplit(uri)
        if parts.scheme:
            if parts.netloc != urlsplit(self.base_url).netloc:
                raise PartnerCenterError(f"Partner Center linked to another host: {uri}", link=uri)
            uri = parts.path + (f"?{parts.query}" if parts.query else "")
        if not uri.startswith("/"):
            uri = "/" + uri
        if not (uri.startswith("/v1/") or uri.startswith("/v1.0/")):
            uri = "/v1" + uri
        return uri

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        request_id: uuid.UUID | None = None,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send one call with its retries; returns a 2xx answer (or one of ``accept``) or raises."""
        write = method not in ("GET", "HEAD")
        request_id_text = str(request_id or uuid.uuid4())
        may_retry = not write or request_id is not None
        started = self.clock()
        outcome_unknown = False
        token_renewed = False
        attempt = 0
        while True:
            attempt += 1
            self._wait_for_turn()
            correlation_id = str(uuid.uuid4())
            context = {"method": method, "path": path, "request_id": request_id_text, "correlation_id": correlation_id}
            response: httpx.Response | None = None
            try:
                response = self._send(method, path, params, json, headers, request_id_text, correlation_id, write)
            except PartnerCenterError as exc:
                error = exc
            else:
                if response.is_success or response.status_code in accept:
                    self._report(
                        Attempt(
                            method, path, attempt, request_id_text, correlation_id, response.status_code, None, None
                        )
                    )
                    return response
                error = self._error_for(response, write, context)
                if response.status_code == 401 and not token_renewed:
                    # The token may have been revoked or expired early: one more go with a new one.
                    token_renewed = True
                    self.tokens.invalidate()
                    self._report(Attempt(method, path, attempt, request_id_text, correlation_id, 401, error, 0.0))
                    self.stats.retries += 1
                    continue
            outcome_unknown = outcome_unknown or error.outcome_unknown
            error.outcome_unknown = outcome_unknown
            error.details["attempts"] = attempt
            wait = self._retry_wait(error, attempt, started) if may_retry else None
            status = response.status_code if response is not None else error.http_status
            self._report(Attempt(method, path, attempt, request_id_text, correlation_id, status, error, wait))
            if wait is None:
                raise error
            self.stats.retries += 1
            self.stats.backoff_seconds += wait
            self.sleep(wait)

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        request_id: str,
        correlation_id: str,
        write: bool,
    ) -> httpx.Response:
        request_headers = {
            "Authorization": f"Bearer {self.tokens.get_token()}",
            "MS-RequestId": request_id,
            "MS-CorrelationId": correlation_id,
            "X-Locale": self.locale,
            **(headers or {}),
        }
        details: dict[str, Any] = {
            "method": method,
            "path": path,
            "request_id": request_id,
            "correlation_id": correlation_id,
        }
        self.stats.sends += 1
        try:
            response = self._http.request(method, path, params=params, json=json, headers=request_headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached Partner Center: safe to send again, whatever the method.
            raise PartnerCenterUnavailable(
                f"Partner Center cannot be reached at {self.base_url}: {exc or type(exc).__name__}", **details
            ) from exc
        except httpx.TimeoutException as exc:
            message = f"Partner Center did not answer {method} {path} in time."
            if write:
                message += " The change may or may not have been made: send it again with the same request id."
            raise PartnerCenterTimeout(message, outcome_unknown=write, **details) from exc
        except httpx.TransportError as exc:
            message = f"The connection to Partner Center broke during {method} {path} ({type(exc).__name__})."
            if write:
                message += " The change may or may not have been made: send it again with the same request id."
            raise PartnerCenterTransportError(message, outcome_unknown=write, **details) from exc
        self.stats.by_status[response.status_code] = self.stats.by_status.get(response.status_code, 0) + 1
        return response

    def _error_for(self, response: httpx.Response, write: bool, context: dict[str, Any]) -> PartnerCenterError:
        status = response.status_code
        retry_after = None
        if status in (429, 503):
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now=self.clock())
        if status == 429:
            self.stats.throttled += 1
            if retry_after is None:
                retry_after = self.retry.throttle_wait
            self.pause_store.pause(self.partner_key, self.clock() + retry_after)
        return error_from_response(response, write=write, retry_after=retry_after, **context)

    def _retry_wait(self, error: PartnerCenterError, attempt: int, started: float) -> float | None:
        """Seconds to wait before sending again, or None when this error is the end of the call."""
        if not isinstance(error, (PartnerCenterThrottled, PartnerCenterUnavailable)):
            return None
        if attempt >= self.retry.attempts:
            return None
        wait = self.retry.delay(attempt, error.retry_after)
        if self.clock() - started + wait > self.retry.total_time:
            return None
        return wait

    def _wait_for_turn(self) -> None:
        """Wait out the partner's pause (after a 429 anywhere) and the rate limiter."""
        while True:
            until = self.pause_store.get_paused_until(self.partner_key)
            remaining = (until - self.clock()) if until is not None else 0.0
            if remaining <= 0:
                wait = self.rate_limiter.acquire(self.partner_key)
                if wait <= 0:
                    return
            else:
                wait = remaining
            self.stats.paused_seconds += wait
            self.sleep(wait)

    def _report(self, attempt: Attempt) -> None:
        if self.on_attempt is not None:
            self.on_attempt(attempt)


def _seg(value: str) -> str:
    """One path segment, escaped (ids come from outside)."""
    if not value:
        raise ValueError("An id is missing.")
    return quote(str(value), safe="@.")


def _body(value: BaseModel | Mapping[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """The JSON body of a write: a DTO, or a mapping checked against it (unknown keys kept).

    Partner Center reads field names in any case and its own examples use PascalCase
    (``CompanyProfile``): such keys are read as camelCase.
    """
    if not isinstance(value, BaseModel):
        try:
            value = model.model_validate(dict(value))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise PartnerCenterInvalidRequest(
                f"The request for Partner Center is not complete: {where}: {first['msg']}", field=where
            ) from exc
    return value.model_dump(by_alias=True, mode="json", exclude_unset=True)


def _parse(model: type[M], response: httpx.Response) -> M:
    try:
        return model.model_validate_json(response.content or b"{}")
    except ValidationError as exc:
        raise PartnerCenterError(
            f"Partner Center's answer to {response.request.method} {response.request.url.path} is not understood: "
            f"{exc.error_count()} problem(s), first: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}",
            http_status=response.status_code,
            request_id=response.headers.get("MS-RequestId"),
            correlation_id=response.headers.get("MS-CorrelationId"),
        ) from exc
