"""In-memory state: the partner's customers, users, subscriptions, orders, carts and charges, the
catalog's dated price changes and withdrawals, plus the emulator's own machinery (clock, faults,
counters, idempotency records, rate limiter).

Every change happens under ``Store.lock`` (a plain ``threading.RLock``): request handlers do
their work synchronously under it, so concurrent requests see each other's changes whole.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import os
import threading
import time
import typing
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

log = logging.getLogger("partner_center_emulator")

IDEMPOTENCY_CAPACITY = 250_000
STATE_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------------------------


@dataclass
class Customer:
    id: str
    commerce_id: str
    domain: str
    company_name: str
    email: str
    culture: str
    language: str
    address: dict[str, str]
    billing_profile_id: str
    created_at: datetime
    registration_number: str = ""
    relationship: str = "reseller"
    enable_gdap: bool = False
    custom_domains: list[str] = field(default_factory=list)
    etag: str = "1"


@dataclass
class User:
    id: str
    customer_id: str
    user_principal_name: str
    first_name: str
    last_name: str
    display_name: str
    usage_location: str
    created_at: datetime
    immutable_id: str = ""
    state: str = "active"
    soft_deleted_at: datetime | None = None
    licenses: list[str] = field(default_factory=list)


@dataclass
class Lot:
    """Seats added at one moment (purchase, renewal or a mid-term increase)."""

    quantity: int
    added_at: datetime


@dataclass
class Subscription:
    id: str
    customer_id: str
    catalog_item_id: str
    offer_name: str
    friendly_name: str
    quantity: int
    status: str
    auto_renew: bool
    billing_cycle: str
    term: str
    created_at: datetime
    term_start: datetime
    term_end: date
    next_charge: date
    unit_price: Decimal
    currency: str
    order_id: str = ""
    parent_id: str = ""
    lots: list[Lot] = field(default_factory=list)
    suspended_at: datetime | None = None
    ended_at: datetime | None = None
    update_count: int = 0
    etag: int = 1
    # The start of the charge cycles (the term start unless a billing-plan change or a partial
    # upgrade re-anchored them) and of the cancellation window (the term start unless a term change
    # or an upgrade kept an earlier one).
    cycle_anchor: date | None = None
    window_from: datetime | None = None
    # Partner Center's camelCase shapes, as they are rendered: applied at renewal / next charge.
    scheduled: dict[str, Any] | None = None
    next_charge_instructions: dict[str, Any] | None = None


@dataclass
class Order:
    id: str
    customer_id: str
    billing_cycle: str
    currency: str
    currency_symbol: str
    created_at: datetime
    lines: list[dict[str, Any]]
    status: str = "completed"
    # When provisioning completes (emulator clock); None: completed at once.
    provision_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass
class Cart:
    id: str
    customer_id: str
    created_at: datetime
    modified_at: datetime
    expires_at: datetime
    lines: list[dict[str, Any]]
    status: str = "Active"
    order_ids: list[str] = field(default_factory=list)


@dataclass
class Charge:
    """One reconciliation line (NCE ``OneTimeInvoiceLineItem``)."""

    id: str
    customer_id: str
    subscription_id: str
    order_id: str
    catalog_item_id: str
    charge_type: str
    event_at: datetime
    charge_start: date
    charge_end: date
    unit_price: Decimal
    effective_unit_price: Decimal
    quantity: int
    subtotal: Decimal
    currency: str
    reference_id: str
    term: str
    billing_cycle: str
    subscription_start: date
    subscription_end: date


@dataclass
class Transition:
    """One NCE transition (upgrade) of a subscription, as ``GET .../transitions`` lists it."""

    id: str
    customer_id: str
    from_subscription_id: str
    from_catalog_item_id: str
    to_subscription_id: str
    to_catalog_item_id: str
    quantity: int
    term: str
    billing_cycle: str
    transition_type: str
    created_at: datetime
    status: str = "completed"


@dataclass
class PriceChange:
    """A dated change of one price-sheet row (product SKU, term, billing plan), in US dollars for
    the whole term as the price sheet states it; ``None`` leaves that price as it was."""

    product_id: str
    sku_id: str
    term: str
    billing_plan: str
    effective: date
    unit_price: Decimal | None = None
    erp_price: Decimal | None = None


@dataclass
class Withdrawal:
    """A product SKU's end of sale: from ``effective`` (00:00 UTC) it can no longer be bought."""

    product_id: str
    sku_id: str
    effective: date


