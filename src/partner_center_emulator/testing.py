"""Start the Partner Center emulator from tests.

    from partner_center_emulator.testing import running_emulator

    with running_emulator() as pc:                  # a real uvicorn server on a free 127.0.0.1 port
        pc.base_url                                 # "http://127.0.0.1:PORT"  (Partner Center API root)
        pc.authority                                # pc.base_url + "/" + pc.tenant_id
        pc.msal_authority                           # https://127.0.0.1:PORT/<tenant> (what MSAL accepts)
        pc.tenant_id, pc.client_id, pc.client_secret, pc.scope
        pc.msal_app()                               # a ready msal.ConfidentialClientApplication
        pc.token()                                  # an access token (client credentials)
        pc.reset()                                  # forget everything (clock, faults, counters too)
        pc.set_clock(datetime(2025, 1, 31, tzinfo=UTC), frozen=True)
        pc.advance(seconds=0, days=0)               # move the clock; renewals and cycle charges follow
        pc.now() -> datetime
        pc.inject_fault(method, path_pattern, kind, count=1, **params) -> dict
            # kind: "429" (retry_after=), "500", "503" (retry_after=), "delay" (delay=seconds),
            #       "lost_response" (the change is made, then the connection is dropped).
            # path_pattern: fnmatch glob on the request path ("/v1/customers*"), or a regex when it
            #               starts with "^"; method "*" matches any method.
        pc.clear_faults(); pc.faults() -> list[dict]
        pc.create_customer_directly(company_name=..., domain=..., country="US", **fields) -> dict
        pc.update_customer_directly(customer_id, **fields) -> dict
        pc.create_subscription_directly(customer_id, catalog_item_id, quantity=1, term_duration="P1Y",
                                        billing_cycle="monthly", **fields) -> dict
        pc.update_subscription_directly(subscription_id, **fields) -> dict
        pc.create_user_directly(customer_id, user_principal_name, display_name=None, licenses=(), **fields) -> dict
        pc.update_user_directly(user_id, **fields) -> dict
        pc.change_price("CFQ7TTC0LH18:0001", "P1Y", "annual", unit_price="60.00", erp_price="75.00",
                        effective=date(2025, 7, 1)) -> dict
            # a dated change of one price-sheet row, US dollars for the whole term (decimal strings
            # or Decimal); unit_price = partner cost, erp_price = retail; either may be left out.
        pc.price_changes() -> list[dict]
        pc.withdraw("CFQ7TTC0LH18:0001", effective=date(2025, 7, 1)) -> dict   # end of sale from that day
        pc.withdrawals() -> list[dict]
        pc.stats() -> dict          # {"calls": {"GET /v1/customers/{cid}": n, ...}, "totalCalls", "throttled", ...}
        pc.reset_stats()
        pc.state() -> dict          # every object the emulator holds
        pc.set_rate_limit(n)        # calls per minute per partner; 0 = unlimited
        pc.set_page_size(n)
        pc.set_provisioning_delay(seconds)  # checkout -> orders completed after this long on the
                                    # emulator's clock (default 30; 0 = provisioned during checkout;
                                    # reset() restores the default)
        pc.stop(); pc.start()       # Partner Center "down for a while": same port, same state

``running_emulator(**config)`` takes the fields of ``EmulatorConfig`` (tenant_id, client_id,
client_secret, rate_limit (default 500), page_size (default 100), state_file, tls, ...); ``port``
defaults to a free port. Extra keyword fields of the ``*_directly`` helpers are passed as they
are (snake_case becomes camelCase): e.g. ``status="suspended"``, ``auto_renew_enabled=False``,
``purchased_at="2025-01-01T00:00:00Z"``, ``licenses=[entra_sku_id]``, ``id=...``.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx

from .config import SCOPE, EmulatorConfig
from .server import BackgroundServer, free_port, make_store


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class RunningEmulator:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.store = make_store(config)
        self._server = BackgroundServer(config, self.store)
        scheme = "https" if config.tls else "http"
        self.base_url = f"{scheme}://{config.host}:{config.port}"
        self.tenant_id = config.tenant_id
        self.client_id = config.client_id
        self.client_secret = config.client_secret
        self.scope = SCOPE
        self.authority = f"{self.base_url}/{self.tenant_id}"
        self.msal_authority = f"https://{config.host}:{config.port}/{self.tenant_id}"
        self._http: httpx.Client | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    @property
    def ca_file(self) -> str | None:
        """With ``tls=True``: the self-signed certificate to trust (``verify=``)."""
        return self.config.extra.get("ca_file")

    def ssl_context(self) -> ssl.SSLContext | None:
        """With ``tls=True``: an SSL context trusting the emulator's certificate (for httpx ``verify=``)."""
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None

    def start(self) -> None:
        self._server.start()
        if self._http is None:
            self._http = httpx.Client(base_url=self.base_url, timeout=30, verify=self.ssl_context() or True)

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        self._server.stop()

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            raise RuntimeError("the emulator is stopped")
        return self._http

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, "/_emulator" + path, json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"emulator control call {method} {path} failed: {response.status_code} {response.text}")
        return response.json() if response.content else None

    # -- tokens --------------------------------------------------------------------------------------

    def msal_app(self, **kwargs: Any) -> Any:
        """An ``msal.ConfidentialClientApplication`` for this emulator (see docs/emulator.md)."""
        import msal

        if self.config.tls:
            kwargs.setdefault("verify", self.ca_file)
        else:
            kwargs.setdefault("http_client", LoopbackHttpClient())
        kwargs.setdefault("client_credential", self.client_secret)
        return msal.ConfidentialClientApplication(
            self.client_id,
            authority=self.msal_authority,
            validate_authority=False,
            instance_discovery=False,
            **kwargs,
        )

    def token(self) -> str:
        result = self.msal_app().acquire_token_for_client(scopes=[self.scope])
        if "access_token" not in result:
            raise RuntimeError(f"no token: {result}")
        return result["access_token"]

    # -- control -------------------------------------------------------------------------------------

    def reset(self) -> None:
        self._call("POST", "/reset")

    def set_clock(self, moment: datetime, *, frozen: bool = True) -> dict:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return self._call("POST", "/clock", {"now": moment.isoformat(), "frozen": frozen})

    def advance(self, seconds: float = 0, days: float = 0) -> dict:
        return self._call("POST", "/clock", {"advanceSeconds": seconds, "advanceDays": days})

    def now(self) -> datetime:
        return datetime.fromisoformat(self._call("GET", "/clock")["now"].replace("Z", "+00:00"))

    def inject_fault(self, method: str, path_pattern: str, kind: str, count: int = 1, **params: Any) -> dict:
        body = {"method": method, "pathPattern": path_pattern, "kind": kind, "count": count}
        body.update({_camel(k): v for k, v in params.items()})
        return self._call("POST", "/faults", body)

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def faults(self) -> list[dict]:
        return self._call("GET", "/faults")["items"]

    def create_customer_directly(
        self, company_name: str = "Contoso", domain: str | None = None, country: str = "US", **fields: Any
    ) -> dict:
        body = {"companyName": company_name, "country": country, **{_camel(k): v for k, v in fields.items()}}
        if domain:
            body["domain"] = domain
        return self._call("POST", "/customers", body)

    def update_customer_directly(self, customer_id: str, **fields: Any) -> dict:
        return self._call("POST", f"/customers/{customer_id}", {_camel(k): v for k, v in fields.items()})

    def create_subscription_directly(
        self,
        customer_id: str,
        catalog_item_id: str,
        quantity: int = 1,
        term_duration: str = "P1Y",
        billing_cycle: str = "monthly",
        **fields: Any,
    ) -> dict:
        body = {
            "customerId": customer_id,
            "catalogItemId": catalog_item_id,
            "quantity": quantity,
            "termDuration": term_duration,
            "billingCycle": billing_cycle,
            **{_camel(k): v for k, v in fields.items()},
        }
        return self._call("POST", "/subscriptions", body)

    def update_subscription_directly(self, subscription_id: str, **fields: Any) -> dict:
        return self._call("POST", f"/subscriptions/{subscription_id}", {_camel(k): v for k, v in fields.items()})

    def create_user_directly(
        self,
        customer_id: str,
        user_principal_name: str,
        display_name: str | None = None,
        licenses: tuple | list = (),
        **fields: Any,
    ) -> dict:
        body = {
            "customerId": customer_id,
            "userPrincipalName": user_principal_name,
            "displayName": display_name or user_principal_name.split("@")[0],
            "licenses": list(licenses),
            "usageLocation": fields.pop("usage_location", "US"),
            **{_camel(k): v for k, v in fields.items()},
        }
        return self._call("POST", "/users", body)

    def update_user_directly(self, user_id: str, **fields: Any) -> dict:
        return self._call("POST", f"/users/{user_id}", {_camel(k): v for k, v in fields.items()})

    @staticmethod
    def _product_sku(product_sku: str) -> dict[str, str]:
        product_id, sku_id = [*product_sku.split(":"), ""][:2]
        return {"productId": product_id, "skuId": sku_id}

    @staticmethod
    def _day(value: date | str) -> str:
        if isinstance(value, datetime):
            value = value.date()
        return value.isoformat() if isinstance(value, date) else value

    @staticmethod
    def _amount(value: str | Decimal | None) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str | Decimal):
            raise TypeError(f"prices are decimal strings or Decimal, not {type(value).__name__}")
        return str(value)

    def change_price(
        self,
        product_sku: str,
        term: str,
        billing_plan: str,
        unit_price: str | Decimal | None = None,
        erp_price: str | Decimal | None = None,
        *,
        effective: date | str,
    ) -> dict:
        """Schedule a price change of one price-sheet row from ``effective`` (00:00 UTC)."""
        body: dict[str, Any] = {
            **self._product_sku(product_sku),
            "termDuration": term,
            "billingPlan": billing_plan,
            "effectiveDate": self._day(effective),
        }
        for key, value in (("unitPrice", unit_price), ("erpPrice", erp_price)):
            if value is not None:
                body[key] = self._amount(value)
        return self._call("POST", "/prices", body)

    def price_changes(self) -> list[dict]:
        return self._call("GET", "/prices")["items"]

    def withdraw(self, product_sku: str, *, effective: date | str) -> dict:
        """End the sale of a product SKU from ``effective`` (00:00 UTC)."""
        body = {**self._product_sku(product_sku), "effectiveDate": self._day(effective)}
        return self._call("POST", "/withdrawals", body)

    def withdrawals(self) -> list[dict]:
        return self._call("GET", "/withdrawals")["items"]

    def stats(self) -> dict:
        return self._call("GET", "/stats")

    def reset_stats(self) -> None:
        self._call("DELETE", "/stats")

    def state(self) -> dict:
        return self._call("GET", "/state")

    def set_rate_limit(self, per_minute: int) -> dict:
        return self._call("POST", "/config", {"rateLimit": per_minute})

    def set_page_size(self, size: int) -> dict:
        return self._call("POST", "/config", {"pageSize": size})

    def set_provisioning_delay(self, seconds: float) -> dict:
        """How long after checkout (on the emulator's clock) an order's subscriptions are provisioned."""
        return self._call("POST", "/config", {"provisioningDelaySeconds": seconds})


