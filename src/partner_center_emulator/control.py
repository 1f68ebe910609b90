"""Control endpoints under ``/_emulator/``: not part of Partner Center, not authenticated and not
throttled. They move the clock, inject faults, change objects "directly in Partner Center"
(no carts, no NCE rules, no charges unless stated), reset, dump state, and report counters.
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import api, catalog, nce, pricing, render
from .errors import ApiError
from .state import Customer, Lot, PriceChange, Store, Withdrawal, iso, to_jsonable
from .validation import lower_keys

FAULT_KINDS = ("429", "500", "503", "delay", "lost_response")


def _store(request: Request) -> Store:
    return request.app.state.store


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    import json

    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return lower_keys(data)


def _parse_time(raw: str) -> datetime:
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


# -- clock ----------------------------------------------------------------------------------------


async def clock(request: Request) -> Response:
    store = _store(request)
    if request.method == "POST":
        try:
            body = await _body(request)
            with store.lock:
                if body.get("now") or body.get("time"):
                    frozen = body.get("frozen", True)
                    store.clock.set(_parse_time(body.get("now") or body.get("time")), frozen=bool(frozen))
                seconds = float(body.get("advanceseconds") or body.get("seconds") or 0)
                days = float(body.get("advancedays") or body.get("days") or 0)
                if seconds or days:
                    store.clock.advance(timedelta(seconds=seconds, days=days))
                nce.roll_all(store)
                store.changed()
        except (ValueError, TypeError) as exc:
            return _error(400, str(exc))
    with store.lock:
        return JSONResponse(store.clock.describe())


# -- faults ---------------------------------------------------------------------------------------


async def faults(request: Request) -> Response:
    store = _store(request)
    if request.method == "DELETE":
        with store.lock:
            store.faults.clear()
        return Response(status_code=204)
    if request.method == "POST":
        try:
            body = await _body(request)
        except ValueError as exc:
            return _error(400, str(exc))
        kind = str(body.get("kind", ""))
        if kind not in FAULT_KINDS:
            return _error(400, f"kind must be one of {', '.join(FAULT_KINDS)}")
        pattern = body.get("pathpattern") or body.get("path") or "*"
        fault = store.add_fault(
            method=str(body.get("method", "*")).upper(),
            path_pattern=str(pattern),
            kind=kind,
            remaining=int(body.get("count", 1)),
            retry_after=int(body.get("retryafter", 30)),
            delay=float(body.get("delay", body.get("seconds", 0)) or 0),
        )
        return JSONResponse(fault.describe(), status_code=201)
    with store.lock:
        return JSONResponse({"items": [f.describe() for f in store.faults]})


async def clear_faults(request: Request) -> Response:
    store = _store(request)
    with store.lock:
        store.faults.clear()
    return Response(status_code=204)


# -- objects "directly in Partner Center" ------------------------------------------------------------


def _direct_customer(store: Store, body: dict[str, Any], now: datetime) -> Customer:
    if "companyprofile" in body or "billingprofile" in body:
        return api.create_customer_record(store, body, now)
    name = str(body.get("companyname") or "Contoso Direct")
    domain = str(body.get("domain") or f"direct{secrets.token_hex(4)}").lower()
    if "." not in domain:
        domain += ".onmicrosoft.com"
    if domain in store.domains:
        raise ApiError(400, 3000, f"the domain {domain} is already in use.")
    country = str(body.get("country") or "US").upper()
    address = {
        "country": country,
        "city": str(body.get("city") or "Redmond"),
        "state": str(body.get("state") or ("WA" if country == "US" else "")),
        "addressLine1": str(body.get("addressline1") or "1 Microsoft Way"),
        "postalCode": str(body.get("postalcode") or ("98052" if country == "US" else "")),
        "firstName": str(body.get("firstname") or "Admin"),
        "lastName": str(body.get("lastname") or "User"),
        "phoneNumber": str(body.get("phonenumber") or ""),
    }
    customer = Customer(
        id=str(body.get("id") or uuid.uuid4()).lower(),
        commerce_id=str(uuid.uuid4()),
        domain=domain,
        company_name=name,
        email=str(body.get("email") or f"admin@{domain}"),
        culture=str(body.get("culture") or "en-US"),
        language=str(body.get("language") or "en"),
        address=address,
        billing_profile_id=str(uuid.uuid4()),
        created_at=_parse_time(body["createdat"]) if body.get("createdat") else now,
        registration_number=str(body.get("organizationregistrationnumber") or ""),
        relationship=str(body.get("relationshiptopartner") or "reseller"),
    )
    if customer.id in store.customers:
        raise ApiError(400, 3000, f"customer {customer.id} already exists.")
    store.add_customer(customer)
    return customer


async def customers(request: Request) -> Response:
    store = _store(request)
    try:
        body = await _body(request)
        with store.lock:
            now = store.clock.now()
            customer = _direct_customer(store, body, now)
            store.changed()
            return JSONResponse(render.customer(customer), status_code=201)
    except ApiError as exc:
        return JSONResponse(exc.body(), status_code=exc.status)
    except ValueError as exc:
        return _error(400, str(exc))


async def customer_change(request: Request) -> Response:
    store = _store(request)
    cid = request.path_params["cid"].lower()
    with store.lock:
        customer = store.customers.get(cid)
        if customer is None:
            return _error(404, f"customer {cid} not found")
        if request.method == "DELETE":
            store.remove_customer(cid)
            store.changed()
            return Response(status_code=204)
        try:
            body = await_sync_body(request)
        except ValueError as exc:
            return _error(400, str(exc))
        if body.get("companyname"):
            customer.company_name = str(body["companyname"])
        if body.get("relationshiptopartner"):
            customer.relationship = str(body["relationshiptopartner"])
        if body.get("email"):
            customer.email = str(body["email"])
        for d in body.get("customdomains") or []:
            if d.lower() not in store.domains:
                customer.custom_domains.append(d.lower())
                store.domains[d.lower()] = customer.id
        store.changed()
        return JSONResponse(render.customer(customer))


def await_sync_body(request: Request) -> dict[str, Any]:
    """The body already read by the wrapper (control handlers that need the lock read it first)."""
    return request.state.body


async def subscriptions(request: Request) -> Response:
    store = _store(request)
    try:
        body = await _body(request)
    except ValueError as exc:
        return _error(400, str(exc))
    with store.lock:
        customer = store.customers.get(str(body.get("customerid", "")).lower())
        if customer is None:
            return _error(404, "customerId does not name a customer")
        raw_offer = str(body.get("catalogitemid") or body.get("offerid") or "")
        offer = catalog.find_offer(raw_offer) or catalog.BY_PRODUCT_SKU.get(raw_offer.upper())
        if offer is None:
            return _error(400, f"unknown catalogItemId {raw_offer!r}")
        term = str(body.get("termduration") or "P1Y")
        cycle = str(body.get("billingcycle") or "monthly").lower()
        if not catalog.supports(offer, term, cycle):
            return _error(400, f"{offer.catalog_item_id} is not sold as {term}/{cycle}")
        now = _parse_time(body["purchasedat"]) if body.get("purchasedat") else store.clock.now()
        sub = nce.new_subscription(
            store,
            customer_id=customer.id,
            offer=offer,
            quantity=int(body.get("quantity", 1)),
            term=term,
            billing_cycle=cycle,
            currency=catalog.currency_for(customer.address.get("country", "US"))[0],
            friendly_name=str(body.get("friendlyname") or ""),
            order_id=str(body.get("orderid") or secrets.token_hex(6)),
            parent_id=str(body.get("parentsubscriptionid") or ""),
            now=now,
            bill=bool(body.get("bill", True)),
        )
        if body.get("id"):
            store.subscriptions.pop(sub.id)
            store.subs_by_customer[customer.id].pop(sub.id)
            sub.id = str(body["id"]).lower()
            store.add_subscription(sub)
        _apply_direct_sub(sub, body)
        nce.roll(store, sub, store.clock.now())
        store.changed()
        return JSONResponse(render.subscription(sub, store.clock.now()), status_code=201)


def _apply_direct_sub(sub: Any, body: dict[str, Any]) -> None:
    if body.get("status"):
        sub.status = str(body["status"]).lower()
    if "autorenewenabled" in body:
        sub.auto_renew = bool(body["autorenewenabled"])
    if body.get("friendlyname"):
        sub.friendly_name = str(body["friendlyname"])
    if "quantity" in body and int(body["quantity"]) != sub.quantity:
        delta = int(body["quantity"]) - sub.quantity
        sub.quantity = int(body["quantity"])
        if delta > 0:
            sub.lots.append(Lot(delta, sub.created_at if not sub.lots else sub.lots[-1].added_at))
        else:
            left = -delta
            for lot in reversed(sub.lots):
                take = min(lot.quantity, left)
                lot.quantity -= take
                left -= take
            sub.lots = [lot for lot in sub.lots if lot.quantity > 0]
    if body.get("commitmentenddate"):
        sub.term_end = _parse_time(body["commitmentenddate"]).date()


async def subscription_change(request: Request) -> Response:
    store = _store(request)
    try:
        body = await _body(request)
    except ValueError as exc:
        return _error(400, str(exc))
    with store.lock:
        sub = store.subscriptions.get(request.path_params["sid"].lower())
        if sub is None:
            return _error(404, "subscription not found")
        _apply_direct_sub(sub, body)
        store.changed()
        return JSONResponse(render.subscription(sub, store.clock.now()))


async def users(request: Request) -> Response:
    store = _store(request)
    try:
        body = await _body(request)
    except ValueError as exc:
        return _error(400, str(exc))
    with store.lock:
        customer = store.customers.get(str(body.get("customerid", "")).lower())
        if customer is None:
            return _error(404, "customerId does not name a customer")
        if not body.get("displayname"):
            body["displayname"] = str(body.get("userprincipalname", "")).split("@")[0] or "User"
        try:
            user = api.create_user_record(store, customer, body, store.clock.now(), direct=True)
        except ApiError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        _apply_direct_user(user, body)
        store.changed()
        return JSONResponse(render.user(user) | {"licenses": user.licenses}, status_code=201)


def _apply_direct_user(user: Any, body: dict[str, Any]) -> None:
    if isinstance(body.get("licenses"), list):
        user.licenses = [str(s).lower() for s in body["licenses"]]
    if body.get("state"):
        user.state = str(body["state"]).lower()
    if body.get("displayname"):
        user.display_name = str(body["displayname"])
    if body.get("usagelocation"):
        user.usage_location = str(body["usagelocation"]).upper()


async def user_change(request: Request) -> Response:
    store = _store(request)
    try:
        body = await _body(request)
    except ValueError as exc:
        return _error(400, str(exc))
    with store.lock:
        user = store.users.get(request.path_params["uid"].lower())
        if user is None:
            return _error(404, "user not found")
        _apply_direct_user(user, body)
        store.changed()
        return JSONResponse(render.user(user) | {"licenses": user.licenses})


# -- catalog: dated price changes and withdrawals ------------------------------------------------------


class FieldError(ValueError):
    """A bad control-call field: answered 400 ``{"error": ..., "field": ...}``."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.field = name