ENTITY_TYPES = {"customers": Customer, "users": User, "subscriptions": Subscription, "orders": Order, "carts": Cart}


# ---------------------------------------------------------------------------------------------
# (De)serialisation of dataclasses to JSON-able dicts
# ---------------------------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _convert(tp: Any, raw: Any) -> Any:
    if raw is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(args[0], raw)
    if origin is list:
        (inner,) = typing.get_args(tp)
        return [_convert(inner, r) for r in raw]
    if tp is datetime:
        return datetime.fromisoformat(raw)
    if tp is date:
        return date.fromisoformat(raw)
    if tp is Decimal:
        return Decimal(raw)
    if dataclasses.is_dataclass(tp):
        return from_jsonable(tp, raw)
    return raw


def from_jsonable(cls: type, raw: dict[str, Any]) -> Any:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: _convert(hints[k], v) for k, v in raw.items() if k in names})


# ---------------------------------------------------------------------------------------------
# Clock, rate limiter
# ---------------------------------------------------------------------------------------------


class Clock:
    """The emulator's notion of "now" for every NCE window, term and charge.

    Follows real time until set; ``set`` freezes it at the given moment unless ``frozen=False``
    (then it runs on from there). ``advance`` moves it either way.
    """

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.frozen_at: datetime | None = None

    def now(self) -> datetime:
        return self.frozen_at if self.frozen_at is not None else utcnow() + self.offset

    def set(self, moment: datetime, *, frozen: bool = True) -> None:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
        if frozen:
            self.frozen_at = moment
        else:
            self.frozen_at = None
            self.offset = moment - utcnow()

    def advance(self, delta: timedelta) -> None:
        if self.frozen_at is not None:
            self.frozen_at += delta
        else:
            self.offset += delta

    def reset(self) -> None:
        self.offset = timedelta(0)
        self.frozen_at = None

    def describe(self) -> dict[str, Any]:
        return {
            "now": iso(self.now()),
            "frozen": self.frozen_at is not None,
            "offsetSeconds": self.offset.total_seconds(),
        }

    def dump(self) -> dict[str, Any]:
        return {
            "offset": self.offset.total_seconds(),
            "frozenAt": self.frozen_at.isoformat() if self.frozen_at else None,
        }

    def load(self, raw: dict[str, Any]) -> None:
        self.offset = timedelta(seconds=raw.get("offset", 0))
        self.frozen_at = datetime.fromisoformat(raw["frozenAt"]) if raw.get("frozenAt") else None


