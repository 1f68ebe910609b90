"""The Partner Center REST API subset: one handler per endpoint, run synchronously under the
store's lock. Handlers return ``(status, body, headers)`` or raise ``ApiError``.
"""

from __future__ import annotations

import base64
import calendar
import copy
import csv
import io
import json
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from . import catalog, nce, pricing, render, transitions
from .config import EmulatorConfig
from .errors import ApiError, invalid_input, invalid_property, not_found
from .state import Cart, Customer, Order, Store, Subscription, User, iso
from .validation import (
    country_rules,
    lower_keys,
    section,
    text,
    validate_address,
    validate_domain,
    validate_registration,
)

Reply = tuple[int, Any, dict[str, str]]
CART_LIFETIME = timedelta(days=7)
SOFT_DELETE = timedelta(days=30)


@dataclass
class Ctx:
    store: Store
    config: EmulatorConfig
    now: datetime
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    partner: str
    extra: dict[str, Any] = field(default_factory=dict)

    def q(self, name: str, default: str = "") -> str:
        return self.query.get(name.lower(), default)


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return status, body, headers or {}


# ---------------------------------------------------------------------------------------------
# Paging
# ---------------------------------------------------------------------------------------------


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"emu1:{offset}:{secrets.token_hex(4)}".encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        tag, offset, _ = raw.split(":")
        if tag != "emu1":
            raise ValueError(tag)
        return int(offset)
    except ValueError as exc:
        raise ApiError(400, 800002, "Invalid request input: the continuation token is not valid.") from exc


def page_size(ctx: Ctx) -> int:
    raw = ctx.q("size")
    limit = ctx.store.page_size
    if not raw:
        return limit
    try:
        size = int(raw)
    except ValueError as exc:
        raise invalid_input("size must be a number.") from exc
    if size < 1:
        raise invalid_input("size must be at least 1.")
    return min(size, limit)


def seek_page(ctx: Ctx, items: list, base_uri: str, extra_query: str = "") -> dict[str, Any]:
    """A seek-based page: ``links.next`` with the ``MS-ContinuationToken`` header to send back."""
    size = page_size(ctx)
    offset = 0
    if ctx.q("seekoperation").lower() == "next":
        token = ctx.headers.get("ms-continuationtoken") or ctx.q("continuationtoken")
        if not token:
            raise invalid_input("seekOperation=Next needs the MS-ContinuationToken header.")
        offset = _offset(token)
    chunk = items[offset : offset + size]
    query = f"size={size}" + (f"&{extra_query}" if extra_query else "")
    body = render.collection(chunk, f"{base_uri}?{query}")
    if offset + size < len(items):
        token = _token(offset + size)
        body["continuationToken"] = token
        body["links"]["next"] = render.link(
            f"{base_uri}?{query}&seekOperation=Next", headers=[{"key": "MS-ContinuationToken", "value": token}]
        )
    return body


# ---------------------------------------------------------------------------------------------
# Lookups
# ---------------------------------------------------------------------------------------------


def get_customer(ctx: Ctx) -> Customer:
    customer = ctx.store.customers.get(ctx.params["cid"].lower())
    if customer is None:
        raise ApiError(404, 1000, f"Customer {ctx.params['cid']} not found.")
    return customer


def get_subscription(ctx: Ctx, customer: Customer) -> Subscription:
    sub = ctx.store.subs_by_customer.get(customer.id, {}).get(ctx.params["sid"].lower())
    if sub is None:
        raise ApiError(404, 20003, f"Subscription with ID {ctx.params['sid']} not found.")
    nce.roll(ctx.store, sub, ctx.now)
    return sub


def get_user(ctx: Ctx, customer: Customer) -> User:
    user = ctx.store.users_by_customer.get(customer.id, {}).get(ctx.params["uid"].lower())
    if user is None:
        raise ApiError(404, 1000, f"User {ctx.params['uid']} not found.")
    _purge_if_due(ctx, user)
    if user.id not in ctx.store.users:
        raise ApiError(404, 1000, f"User {ctx.params['uid']} not found.")
    return user


def _purge_if_due(ctx: Ctx, user: User) -> None:
    if user.state == "inactive" and user.soft_deleted_at and ctx.now >= user.soft_deleted_at + SOFT_DELETE:
        ctx.store.users.pop(user.id, None)
        ctx.store.users_by_customer[user.customer_id].pop(user.id, None)
        ctx.store.upns.pop(user.user_principal_name.lower(), None)


def _country(customer: Customer) -> str:
    return customer.address.get("country", "US")


def _has_addons(sub: Subscription) -> bool:
    return bool(catalog.addons_of(sub.catalog_item_id.rsplit(":", 1)[0]))


def sub_json(ctx: Ctx, sub: Subscription, customer: Customer) -> dict[str, Any]:
    return render.subscription(sub, ctx.now, _country(customer), has_addons=_has_addons(sub))


# ---------------------------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------------------------


def create_customer_record(store: Store, body: dict, now: datetime) -> Customer:
    """Validate a create-customer body (lower-cased keys) and add the customer."""
    if not isinstance(body, dict):
        raise invalid_input("the body must be a JSON object.")
    company = section(body, "companyProfile", "CompanyProfile")
    billing = section(body, "billingProfile", "BillingProfile")
    domain = validate_domain(text(company, "domain", "CompanyProfile.Domain", max_len=253))
    email = text(billing, "email", "BillingProfile.Email", max_len=254)
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise invalid_property("BillingProfile.Email", f"'{email}' is not a valid e-mail address.")
    culture = text(billing, "culture", "BillingProfile.Culture", max_len=12)
    if not re.match(r"^[A-Za-z]{2,3}-[A-Za-z0-9]{2,4}$", culture):
        raise invalid_property("BillingProfile.Culture", f"'{culture}' is not a culture such as en-US.")
    language = text(billing, "language", "BillingProfile.Language", max_len=3, min_len=2)
    company_name = text(billing, "companyName", "BillingProfile.CompanyName", max_len=100)
    address = validate_address(
        section(billing, "defaultAddress", "BillingProfile.DefaultAddress"), "BillingProfile.DefaultAddress"
    )
    number = text(
        company, "organizationRegistrationNumber", "CompanyProfile.OrganizationRegistrationNumber", required=False
    )
    validate_registration(address["country"], number, address["phoneNumber"])
    if domain in store.domains:
        raise ApiError(400, 3000, f"Invalid property CompanyProfile.Domain: the domain {domain} is already in use.")
    tenant = str(uuid.uuid4())
    gdap = body.get("enablegdapbydefault")
    customer = Customer(
        id=tenant,
        commerce_id=str(uuid.uuid4()),
        domain=domain,
        company_name=company_name,
        email=email,
        culture=culture[:2].lower() + culture[2:].upper(),
        language=language.lower(),
        address=address,
        billing_profile_id=str(uuid.uuid4()),
        created_at=now,
        registration_number=number,
        enable_gdap=bool(gdap),
        etag=str(secrets.randbits(62)),
    )
    store.add_customer(customer)
    return customer