def _field_error(exc: FieldError) -> JSONResponse:
    return JSONResponse({"error": str(exc), "field": exc.field}, status_code=400)


def _offer_of(body: dict[str, Any]) -> catalog.Offer:
    product_id = str(body.get("productid") or "").strip().upper()
    sku_id = str(body.get("skuid") or "").strip().upper()
    if not product_id:
        raise FieldError("productId", "is required (e.g. CFQ7TTC0LH18).")
    if product_id not in catalog.PRODUCTS:
        raise FieldError("productId", f"{product_id} is not a product of the emulator's catalog.")
    if not sku_id:
        raise FieldError("skuId", "is required (e.g. 0001).")
    offer = catalog.BY_PRODUCT_SKU.get(f"{product_id}:{sku_id}")
    if offer is None:
        raise FieldError("skuId", f"{sku_id} is not a SKU of product {product_id}.")
    return offer


def _effective_date(body: dict[str, Any]) -> date:
    raw = body.get("effectivedate")
    if not raw:
        raise FieldError("effectiveDate", "is required (YYYY-MM-DD).")
    if not isinstance(raw, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise FieldError("effectiveDate", f"{raw!r} is not a date in the form YYYY-MM-DD.")
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise FieldError("effectiveDate", f"{raw!r} is not a date in the form YYYY-MM-DD.") from exc
    if day < pricing.CATALOG_START:
        raise FieldError("effectiveDate", f"must not be before the catalog's start, {pricing.CATALOG_START}.")
    return day


def _price(body: dict[str, Any], key: str, name: str, term: str, plan: str) -> Decimal | None:
    raw = body.get(key)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise FieldError(name, f'must be a decimal string such as "72.00", not {type(raw).__name__} {raw!r}.')
    try:
        value = Decimal(raw.strip())
    except InvalidOperation as exc:
        raise FieldError(name, f"{raw!r} is not a decimal number.") from exc
    if not value.is_finite() or value <= 0:
        raise FieldError(name, f"{raw!r} must be a positive amount.")
    if value != value.quantize(pricing.CENT):
        raise FieldError(name, f"{raw!r} has more than two decimals.")
    value = value.quantize(pricing.CENT)
    n = pricing.cycles(term, plan)
    per_cycle = (value / n).quantize(pricing.CENT)
    if per_cycle * n != value:
        raise FieldError(
            name,
            f"{value} is the price of the whole {term} term; billed {plan} it must split into {n} equal charges "
            f"of whole cents (e.g. {per_cycle * n} or {(per_cycle + pricing.CENT) * n}).",
        )
    return value


def _describe_change(change: PriceChange) -> dict[str, Any]:
    return {
        "productId": change.product_id,
        "skuId": change.sku_id,
        "termDuration": change.term,
        "billingPlan": change.billing_plan,
        "unitPrice": None if change.unit_price is None else str(change.unit_price),
        "erpPrice": None if change.erp_price is None else str(change.erp_price),
        "effectiveDate": change.effective.isoformat(),
        "currency": "USD",
    }


def _new_price_change(body: dict[str, Any]) -> PriceChange:
    offer = _offer_of(body)
    term = str(body.get("termduration") or "").strip().upper()
    if not term:
        raise FieldError("termDuration", "is required (P1M, P1Y or P3Y).")
    if term not in {t for t, _ in offer.terms}:
        sold = ", ".join(sorted({t for t, _ in offer.terms}))
        raise FieldError("termDuration", f"{term} is not a term of {offer.product_sku} (sold as {sold}).")
    plan = str(body.get("billingplan") or body.get("billingcycle") or "").strip().lower()
    if not plan:
        raise FieldError("billingPlan", "is required (Monthly, Annual or Triennial).")
    if not catalog.supports(offer, term, plan):
        plans = ", ".join(c for t, c in offer.terms if t == term)
        raise FieldError("billingPlan", f"{plan} is not a billing plan of {offer.product_sku} {term} ({plans}).")
    unit = _price(body, "unitprice", "unitPrice", term, plan)
    erp = _price(body, "erpprice", "erpPrice", term, plan)
    if unit is None and erp is None:
        raise FieldError("unitPrice", "give unitPrice and/or erpPrice (decimal strings, US dollars per term).")
    return PriceChange(
        product_id=offer.product_id,
        sku_id=offer.sku_id,
        term=term,
        billing_plan=plan,
        effective=_effective_date(body),
        unit_price=unit,
        erp_price=erp,
    )


async def prices(request: Request) -> Response:
    store = _store(request)
    if request.method == "POST":
        try:
            body = await _body(request)
            change = _new_price_change(body)
        except FieldError as exc:
            return _field_error(exc)
        except ValueError as exc:
            return _error(400, str(exc))
        with store.lock:
            change = pricing.schedule(store, change)
            store.changed()
            return JSONResponse(_describe_change(change), status_code=201)
    with store.lock:
        return JSONResponse({"items": [_describe_change(c) for c in store.price_changes]})


def _describe_withdrawal(withdrawal: Withdrawal) -> dict[str, Any]:
    return {
        "productId": withdrawal.product_id,
        "skuId": withdrawal.sku_id,
        "effectiveDate": withdrawal.effective.isoformat(),
    }


async def withdrawals(request: Request) -> Response:
    store = _store(request)
    if request.method == "POST":
        try:
            body = await _body(request)
            offer = _offer_of(body)
            withdrawal = Withdrawal(offer.product_id, offer.sku_id, _effective_date(body))
        except FieldError as exc:
            return _field_error(exc)
        except ValueError as exc:
            return _error(400, str(exc))
        with store.lock:
            store.withdrawals[offer.product_sku] = withdrawal
            store.changed()
            return JSONResponse(_describe_withdrawal(withdrawal), status_code=201)
    with store.lock:
        items = sorted(store.withdrawals.values(), key=lambda w: (w.effective, w.product_id, w.sku_id))
        return JSONResponse({"items": [_describe_withdrawal(w) for w in items]})


# -- reset, state, config, stats --------------------------------------------------------------------


async def reset(request: Request) -> Response:
    _store(request).reset()
    return Response(status_code=204)


async def state(request: Request) -> Response:
    snapshot = _store(request).snapshot()
    snapshot.pop("idempotency", None)
    return JSONResponse(snapshot)


async def config(request: Request) -> Response:
    store = _store(request)
    emulator = request.app.state.emulator
    if request.method == "POST":
        try:
            body = await _body(request)
        except ValueError as exc:
            return _error(400, str(exc))
        with store.lock:
            if "ratelimit" in body:
                store.limiter.per_minute = int(body["ratelimit"])
                store.limiter.reset()
            if "pagesize" in body:
                store.page_size = max(1, int(body["pagesize"]))
            if "minimalpatchdisablesautorenew" in body:
                emulator.config.minimal_patch_disables_autorenew = bool(body["minimalpatchdisablesautorenew"])
            if "provisioningdelayseconds" in body:
                try:
                    delay = float(body["provisioningdelayseconds"])
                except (TypeError, ValueError):
                    return _error(400, "provisioningDelaySeconds must be a number of seconds")
                if delay < 0:
                    return _error(400, "provisioningDelaySeconds must not be negative")
                store.provisioning_delay = delay
                nce.provision_due(store, store.clock.now())
    with store.lock:
        return JSONResponse(
            {
                "rateLimit": store.limiter.per_minute,
                "pageSize": store.page_size,
                "minimalPatchDisablesAutoRenew": emulator.config.minimal_patch_disables_autorenew,
                "provisioningDelaySeconds": store.provisioning_delay,
                "tenantId": emulator.config.tenant_id,
                "clientId": emulator.config.client_id,
                "stateFile": str(store.state_file) if store.state_file else None,
            }
        )


async def stats(request: Request) -> Response:
    store = _store(request)
    with store.lock:
        if request.method == "DELETE":
            store.counters.clear()
            store.throttled = 0
            store.faults_served = 0
            store.request_log.clear()
            return Response(status_code=204)
        return JSONResponse(
            {
                "calls": dict(store.counters),
                "totalCalls": sum(store.counters.values()),
                "throttled": store.throttled,
                "faultsServed": store.faults_served,
                "customers": len(store.customers),
                "subscriptions": len(store.subscriptions),
                "users": len(store.users),
            }
        )


async def requests_log(request: Request) -> Response:
    store = _store(request)
    with store.lock:
        return JSONResponse({"items": list(store.request_log)})


async def health(request: Request) -> Response:
    store = _store(request)
    with store.lock:
        return JSONResponse({"status": "ok", "now": iso(store.clock.now())})


async def _with_body(request: Request, handler: Any) -> Response:
    try:
        request.state.body = await _body(request)
    except ValueError as exc:
        return _error(400, str(exc))
    return await handler(request)


async def customer_change_entry(request: Request) -> Response:
    return await _with_body(request, customer_change)


def routes() -> list[Route]:
    p = "/_emulator"
    return [
        Route(p + "/health", health, methods=["GET"]),
        Route(p + "/clock", clock, methods=["GET", "POST"]),
        Route(p + "/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route(p + "/faults/clear", clear_faults, methods=["POST"]),
        Route(p + "/customers", customers, methods=["POST"]),
        Route(p + "/customers/{cid}", customer_change_entry, methods=["POST", "DELETE"]),
        Route(p + "/subscriptions", subscriptions, methods=["POST"]),
        Route(p + "/subscriptions/{sid}", subscription_change, methods=["POST"]),
        Route(p + "/users", users, methods=["POST"]),
        Route(p + "/users/{uid}", user_change, methods=["POST"]),
        Route(p + "/prices", prices, methods=["GET", "POST"]),
        Route(p + "/withdrawals", withdrawals, methods=["GET", "POST"]),
        Route(p + "/reset", reset, methods=["POST"]),
        Route(p + "/state", state, methods=["GET"]),
        Route(p + "/config", config, methods=["GET", "POST"]),
        Route(p + "/stats", stats, methods=["GET", "DELETE"]),
        Route(p + "/requests", requests_log, methods=["GET"]),
    ]


__all__ = ["routes", "to_jsonable"]