class RateLimiter:
    """Sliding one-minute window per partner: at most ``per_minute`` accepted calls in any 60 s."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.calls: dict[str, deque[float]] = collections.defaultdict(deque)

    def check(self, partner: str) -> int:
        """Record a call and answer 0, or answer the seconds to wait (the call is not recorded)."""
        if self.per_minute <= 0:
            return 0
        now = time.monotonic()
        window = self.calls[partner]
        while window and window[0] <= now - 60.0:
            window.popleft()
        if len(window) >= self.per_minute:
            wait = 60.0 - (now - window[0])
            return max(1, int(wait + 0.999))
        window.append(now)
        return 0

    def reset(self) -> None:
        self.calls.clear()


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------------------------


@dataclass
class Fault:
    id: int
    method: str
    path_pattern: str
    kind: str
    remaining: int
    retry_after: int = 30
    delay: float = 0.0
    served: int = 0

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "pathPattern": self.path_pattern,
            "kind": self.kind,
            "remaining": self.remaining,
            "retryAfter": self.retry_after,
            "delay": self.delay,
            "served": self.served,
        }


class Store:
    def __init__(
        self,
        *,
        state_file: str | None = None,
        rate_limit: int = 500,
        page_size: int = 100,
        provisioning_delay: float = 30.0,
    ) -> None:
        self.lock = threading.RLock()
        self.default_provisioning_delay = provisioning_delay
        self.provisioning_delay = provisioning_delay
        self.clock = Clock()
        self.limiter = RateLimiter(rate_limit)
        self.page_size = page_size
        self.state_file = Path(state_file) if state_file else None
        self.faults: list[Fault] = []
        self._fault_ids = 0
        self.counters: collections.Counter[str] = collections.Counter()
        self.throttled = 0
        self.faults_served = 0
        self.idempotency: OrderedDict[tuple[str, str], tuple[str, str, int, list[tuple[str, str]], bytes]] = (
            OrderedDict()
        )
        self.request_log: deque[dict[str, Any]] = deque(maxlen=1000)
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._saver: threading.Thread | None = None
        self.clear()

    # -- domain data -----------------------------------------------------------------------------

    def clear(self) -> None:
        self.customers: dict[str, Customer] = {}
        self.domains: dict[str, str] = {}
        self.users: dict[str, User] = {}
        self.users_by_customer: dict[str, dict[str, User]] = collections.defaultdict(dict)
        self.upns: dict[str, str] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.subs_by_customer: dict[str, dict[str, Subscription]] = collections.defaultdict(dict)
        self.orders: dict[str, Order] = {}
        self.carts: dict[str, Cart] = {}
        self.charges: list[Charge] = []
        self.transitions: list[Transition] = []
        self.pending_orders: set[str] = set()
        self.price_changes: list[PriceChange] = []
        self.withdrawals: dict[str, Withdrawal] = {}

    def reset(self) -> None:
        with self.lock:
            self.clear()
            self.clock.reset()
            self.provisioning_delay = self.default_provisioning_delay
            self.faults.clear()
            self.counters.clear()
            self.throttled = 0
            self.faults_served = 0
            self.idempotency.clear()
            self.request_log.clear()
            self.limiter.reset()
            self.changed()

    def add_customer(self, customer: Customer) -> None:
        self.customers[customer.id] = customer
        self.domains[customer.domain.lower()] = customer.id
        for d in customer.custom_domains:
            self.domains.setdefault(d.lower(), customer.id)

    def remove_customer(self, customer_id: str) -> None:
        customer = self.customers.pop(customer_id)
        for d, cid in list(self.domains.items()):
            if cid == customer.id:
                del self.domains[d]
        for user in self.users_by_customer.pop(customer_id, {}).values():
            self.users.pop(user.id, None)
            self.upns.pop(user.user_principal_name.lower(), None)
        for sub in self.subs_by_customer.pop(customer_id, {}).values():
            self.subscriptions.pop(sub.id, None)

    def add_user(self, user: User) -> None:
        self.users[user.id] = user
        self.users_by_customer[user.customer_id][user.id] = user
        self.upns[user.user_principal_name.lower()] = user.id

    def add_subscription(self, sub: Subscription) -> None:
        self.subscriptions[sub.id] = sub
        self.subs_by_customer[sub.customer_id][sub.id] = sub

    # -- idempotency ------------------------------------------------------------------------------

    def remembered(self, partner: str, request_id: str) -> tuple[str, str, int, list[tuple[str, str]], bytes] | None:
        return self.idempotency.get((partner, request_id.lower()))

    def remember(
        self, partner: str, request_id: str, method: str, path: str, status: int, headers: list, body: bytes
    ) -> None:
        self.idempotency[(partner, request_id.lower())] = (method, path, status, headers, body)
        while len(self.idempotency) > IDEMPOTENCY_CAPACITY:
            self.idempotency.popitem(last=False)

    # -- faults -----------------------------------------------------------------------------------

    def add_fault(self, **kwargs: Any) -> Fault:
        with self.lock:
            self._fault_ids += 1
            fault = Fault(id=self._fault_ids, **kwargs)
            self.faults.append(fault)
            return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        import fnmatch
        import re

        with self.lock:
            for fault in self.faults:
                if fault.remaining <= 0:
                    continue
                if fault.method not in ("*", method):
                    continue
                pattern = fault.path_pattern
                matched = re.search(pattern, path) if pattern.startswith("^") else fnmatch.fnmatchcase(path, pattern)
                if not matched:
                    continue
                fault.remaining -= 1
                fault.served += 1
                self.faults_served += 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # -- persistence ------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "version": STATE_VERSION,
                "clock": self.clock.dump(),
                "customers": [to_jsonable(c) for c in self.customers.values()],
                "users": [to_jsonable(u) for u in self.users.values()],
                "subscriptions": [to_jsonable(s) for s in self.subscriptions.values()],
                "orders": [to_jsonable(o) for o in self.orders.values()],
                "carts": [to_jsonable(c) for c in self.carts.values()],
                "charges": [to_jsonable(c) for c in self.charges],
                "transitions": [to_jsonable(t) for t in self.transitions],
                "priceChanges": [to_jsonable(c) for c in self.price_changes],
                "withdrawals": [to_jsonable(w) for w in self.withdrawals.values()],
                "idempotency": [
                    [p, r, m, path, st, h, body.decode("utf-8")]
                    for (p, r), (m, path, st, h, body) in self.idempotency.items()
                ],
            }

    def restore(self, raw: dict[str, Any]) -> None:
        with self.lock:
            self.clear()
            self.clock.load(raw.get("clock", {}))
            for c in raw.get("customers", []):
                self.add_customer(from_jsonable(Customer, c))
            for u in raw.get("users", []):
                self.add_user(from_jsonable(User, u))
            for s in raw.get("subscriptions", []):
                self.add_subscription(from_jsonable(Subscription, s))
            for o in raw.get("orders", []):
                order = from_jsonable(Order, o)
                self.orders[order.id] = order
                if order.status == "pending":
                    self.pending_orders.add(order.id)
            for c in raw.get("carts", []):
                cart = from_jsonable(Cart, c)
                self.carts[cart.id] = cart
            self.charges = [from_jsonable(Charge, c) for c in raw.get("charges", [])]
            self.transitions = [from_jsonable(Transition, t) for t in raw.get("transitions", [])]
            self.price_changes = [from_jsonable(PriceChange, c) for c in raw.get("priceChanges", [])]
            for w in raw.get("withdrawals", []):
                withdrawal = from_jsonable(Withdrawal, w)
                self.withdrawals[f"{withdrawal.product_id}:{withdrawal.sku_id}"] = withdrawal
            self.idempotency.clear()
            for p, r, m, path, st, h, body in raw.get("idempotency", []):
                self.idempotency[(p, r)] = (m, path, st, [tuple(x) for x in h], body.encode("utf-8"))

    def load(self) -> bool:
        if not self.state_file or not self.state_file.exists():
            return False
        self.restore(json.loads(self.state_file.read_text("utf-8")))
        log.info("loaded state from %s", self.state_file)
        return True

    def save(self) -> None:
        if not self.state_file:
            return
        data = json.dumps(self.snapshot(), separators=(",", ":"))
        tmp = self.state_file.with_name(self.state_file.name + ".tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(data, "utf-8")
        os.replace(tmp, self.state_file)

    def changed(self) -> None:
        if self.state_file:
            self._dirty.set()

    def start_saver(self, debounce: float = 2.0) -> None:
        """Save the state ``debounce`` seconds after a change, on a background thread."""
        if not self.state_file or self._saver is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.is_set():
                if self._dirty.wait(timeout=0.2):
                    if self._stop.wait(debounce):
                        break
                    self._dirty.clear()
                    try:
                        self.save()
                    except Exception:  # pragma: no cover - disk trouble is logged, not fatal
                        log.exception("could not save state to %s", self.state_file)

        self._saver = threading.Thread(target=run, name="emulator-state-saver", daemon=True)
        self._saver.start()

    def stop_saver(self) -> None:
        """Stop the saver and write the state one last time."""
        self._stop.set()
        if self._saver is not None:
            self._saver.join(timeout=5)
            self._saver = None
        if self.state_file:
            self._dirty.clear()
            self.save()