def post_customer(ctx: Ctx) -> Reply:
    customer = create_customer_record(ctx.store, ctx.body, ctx.now)
    body = render.customer(customer)
    body["relationshipToPartner"] = "none"
    body["userCredentials"] = {"userName": "admin", "password": secrets.token_urlsafe(9)}
    return ok(body, 201)


def _starts_with_filter(ctx: Ctx) -> tuple[str, str] | None:
    raw = ctx.q("filter")
    if not raw:
        return None
    try:
        spec = lower_keys(json.loads(raw))
    except ValueError as exc:
        raise invalid_input("filter is not valid JSON.") from exc
    if not isinstance(spec, dict):
        raise invalid_input("filter must be a JSON object.")
    return str(spec.get("field", "")).lower(), str(spec.get("value", "")).lower()


def list_customers(ctx: Ctx) -> Reply:
    customers = list(ctx.store.customers.values())
    flt = _starts_with_filter(ctx)
    extra = ""
    if flt:
        fld, value = flt
        if fld == "companyname":
            customers = [c for c in customers if c.company_name.lower().startswith(value)]
        elif fld == "domain":
            customers = [c for c in customers if c.domain.startswith(value)]
        else:
            raise invalid_input(f"filter field {fld!r} is not supported.")
        extra = "filter=" + ctx.q("filter")
    items = [render.customer(c, full=False) for c in customers]
    return ok(seek_page(ctx, items, "/customers", extra))


def get_customer_h(ctx: Ctx) -> Reply:
    return ok(render.customer(get_customer(ctx)))