class LoopbackHttpClient:
    """An MSAL ``http_client`` that sends ``https://127.0.0.1`` / ``https://localhost`` requests over
    plain http: MSAL only accepts https authorities, the emulator listens on http by default."""

    LOOPBACK = ("https://127.0.0.1:", "https://localhost:", "https://127.0.0.1/", "https://localhost/")

    def __init__(self, timeout: float = 30) -> None:
        self._client = httpx.Client(timeout=timeout)

    def _url(self, url: str) -> str:
        return "http://" + url[len("https://") :] if url.startswith(self.LOOPBACK) else url

    def post(self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any) -> Any:
        kwargs.pop("timeout", None)
        return self._client.post(self._url(url), params=params, data=data, headers=headers)

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> Any:
        kwargs.pop("timeout", None)
        return self._client.get(self._url(url), params=params, headers=headers)

    def close(self) -> None:
        self._client.close()


@contextlib.contextmanager
def running_emulator(**config: Any) -> Iterator[RunningEmulator]:
    """A started emulator for the ``with`` block; stopped (and its state saved, if any) on exit."""
    host = config.get("host") or "127.0.0.1"
    config.setdefault("port", free_port(host))
    if not config["port"]:
        config["port"] = free_port(host)
    emulator = RunningEmulator(EmulatorConfig(**config))
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