def patch_customer(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    relationship = ctx.body.get("relationshiptopartner") if isinstance(ctx.body, dict) else None
    if relationship is not None:
        if str(relationship).lower() != "none":
            raise invalid_property("RelationshipToPartner", "only 'none' can be set.")
        live = [s for s in ctx.store.subs_by_customer.get(customer.id, {}).values() if s.status == "active"]
        if live:
            raise ApiError(
                400, 3000, "All subscriptions must be suspended or cancelled before removing the relationship."
            )
        customer.relationship = "none"
    return ok(render.customer(customer))


def delete_customer(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    ctx.store.remove_customer(customer.id)
    return ok(None, 204)


def company_profile(ctx: Ctx) -> Reply:
    return ok(render.company_profile(get_customer(ctx)))


def billing_profile(ctx: Ctx) -> Reply:
    return ok(render.billing_profile(get_customer(ctx)))


def head_domain(ctx: Ctx) -> Reply:
    taken = ctx.params["domain"].lower() in ctx.store.domains
    return ok(None, 200 if taken else 404)


def validate_address_h(ctx: Ctx) -> Reply:
    if not isinstance(ctx.body, dict):
        raise invalid_input("the body must be a JSON object.")
    try:
        address = validate_address(ctx.body, "Address", names_required=False)
    except ApiError as exc:
        return ok(
            {
                "originalAddress": ctx.body,
                "suggestedAddresses": [],
                "status": "None",
                "validationMessage": exc.description,
            }
        )
    address = {k: v for k, v in address.items() if v}
    return ok(
        {"originalAddress": address, "suggestedAddresses": [address], "status": "Verified", "validationMessage": ""}
    )


def country_rules_h(ctx: Ctx) -> Reply:
    iso2 = ctx.params["iso2"].upper()
    from .validation import ISO2

    if iso2 not in ISO2:
        raise not_found("Country")
    return ok(country_rules(iso2))


def relationship_request(ctx: Ctx) -> Reply:
    return ok(
        {
            "url": "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship"
            f"&partnerId={ctx.partner}&msppId=0&DAP=false#/BillingAccounts/partner-invitation",
            "attributes": {"objectType": "RelationshipRequest"},
        }
    )


# ---------------------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------------------


def _catalog_country(ctx: Ctx, customer: Customer | None = None) -> str:
    if customer is not None:
        return _country(customer)
    country = ctx.q("country").upper()
    if not country:
        raise invalid_input("the country query parameter is required.")
    from .validation import ISO2

    if country not in ISO2:
        raise invalid_input(f"country '{country}' is not valid.")
    return country


def _products(ctx: Ctx, customer: Customer | None) -> Reply:
    country = _catalog_country(ctx, customer)
    view = ctx.q("targetview")
    if not view:
        raise invalid_input("the targetView query parameter is required.")
    segment = ctx.q("targetsegment", "commercial").lower()
    items = []
    if view.lower() == "onlineservices" and segment in ("", "commercial"):
        for offers in catalog.PRODUCTS.values():
            live = pricing.on_sale(ctx.store, offers, ctx.now.date())
            if live:
                items.append(render.product(live[0], country))
    return ok(render.collection(items, f"/products?country={country}&targetView={view}"))


def list_products(ctx: Ctx) -> Reply:
    return _products(ctx, None)


def customer_products(ctx: Ctx) -> Reply:
    return _products(ctx, get_customer(ctx))


def _product_offers(ctx: Ctx) -> list[catalog.Offer]:
    """The product's SKUs on sale now: a product whose SKUs are all withdrawn is not found."""
    offers = pricing.on_sale(ctx.store, catalog.PRODUCTS.get(ctx.params["pid"].upper(), []), ctx.now.date())
    if not offers:
        raise ApiError(404, 400013, f"Product {ctx.params['pid']} was not found.")
    return offers


def _sku_offer(ctx: Ctx) -> catalog.Offer:
    for offer in _product_offers(ctx):
        if offer.sku_id == ctx.params["skuid"].upper():
            return offer
    raise ApiError(404, 400018, f"Sku {ctx.params['skuid']} was not found for product {ctx.params['pid']}.")


def get_product(ctx: Ctx) -> Reply:
    return ok(render.product(_product_offers(ctx)[0], _catalog_country(ctx)))


def _country_for(ctx: Ctx) -> str:
    if "cid" in ctx.params:
        return _country(get_customer(ctx))
    return _catalog_country(ctx)


def list_skus(ctx: Ctx) -> Reply:
    country = _country_for(ctx)
    items = [render.sku(o, country) for o in _product_offers(ctx)]
    return ok(render.collection(items, f"/products/{ctx.params['pid']}/skus?country={country}"))


def get_sku(ctx: Ctx) -> Reply:
    return ok(render.sku(_sku_offer(ctx), _country_for(ctx)))


def list_availabilities(ctx: Ctx) -> Reply:
    country = _country_for(ctx)
    offer = _sku_offer(ctx)
    segment = ctx.q("targetsegment", "commercial").lower()
    items = [render.availability(offer, country)] if segment == "commercial" else []
    return ok(
        render.collection(items, f"/products/{offer.product_id}/skus/{offer.sku_id}/availabilities?country={country}")
    )


def get_availability(ctx: Ctx) -> Reply:
    offer = _sku_offer(ctx)
    if offer.availability_id != ctx.params["aid"].upper():
        raise ApiError(404, 400019, f"Availability {ctx.params['aid']} was not found.")
    return ok(render.availability(offer, _catalog_country(ctx)))


def _history_month(ctx: Ctx) -> tuple[date, date]:
    raw = ctx.q("month")
    if not raw:
        raise invalid_input("month (YYYYMM) is required with timeline=history.", ["month"])
    match = re.fullmatch(r"(\d{4})(\d{2})", raw)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise invalid_input(f"month '{raw}' is not a month in the form YYYYMM (e.g. 202501).", ["month"])
    first = date(int(match.group(1)), int(match.group(2)), 1)
    today = ctx.now.date()
    if first > today:
        raise invalid_input(f"month '{raw}' is in the future: history covers past months only.", ["month"])
    return first, first + timedelta(days=calendar.monthrange(first.year, first.month)[1])


def price_sheet(ctx: Ctx) -> Reply:
    market, view = ctx.params["market"].upper(), ctx.params["view"]
    if view.lower() != "updatedlicensebased":
        raise ApiError(404, 1000, f"Price sheet view '{view}' is not available.")
    from .validation import ISO2

    if market not in ISO2:
        raise invalid_input(f"Market '{ctx.params['market']}' is not a valid market.", ["Market"])
    timeline = (ctx.q("timeline") or "current").lower()
    if timeline not in pricing.TIMELINES:
        raise invalid_input(
            f"timeline '{ctx.q('timeline')}' is not valid: use current, history or future.", ["timeline"]
        )
    month = _history_month(ctx) if timeline == "history" else None
    rows = pricing.sheet_rows(ctx.store, market, timeline, ctx.now.date(), month)
    if timeline == "future" and not rows:
        raise ApiError(404, 1000, f"There are no future price changes for market {market}.")
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(pricing.SHEET_HEADER)
    writer.writerows(rows)
    return ok(out.getvalue().encode("utf-8"), 200, {"content-type": "text/csv; charset=utf-8"})


# ---------------------------------------------------------------------------------------------
# Carts, checkout, orders
# ---------------------------------------------------------------------------------------------


def _cart_error(code: int, description: str, **info: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"errorCode": code, "errorDescription": description}
    if info:
        error["additionalInformation"] = info
    return error


LIVE = ("active", "pending")


def _live_skus(ctx: Ctx, customer: Customer) -> set[str]:
    return {
        s.catalog_item_id.rsplit(":", 1)[0]
        for s in ctx.store.subs_by_customer.get(customer.id, {}).values()
        if s.status in LIVE
    }


def _is_addon_line(raw: Any) -> bool:
    offer = catalog.find_offer(str(raw.get("catalogitemid") or "")) if isinstance(raw, dict) else None
    return offer is not None and offer.is_addon


def _line(
    ctx: Ctx, customer: Customer, raw: Any, index: int, pooled: dict[str, int], bases: frozenset[str] = frozenset()
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid_input(f"line item {index} must be an object.")
    catalog_item_id = str(raw.get("catalogitemid") or "")
    term = str(raw.get("termduration") or "")
    cycle = str(raw.get("billingcycle") or "").lower()
    quantity = raw.get("quantity")
    line: dict[str, Any] = {
        "id": raw.get("id", index),
        "catalogItemId": catalog_item_id,
        "friendlyName": raw.get("friendlyname") or "",
        "quantity": quantity,
        "currencyCode": catalog.currency_for(_country(customer))[0],
        "billingCycle": cycle,
        "termDuration": term,
        "provisioningContext": raw.get("provisioningcontext") or {},
        "orderGroup": "0",
    }
    if raw.get("customtermenddate"):
        line["customTermEndDate"] = raw["customtermenddate"]
    offer = catalog.find_offer(catalog_item_id)
    if offer is None:
        line["error"] = _cart_error(10001, f"The catalog item ID {catalog_item_id} is not valid.")
        return line
    line["catalogItemId"] = offer.catalog_item_id
    availability_id = offer.availability_id
    if pricing.withdrawn(ctx.store, offer, ctx.now.date()):
        line["error"] = _cart_error(400019, _gone(offer))
        return line
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        line["error"] = _cart_error(10010, f"The quantity of line item {index} must be a whole number of at least 1.")
        return line
    if (term, "monthly") not in offer.terms and all(t != term for t, _ in offer.terms):
        line["error"] = _cart_error(
            400039, f"Availability {availability_id} referenced by line item {index} does not support term '{term}'."
        )
        return line
    if not catalog.supports(offer, term, cycle):
        line["error"] = _cart_error(
            900269, f"Billing cycle '{cycle}' is not valid for term {term} of {offer.catalog_item_id}."
        )
        return line
    if offer.is_addon and not (set(offer.prerequisite_skus) & (_live_skus(ctx, customer) | bases)):
        line["error"] = _cart_error(400041, "The addon is not purchasable without a compatible base product")
        return line
    held = pooled.get(offer.product_sku, 0)
    if held + quantity > offer.maximum_quantity or quantity < offer.minimum_quantity:
        line["error"] = _cart_error(
            10015,
            f"The requested number of {quantity} seats exceeds the remaining limit of "
            f"{max(0, offer.maximum_quantity - held)} seats allowed per subscription for the CatalogItemId - "
            f"{offer.catalog_item_id}",
            availableQuantity=max(0, offer.maximum_quantity - held),
            purchasedQuantity=held,
        )
        return line
    pooled[offer.product_sku] = held + quantity
    if "customTermEndDate" in line:
        error = _check_custom_end(ctx, customer, term, str(line["customTermEndDate"]))
        if error:
            line["error"] = _cart_error(900242, error)
            return line
    currency = line["currencyCode"]
    price = pricing.cycle_price(ctx.store, offer, term, cycle, currency, ctx.now.date())
    line["pricing"] = render.pricing(price, term, cycle, quantity)
    return line


def _gone(offer: catalog.Offer) -> str:
    return (
        f"Availability {offer.availability_id} of catalog item {offer.catalog_item_id} was not found: "
        "it is no longer available for purchase."
    )


def _allowed_end_dates(ctx: Ctx, customer: Customer, term: str) -> list[date]:
    return nce.allowed_end_dates(ctx.store, customer.id, ctx.now.date(), term)


def _check_custom_end(ctx: Ctx, customer: Customer, term: str, raw: str) -> str | None:
    try:
        wanted = datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
    except ValueError:
        return f"customTermEndDate '{raw}' is not a date."
    if wanted not in _allowed_end_dates(ctx, customer, term):
        return (
            "The custom term end date requested for the cart line item doesn't match any active subscription's "
            "end date or the end of a calendar month."
        )
    return None


def _build_lines(ctx: Ctx, customer: Customer) -> list[dict[str, Any]]:
    body = ctx.body
    raw_lines = body.get("lineitems") if isinstance(body, dict) else None
    if not isinstance(raw_lines, list) or not raw_lines:
        raise invalid_property("LineItems", "at least one line item is required.")
    pooled: dict[str, int] = {}
    for s in ctx.store.subs_by_customer.get(customer.id, {}).values():
        if s.status in ("active", "suspended", "pending"):
            key = s.catalog_item_id.rsplit(":", 1)[0]
            pooled[key] = pooled.get(key, 0) + s.quantity
    # Base products first: an add-on may be bought with its base in the same cart.
    lines: list[dict[str, Any] | None] = [None] * len(raw_lines)
    for i, raw in enumerate(raw_lines):
        if not _is_addon_line(raw):
            lines[i] = _line(ctx, customer, raw, i, pooled)
    bases = frozenset(
        line["catalogItemId"].rsplit(":", 1)[0] for line in lines if line is not None and "error" not in line
    )
    for i, raw in enumerate(raw_lines):
        if lines[i] is None:
            lines[i] = _line(ctx, customer, raw, i, pooled, bases)
    return [line for line in lines if line is not None]


def post_cart(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    lines = _build_lines(ctx, customer)
    cart = Cart(
        id=str(uuid.uuid4()),
        customer_id=customer.id,
        created_at=ctx.now,
        modified_at=ctx.now,
        expires_at=ctx.now + CART_LIFETIME,
        lines=lines,
    )
    ctx.store.carts[cart.id] = cart
    return ok(render.cart(cart), 201)


def _get_cart(ctx: Ctx, customer: Customer) -> Cart:
    cart = ctx.store.carts.get(ctx.params["cart"].lower())
    if cart is None or cart.customer_id != customer.id or ctx.now > cart.expires_at:
        raise ApiError(404, 800008, f"Unable to retrieve cart ID {ctx.params['cart']}.")
    return cart


def get_cart(ctx: Ctx) -> Reply:
    return ok(render.cart(_get_cart(ctx, get_customer(ctx))))


def put_cart(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    cart = _get_cart(ctx, customer)
    if cart.status != "Active":
        raise ApiError(400, 800065, f"can't check out an already submitted cart {cart.id}")
    cart.lines = _build_lines(ctx, customer)
    cart.modified_at = ctx.now
    return ok(render.cart(cart))


def checkout(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    cart = _get_cart(ctx, customer)
    if cart.status != "Active":
        raise ApiError(400, 800065, f"can't check out an already submitted cart {cart.id}")
    # Re-validate: the catalog, the customer's subscriptions or the clock may have moved.
    ctx.body = {"lineitems": [lower_keys(line) for line in cart.lines]}
    cart.lines = _build_lines(ctx, customer)
    for line in cart.lines:
        if line.get("error", {}).get("errorCode") == 400019:
            # Partner Center: the availability is gone (end of sale); re-read the catalog.
            raise ApiError(404, 400019, line["error"]["errorDescription"])
    errors = [line for line in cart.lines if "error" in line]
    if errors:
        raise ApiError(
            400,
            800009,
            "Error in Cart item(s).",
            [f"line {line['id']}: {line['error']['errorDescription']}" for line in errors],
        )
    country = _country(customer)
    currency, symbol = catalog.currency_for(country)
    provision_at = ctx.now + timedelta(seconds=max(0.0, ctx.store.provisioning_delay))
    # Base products first, so that an add-on bought with its base in this cart is linked to it.
    created: dict[int, Subscription] = {}
    cart_bases: dict[str, Subscription] = {}
    indexed = list(enumerate(cart.lines))
    order_ids: dict[str, str] = {}  # one order per billing cycle, in the cart's order
    for _, line in indexed:
        order_ids.setdefault(line["billingCycle"], secrets.token_hex(6))
    offers = {index: catalog.find_offer(line["catalogItemId"]) for index, line in indexed}
    for index, line in sorted(indexed, key=lambda pair: bool(getattr(offers[pair[0]], "is_addon", False))):
        offer = offers[index]
        assert offer is not None
        cycle = line["billingCycle"]
        order_id = order_ids[cycle]
        parent = ""
        if offer.is_addon:
            in_cart = [cart_bases[sku] for sku in offer.prerequisite_skus if sku in cart_bases]
            if in_cart:
                parent = in_cart[0].id
            else:
                parent = next(
                    s.id
                    for s in ctx.store.subs_by_customer.get(customer.id, {}).values()
                    if s.status in LIVE and s.catalog_item_id.rsplit(":", 1)[0] in offer.prerequisite_skus
                )
        custom_end = None
        if line.get("customTermEndDate"):
            custom_end = nce.parse_day(str(line["customTermEndDate"]))
        sub = nce.new_subscription(
            ctx.store,
            customer_id=customer.id,
            offer=offer,
            quantity=line["quantity"],
            term=line["termDuration"],
            billing_cycle=cycle,
            currency=currency,
            friendly_name=line.get("friendlyName") or "",
            order_id=order_id,
            parent_id=parent,
            now=ctx.now,
            custom_term_end=custom_end,
            status="pending",
        )
        created[index] = sub
        if not offer.is_addon:
            cart_bases.setdefault(offer.product_sku, sub)
    orders: list[Order] = []
    for cycle, order_id in order_ids.items():
        order = Order(
            id=order_id,
            customer_id=customer.id,
            billing_cycle=cycle,
            currency=currency,
            currency_symbol=symbol,
            created_at=ctx.now,
            lines=[],
            status="pending",
            provision_at=provision_at,
        )
        for index, line in indexed:
            if line["billingCycle"] != cycle:
                continue
            sub = created[index]
            offer = catalog.find_offer(sub.catalog_item_id)
            assert offer is not None
            order_line = {
                "lineItemNumber": len(order.lines),
                "offerId": offer.catalog_item_id,
                "subscriptionId": sub.id,
                "termDuration": sub.term,
                "transactionType": "New",
                "friendlyName": sub.friendly_name,
                "quantity": sub.quantity,
                "provisioningContext": dict(line.get("provisioningContext") or {}),
                "pricing": line["pricing"],
                "links": {
                    **render.offer_links(offer, country),
                    "subscription": render.link(f"/customers/{customer.id}/subscriptions/{sub.id}"),
                },
            }
            if sub.parent_id:
                order_line["parentSubscriptionId"] = sub.parent_id
            if line.get("customTermEndDate"):
                order_line["customTermEndDate"] = f"{sub.term_end.isoformat()}T00:00:00Z"
            order.lines.append(order_line)
        ctx.store.orders[order.id] = order
        ctx.store.pending_orders.add(order.id)
        orders.append(order)
    cart.status = "Ordered"
    cart.order_ids = [o.id for o in orders]
    cart.modified_at = ctx.now
    # With no provisioning delay the subscriptions are provisioned during the call (§4.3).
    nce.provision_due(ctx.store, ctx.now)
    return ok(
        {
            "orders": [render.order(o) for o in orders],
            "orderErrors": [],
            "attributes": {"objectType": "CartCheckoutResult"},
        },
        201,
    )


def _get_order(ctx: Ctx, customer: Customer) -> Order:
    order = ctx.store.orders.get(ctx.params["oid"].lower())
    if order is None or order.customer_id != customer.id:
        raise ApiError(404, 20000, f"Order ID {ctx.params['oid']} not found.")
    return order


def list_orders(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    orders = [render.order(o) for o in ctx.store.orders.values() if o.customer_id == customer.id]
    return ok(render.collection(orders, f"/customers/{customer.id}/orders"))


def get_order(ctx: Ctx) -> Reply:
    return ok(render.order(_get_order(ctx, get_customer(ctx))))


def provisioning_status(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    order = _get_order(ctx, customer)
    done = order.status == "completed"
    items = [
        {
            "orderLineItemId": line["lineItemNumber"],
            "lineItemNumber": line["lineItemNumber"],
            "status": "Fulfilled" if done else "PrefulfillmentPending",
            "quantityProvisioningInformation": [
                {"quantity": line["quantity"], "status": "Fulfilled" if done else "Unfulfilled"}
            ],
            "attributes": {"objectType": "OrderLineItemProvisioningStatus"},
        }
        for line in order.lines
    ]
    return ok(render.collection(items, f"/customers/{customer.id}/orders/{order.id}/provisioningstatus"))


def subscription_provisioning_status(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    sub = get_subscription(ctx, customer)
    offer = catalog.find_offer(sub.catalog_item_id)
    status = "pending" if sub.status == "pending" else "success"
    return ok(
        {
            "skuId": offer.sku_id if offer else "",
            "status": status,
            "quantity": sub.quantity,
            "endDate": sub.term_end.isoformat() + "T00:00:00Z",
            "attributes": {"objectType": "SubscriptionProvisioningStatus"},
        }
    )


# ---------------------------------------------------------------------------------------------
# Subscriptions
# ---------------------------------------------------------------------------------------------


def list_subscriptions(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    order_id = ctx.q("order_id").lower()
    subs = list(ctx.store.subs_by_customer.get(customer.id, {}).values())
    if order_id:
        subs = [s for s in subs if s.order_id == order_id]
    for s in subs:
        nce.roll(ctx.store, s, ctx.now)
    return ok(render.collection([sub_json(ctx, s, customer) for s in subs], f"/customers/{customer.id}/subscriptions"))


def get_subscription_h(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    return ok(sub_json(ctx, get_subscription(ctx, customer), customer))


def list_addons(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    parent = get_subscription(ctx, customer)
    subs = [s for s in ctx.store.subs_by_customer.get(customer.id, {}).values() if s.parent_id == parent.id]
    return ok(
        render.collection(
            [sub_json(ctx, s, customer) for s in subs], f"/customers/{customer.id}/subscriptions/{parent.id}/addons"
        )
    )


def patch_subscription(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    sub = get_subscription(ctx, customer)
    body = ctx.body
    if not isinstance(body, dict):
        raise invalid_input("the body must be a JSON object (the subscription).")
    nce.check_updatable(sub)
    saved = copy.deepcopy(sub)
    charges = len(ctx.store.charges)
    try:
        _apply_patch(ctx, sub, body)
    except ApiError:
        ctx.store.subscriptions[sub.id] = saved
        ctx.store.subs_by_customer[sub.customer_id][sub.id] = saved
        del ctx.store.charges[charges:]
        raise
    sub.update_count += 1
    sub.etag += 1
    return ok(sub_json(ctx, sub, customer))


def _apply_patch(ctx: Ctx, sub: Subscription, body: dict) -> None:
    """Apply a PATCH body (the whole subscription, keys lower-cased) to ``sub``.

    Immediate changes come first (status, name, term, quantity, auto-renew); any of them removes
    the scheduled next-term instructions, as Partner Center does. Instructions sent back unchanged
    (GET-modify-PATCH) are kept; new ones are validated and stored; ``null`` removes them.
    """
    now = ctx.now
    store = ctx.store
    stored = copy.deepcopy(sub.scheduled)
    offer_id = body.get("offerid")
    if offer_id and str(offer_id).upper() != sub.catalog_item_id.upper():
        raise invalid_property(
            "OfferId",
            "can't be changed by PATCH: upgrade through transitions, or at renewal through "
            "scheduledNextTermInstructions.",
        )
    status = body.get("status")
    status = str(status).lower() if status is not None else sub.status
    if status == "deleted":
        nce.change_status(store, sub, "deleted", now)
        return
    if status == "active" and sub.status == "suspended":
        nce.change_status(store, sub, "active", now)
    if "friendlyname" in body and body["friendlyname"] is not None:
        name = str(body["friendlyname"]).strip()
        if len(name) > 128:
            raise invalid_property("FriendlyName", "must be at most 128 characters long.")
        sub.friendly_name = name or sub.offer_name
    term = str(body.get("termduration") or sub.term).upper()
    cycle = str(body.get("billingcycle") or sub.billing_cycle).lower()
    next_charge = body.get("nextchargeinstructions", _MISSING)
    if term != sub.term:
        nce.change_term(store, sub, term, cycle, now)
    elif cycle != sub.billing_cycle:
        nce.schedule_billing_change(sub, cycle)
    elif isinstance(next_charge, dict) and not nce.same_instructions(sub.next_charge_instructions, next_charge):
        wanted = str(((next_charge.get("product") or {}).get("billingcycle")) or sub.billing_cycle).lower()
        nce.schedule_billing_change(sub, wanted)
    elif next_charge is None:
        sub.next_charge_instructions = None  # the pending billing-plan change is withdrawn
    if "quantity" in body:
        quantity = body["quantity"]
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise invalid_property("Quantity", "must be a whole number.")
        nce.change_quantity(store, sub, quantity, now)
    minimal = "autorenewenabled" not in body and ctx.config.minimal_patch_disables_autorenew
    if "autorenewenabled" in body:
        nce.change_auto_renew(sub, bool(body["autorenewenabled"]))
    elif minimal:
        # Partner Center's gotcha: a PATCH body without autoRenewEnabled turns auto-renew off, and
        # with it the scheduled instructions go.
        nce.change_auto_renew(sub, False)
    if status == "suspended":
        nce.change_status(store, sub, "suspended", now)
    elif status not in ("active", "suspended"):
        nce.change_status(store, sub, status, now)
    wanted = body.get("schedulednextterminstructions", _MISSING)
    if wanted is _MISSING:
        return
    if wanted is None:
        sub.scheduled = None
    elif nce.same_instructions(stored, wanted):
        pass  # sent back as read: kept, unless a change above removed them
    else:
        sub.scheduled = nce.scheduled_instructions(store, sub, wanted)


_MISSING: Any = object()


def transition_eligibilities(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    sub = get_subscription(ctx, customer)
    kind = (ctx.q("eligibilitytype") or "immediate").lower()
    items = transitions.eligibilities(ctx.store, sub, kind, ctx.now)
    uri = f"/customers/{customer.id}/subscriptions/{sub.id}/transitionEligibilities?eligibilityType={kind}"
    return ok(render.collection(items, uri))


def post_transition(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    sub = get_subscription(ctx, customer)
    saved = copy.deepcopy(ctx.store.subs_by_customer[customer.id])
    users = {u.id: list(u.licenses) for u in ctx.store.users_by_customer.get(customer.id, {}).values()}
    charges = len(ctx.store.charges)
    try:
        transition = transitions.create(ctx.store, sub, ctx.body, ctx.now)
    except ApiError:
        for sid in list(ctx.store.subs_by_customer[customer.id]):
            if sid not in saved:
                ctx.store.subscriptions.pop(sid, None)
        ctx.store.subs_by_customer[customer.id] = saved
        ctx.store.subscriptions.update(saved)
        for uid, licenses in users.items():
            ctx.store.users[uid].licenses = licenses
        del ctx.store.charges[charges:]
        raise
    body = transitions.render(transition)
    body["status"] = "started"
    body["events"] = body["events"][:1]  # the answer to the POST: the conversion has started
    return ok(body, 201)


def list_transitions(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    sub = get_subscription(ctx, customer)
    operation = ctx.q("operationid").lower()
    items = [
        transitions.render(t)
        for t in ctx.store.transitions
        if t.customer_id == customer.id
        and sub.id in (t.from_subscription_id, t.to_subscription_id)
        and (not operation or t.id == operation)
    ]
    return ok(render.collection(items, f"/customers/{customer.id}/subscriptions/{sub.id}/transitions"))


def list_upgrades(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    sub = get_subscription(ctx, customer)
    items = transitions.upgrades(ctx.store, sub, _country(customer), ctx.now)
    return ok(render.collection(items, f"/customers/{customer.id}/subscriptions/{sub.id}/upgrades"))


def custom_term_end_dates(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    term = ctx.q("term_duration") or ctx.q("termduration")
    if term not in catalog.TERM_MONTHS:
        raise ApiError(400, 800121, f"Term duration '{term}' is not valid.")
    items = []
    subs = list(ctx.store.subs_by_customer.get(customer.id, {}).values())
    for end in _allowed_end_dates(ctx, customer, term):
        ids = [s.id for s in subs if s.status == "active" and s.term_end == end]
        month_end = (end + timedelta(days=1)).day == 1
        if month_end:
            items.append(
                {"allowedCustomTermEndDateType": "calendarMonthAligned", "allowedCustomTermEndDate": f"{end}T00:00:00"}
            )
        if ids:
            items.append(
                {
                    "allowedCustomTermEndDateType": "subscriptionAligned",
                    "cotermSubscriptionIds": ids,
                    "allowedCustomTermEndDate": f"{end}T00:00:00",
                }
            )
    return ok(
        render.collection(items, f"/customers/{customer.id}/subscriptions/customTermEndDates?term_duration={term}")
    )


# ---------------------------------------------------------------------------------------------
# Users and licences
# ---------------------------------------------------------------------------------------------


def create_user_record(store: Store, customer: Customer, body: dict, now: datetime, *, direct: bool = False) -> User:
    if not isinstance(body, dict):
        raise invalid_input("the body must be a JSON object.")
    upn = text(body, "userPrincipalName", "UserPrincipalName", max_len=113).lower()
    if not re.match(r"^[^@\s]+@[^@\s]+$", upn):
        raise invalid_property("UserPrincipalName", f"'{upn}' is not a valid user principal name.")
    domain = upn.split("@", 1)[1]
    if not direct and store.domains.get(domain) != customer.id:
        raise invalid_property("UserPrincipalName", f"the domain {domain} is not a verified domain of the customer.")
    display = text(body, "displayName", "DisplayName", max_len=256)
    if not direct:
        profile = section(body, "passwordProfile", "PasswordProfile")
        text(profile, "password", "PasswordProfile.Password", max_len=256, min_len=8)
    location = text(body, "usageLocation", "UsageLocation", required=False, max_len=2, min_len=0).upper()
    if upn in store.upns:
        raise ApiError(
            400,
            3000,
            "Another object with the same value for property userPrincipalName already exists.",
            ["UserPrincipalName"],
        )
    user = User(
        id=str(uuid.uuid4()),
        customer_id=customer.id,
        user_principal_name=upn,
        first_name=text(body, "firstName", "FirstName", required=False, max_len=64, min_len=0),
        last_name=text(body, "lastName", "LastName", required=False, max_len=64, min_len=0),
        display_name=display,
        usage_location=location,
        created_at=now,
        immutable_id=text(body, "immutableId", "ImmutableId", required=False, min_len=0),
    )
    store.add_user(user)
    return user


def post_user(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    return ok(render.user(create_user_record(ctx.store, customer, ctx.body, ctx.now)))


def list_users(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    users = list(ctx.store.users_by_customer.get(customer.id, {}).values())
    for user in users:
        _purge_if_due(ctx, user)
    state = "active"
    flt = _starts_with_filter(ctx)
    extra = ""
    if flt:
        fld, value = flt
        if fld != "userstate":
            raise invalid_input(f"filter field {fld!r} is not supported.")
        state = value
        extra = "filter=" + ctx.q("filter")
    items = [render.user(u) for u in users if u.state == state and u.id in ctx.store.users]
    return ok(seek_page(ctx, items, f"/customers/{customer.id}/users", extra))


def get_user_h(ctx: Ctx) -> Reply:
    return ok(render.user(get_user(ctx, get_customer(ctx))))


def patch_user(ctx: Ctx) -> Reply:
    user = get_user(ctx, get_customer(ctx))
    body = ctx.body if isinstance(ctx.body, dict) else {}
    state = body.get("state")
    if state is not None:
        if str(state).lower() != "active":
            raise invalid_property("State", "only 'active' (restore) can be set.")
        user.state = "active"
        user.soft_deleted_at = None
    for key, attr in (("displayname", "display_name"), ("firstname", "first_name"), ("lastname", "last_name")):
        if body.get(key):
            setattr(user, attr, str(body[key]))
    if body.get("usagelocation"):
        user.usage_location = str(body["usagelocation"]).upper()[:2]
    return ok(render.user(user))


def delete_user(ctx: Ctx) -> Reply:
    user = get_user(ctx, get_customer(ctx))
    if user.state != "inactive":
        user.state = "inactive"
        user.soft_deleted_at = ctx.now
        user.licenses = []
    return ok(None, 204)


def _sku_units(ctx: Ctx, customer: Customer) -> dict[str, list[int]]:
    """Per Entra SKU id: [active, suspended, warning, consumed] units."""
    units: dict[str, list[int]] = {}
    for sub in ctx.store.subs_by_customer.get(customer.id, {}).values():
        nce.roll(ctx.store, sub, ctx.now)
        offer = catalog.find_offer(sub.catalog_item_id)
        if offer is None:
            continue
        row = units.setdefault(offer.entra_sku_id, [0, 0, 0, 0])
        if sub.status == "active":
            row[0] += sub.quantity
        elif sub.status == "suspended":
            row[1] += sub.quantity
        elif sub.status == "expired":
            row[2] += sub.quantity
    for user in ctx.store.users_by_customer.get(customer.id, {}).values():
        if user.state != "active":
            continue
        for sku_id in user.licenses:
            if sku_id in units:
                units[sku_id][3] += 1
    return units


def subscribed_skus(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    groups = [g.lower() for g in ctx.extra.get("license_groups", [])]
    items = []
    if not groups or "group1" in groups:
        for sku_id, (active, suspended, warning, consumed) in _sku_units(ctx, customer).items():
            items.append(render.subscribed_sku(catalog.BY_ENTRA_SKU[sku_id], active, suspended, warning, consumed))
    return ok(render.collection(items, f"/customers/{customer.id}/subscribedskus"))


def user_licenses(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    user = get_user(ctx, customer)
    items = [render.license_(catalog.BY_ENTRA_SKU[s]) for s in user.licenses if s in catalog.BY_ENTRA_SKU]
    return ok(render.collection(items, f"/customers/{customer.id}/users/{user.id}/licenses"))


def license_updates(ctx: Ctx) -> Reply:
    customer = get_customer(ctx)
    user = get_user(ctx, customer)
    body = ctx.body if isinstance(ctx.body, dict) else None
    if body is None:
        raise invalid_input("the body must be a JSON object (a LicenseUpdate).")
    assign = body.get("licensestoassign") or []
    remove = body.get("licensestoremove") or []
    if not isinstance(assign, list) or not isinstance(remove, list):
        raise invalid_input("LicensesToAssign and LicensesToRemove must be arrays.")
    if user.state != "active":
        raise ApiError(400, 3000, f"User {user.id} is deleted; restore it before assigning licences.")
    units = _sku_units(ctx, customer)
    to_assign: list[str] = []
    for item in assign:
        sku_id = str((item or {}).get("skuid", "") if isinstance(item, dict) else item).lower()
        if sku_id not in units or sku_id not in catalog.BY_ENTRA_SKU:
            raise ApiError(
                400,
                60013,
                f"The license {sku_id} is not available for this customer.",
                [f"SkuId {sku_id} not subscribed"],
            )
        to_assign.append(sku_id)
    to_remove = [str(s.get("skuid", "") if isinstance(s, dict) else s).lower() for s in remove]
    if to_assign and not user.usage_location:
        raise ApiError(
            400, 3000, "License assignment failed because the user has no usage location.", ["UsageLocation"]
        )
    for sku_id in to_assign:
        if sku_id in user.licenses or sku_id in to_remove:
            continue
        active, _, warning, consumed = units[sku_id]
        if active + warning - consumed <= 0:
            raise ApiError(
                400,
                60012,
                "We are sorry, it looks like you have run out of licenses. Buy more licenses, and then try again.",
                [
                    f"LicenseQuotaExceededException : Subscription with Account {customer.id} and SKU {sku_id} "
                    "does not have any available licenses left."
                ],
            )
    for sku_id in to_remove:
        if sku_id in user.licenses:
            user.licenses.remove(sku_id)
    for sku_id in to_assign:
        if sku_id not in user.licenses:
            user.licenses.append(sku_id)
    return ok(
        {
            "licensesToAssign": [{"skuId": s} for s in to_assign],
            "licensesToRemove": to_remove,
            "licenseWarnings": [],
            "attributes": {"objectType": "LicenseUpdate"},
        },
        201,
    )


# ---------------------------------------------------------------------------------------------
# Invoices and reconciliation
# ---------------------------------------------------------------------------------------------

INVOICE_READY_DAY = 8


def invoice_id(year: int, month: int) -> str:
    return f"G{year % 100:02d}{month:02d}00001"


def _parse_invoice(raw: str) -> tuple[int, int]:
    m = re.fullmatch(r"G(\d{2})(\d{2})00001", raw.upper())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ApiError(404, 1000, f"Invoice {raw} not found.")
    return 2000 + int(m.group(1)), int(m.group(2))


def _month_charges(ctx: Ctx, year: int, month: int) -> list:
    return [c for c in ctx.store.charges if c.event_at.year == year and c.event_at.month == month]


def _invoice_ready(ctx: Ctx, year: int, month: int) -> bool:
    nxt = nce.add_months(date(year, month, 1), 1)
    return ctx.now.date() >= nxt.replace(day=INVOICE_READY_DAY)


def _invoice(ctx: Ctx, year: int, month: int, charges: list) -> dict[str, Any]:
    inv = invoice_id(year, month)
    start = date(year, month, 1)
    end = nce.add_months(start, 1) - timedelta(days=1)
    total = sum((c.subtotal for c in charges), Decimal(0))
    currency = charges[0].currency if charges else "USD"
    return {
        "id": inv,
        "invoiceDate": f"{end + timedelta(days=INVOICE_READY_DAY)}T00:00:00Z",
        "billingPeriodStartDate": f"{start}T00:00:00Z",
        "billingPeriodEndDate": f"{end}T00:00:00Z",
        "totalCharges": float(total),
        "paidAmount": 0,
        "currencyCode": currency,
        "currencySymbol": {"USD": "$", "EUR": "€", "GBP": "£", "SEK": "kr", "NOK": "kr", "DKK": "kr"}.get(currency, ""),
        "documentType": "invoice",
        "invoiceType": "OneTime",
        "invoiceDetails": [
            {
                "invoiceLineItemType": "billing_line_items",
                "billingProvider": "one_time",
                "links": {"self": render.link(f"/invoices/{inv}/lineitems/OneTime/BillingLineItems")},
                "attributes": {"objectType": "InvoiceDetail"},
            }
        ],
        "amendments": [],
        "links": {"self": render.link(f"/invoices/{inv}")},
        "attributes": {"objectType": "Invoice"},
    }


def list_invoices(ctx: Ctx) -> Reply:
    months = sorted({(c.event_at.year, c.event_at.month) for c in ctx.store.charges}, reverse=True)
    invoices = [_invoice(ctx, y, m, _month_charges(ctx, y, m)) for y, m in months if _invoice_ready(ctx, y, m)]
    size = page_size(ctx)
    try:
        offset = int(ctx.q("offset") or 0)
    except ValueError as exc:
        raise invalid_input("offset must be a number.") from exc
    chunk = invoices[offset : offset + size]
    body = render.collection(chunk, f"/invoices?size={size}&offset={offset}")
    if offset + size < len(invoices):
        body["links"]["next"] = render.link(f"/invoices?size={size}&offset={offset + size}")
    return ok(body)


def get_invoice(ctx: Ctx) -> Reply:
    year, month = _parse_invoice(ctx.params["iid"])
    if not _invoice_ready(ctx, year, month):
        raise ApiError(404, 1000, f"Invoice {ctx.params['iid']} not found.")
    return ok(_invoice(ctx, year, month, _month_charges(ctx, year, month)))


def _lines(ctx: Ctx, charges: list, invoice_number: str, base_uri: str, extra: str) -> Reply:
    customers = ctx.store.customers
    items = [render.charge_line(c, customers.get(c.customer_id), ctx.partner, invoice_number) for c in charges]
    return ok(seek_page(ctx, items, base_uri, extra))


def invoice_lines(ctx: Ctx) -> Reply:
    iid = ctx.params["iid"]
    if iid.lower() == "unbilled":
        return unbilled_lines(ctx)
    year, month = _parse_invoice(iid)
    if not _invoice_ready(ctx, year, month):
        raise ApiError(404, 1000, f"Invoice {iid} not found.")
    provider = (ctx.params.get("provider") or ctx.q("provider") or "onetime").lower().replace("_", "")
    kind = (ctx.params.get("kind") or ctx.q("invoicelineitemtype") or "billinglineitems").lower().replace("_", "")
    if provider != "onetime" or kind != "billinglineitems":
        raise invalid_input("only provider=onetime and invoicelineitemtype=billinglineitems are emulated.")
    return _lines(
        ctx,
        _month_charges(ctx, year, month),
        invoice_id(year, month),
        f"/invoices/{invoice_id(year, month)}/lineitems/OneTime/BillingLineItems",
        "",
    )


def unbilled_lines(ctx: Ctx) -> Reply:
    period = (ctx.q("period") or "current").lower()
    if period not in ("current", "previous"):
        raise invalid_input("period must be current or previous.")
    today = ctx.now.date()
    month = date(today.year, today.month, 1)
    if period == "previous":
        month = nce.add_months(month, -1)
    charges = _month_charges(ctx, month.year, month.month)
    if _invoice_ready(ctx, month.year, month.month):
        charges = []
    currency = ctx.q("currencycode").upper()
    if currency:
        charges = [c for c in charges if c.currency == currency]
    return _lines(ctx, charges, "", "/invoices/unbilled/lineitems", f"provider=onetime&period={period}")


# ---------------------------------------------------------------------------------------------
# Routing table
# ---------------------------------------------------------------------------------------------

Handler = Callable[[Ctx], Reply]
ROUTES: list[tuple[str, re.Pattern[str], str, Handler]] = []


def route(method: str, template: str, handler: Handler) -> None:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/']+)", re.escape(template))
    ROUTES.append((method, re.compile(f"^{pattern}/?$", re.IGNORECASE), template, handler))


C = "/v1/customers/{cid}"
route("POST", "/v1/customers", post_customer)
route("GET", "/v1/customers", list_customers)
route("GET", "/v1/customers/relationshiprequests", relationship_request)
route("GET", C, get_customer_h)
route("PATCH", C, patch_customer)
route("DELETE", C, delete_customer)
route("GET", C + "/profiles/company", company_profile)
route("GET", C + "/profiles/billing", billing_profile)
route("HEAD", "/v1/domains/{domain}", head_domain)
route("POST", "/v1/validations/address", validate_address_h)
route("GET", "/v1/countryvalidationrules/{iso2}", country_rules_h)
route("GET", "/v1/products", list_products)
route("GET", "/v1/products/{pid}", get_product)
route("GET", "/v1/products/{pid}/skus", list_skus)
route("GET", "/v1/products/{pid}/skus/{skuid}", get_sku)
route("GET", "/v1/products/{pid}/skus/{skuid}/availabilities", list_availabilities)
route("GET", "/v1/products/{pid}/skus/{skuid}/availabilities/{aid}", get_availability)
route("GET", C + "/products", customer_products)
route("GET", C + "/products/{pid}/skus", list_skus)
route("GET", C + "/products/{pid}/skus/{skuid}/availabilities", list_availabilities)
route("GET", "/v1.0/sales/pricesheets(Market='{market}',PricesheetView='{view}')/$value", price_sheet)
route("POST", C + "/carts", post_cart)
route("GET", C + "/carts/{cart}", get_cart)
route("PUT", C + "/carts/{cart}", put_cart)
route("POST", C + "/carts/{cart}/checkout", checkout)
route("GET", C + "/orders", list_orders)
route("GET", C + "/orders/{oid}", get_order)
route("GET", C + "/orders/{oid}/provisioningstatus", provisioning_status)
route("GET", C + "/subscriptions", list_subscriptions)
route("GET", C + "/subscriptions/customTermEndDates", custom_term_end_dates)
route("GET", C + "/subscriptions/{sid}", get_subscription_h)
route("PATCH", C + "/subscriptions/{sid}", patch_subscription)
route("GET", C + "/subscriptions/{sid}/addons", list_addons)
route("GET", C + "/subscriptions/{sid}/provisioningstatus", subscription_provisioning_status)
route("GET", C + "/subscriptions/{sid}/transitionEligibilities", transition_eligibilities)
route("GET", C + "/subscriptions/{sid}/transitions", list_transitions)
route("POST", C + "/subscriptions/{sid}/transitions", post_transition)
route("GET", C + "/subscriptions/{sid}/upgrades", list_upgrades)
route("POST", C + "/users", post_user)
route("GET", C + "/users", list_users)
route("GET", C + "/users/{uid}", get_user_h)
route("PATCH", C + "/users/{uid}", patch_user)
route("DELETE", C + "/users/{uid}", delete_user)
route("GET", C + "/users/{uid}/licenses", user_licenses)
route("POST", C + "/users/{uid}/licenseupdates", license_updates)
route("GET", C + "/subscribedskus", subscribed_skus)
route("GET", "/v1/invoices", list_invoices)
route("GET", "/v1/invoices/unbilled/lineitems", unbilled_lines)
route("GET", "/v1/invoices/{iid}", get_invoice)
route("GET", "/v1/invoices/{iid}/lineitems", invoice_lines)
route("GET", "/v1/invoices/{iid}/lineitems/{provider}/{kind}", invoice_lines)


def resolve(method: str, path: str) -> tuple[str, Handler, dict[str, str]] | str | None:
    """(template, handler, params); or "method" when the path exists for another method; or None."""
    other = False
    for m, pattern, template, handler in ROUTES:
        match = pattern.match(path)
        if match:
            if m == method:
                return template, handler, match.groupdict()
            other = True
    return "method" if other else None


def today_utc() -> datetime:
    return datetime.now(UTC)


__all__ = ["ROUTES", "Ctx", "iso", "resolve"]
