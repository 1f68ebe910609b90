"""The Starlette application: Entra token endpoints, the Partner Center API behind one request
pipeline (request ids, faults, bearer token, throttling, idempotency), and the control endpoints.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import api, control, nce
from .config import EmulatorConfig
from .errors import ApiError
from .state import Fault, Store
from .tokens import TokenIssuer, instance_discovery, jwks, openid_configuration, token_endpoint

log = logging.getLogger("partner_center_emulator")

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
TRANSPORT_KEY = "partner_center_emulator.transport"


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _error_response(error: ApiError, ids: dict[str, str]) -> Response:
    headers = dict(ids)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="partner-center-emulator"'
    return Response(_json_bytes(error.body()), error.status, headers, media_type="application/json")


def _throttled(seconds: int, ids: dict[str, str]) -> Response:
    body = {"statusCode": 429, "message": f"Rate limit is exceeded. Try again in {seconds} seconds."}
    return Response(_json_bytes(body), 429, {**ids, "Retry-After": str(seconds)}, media_type="application/json")


async def _drop_connection(request: Request) -> None:
    """Close the client's connection without an answer (a response lost on the way back)."""
    transport = request.scope.get(TRANSPORT_KEY)
    if transport is not None:
        transport.abort()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return
    raise ConnectionAbortedError("response deliberately lost")  # no transport: let the server fail the request


async def _fault_response(fault: Fault, ids: dict[str, str]) -> Response | None:
    if fault.kind == "429":
        return _throttled(fault.retry_after, ids)
    if fault.kind in ("500", "503"):
        status = int(fault.kind)
        headers = dict(ids)
        if status == 503:
            headers["Retry-After"] = str(fault.retry_after)
        body = {"code": status, "description": "Service unavailable." if status == 503 else "Internal server error."}
        return Response(
            _json_bytes({**body, "data": [], "source": "PartnerFD"}), status, headers, media_type="application/json"
        )
    return None


class Emulator:
    """Holds the store and settings; its ``handle`` is the pipeline every API call goes through."""

    def __init__(self, config: EmulatorConfig, store: Store | None = None) -> None:
        self.config = config
        self.store = store or Store(
            state_file=config.state_file,
            rate_limit=config.rate_limit,
            page_size=config.page_size,
            provisioning_delay=config.provisioning_delay,
        )
        self.issuer = TokenIssuer(config)

    async def apply_fault(
        self, request: Request, method: str, path: str, ids: dict[str, str]
    ) -> tuple[Response | None, Fault | None]:
        fault = self.store.take_fault(method, path)
        if fault is None:
            return None, None
        if fault.kind == "delay":
            await asyncio.sleep(fault.delay)
            return None, fault
        return await _fault_response(fault, ids), fault

    async def handle(self, request: Request) -> Response:
        method = request.method
        path = request.url.path
        request_id = request.headers.get("ms-requestid") or ""
        ids = {
            "MS-RequestId": request_id or str(uuid.uuid4()),
            "MS-CorrelationId": request.headers.get("ms-correlationid") or str(uuid.uuid4()),
            "MS-CV": uuid.uuid4().hex[:22] + ".0",
            "MS-ServerId": "partner-center-emulator",
        }
        found = api.resolve(method, path)
        template = found[0] if isinstance(found, tuple) else path
        store = self.store
        with store.lock:
            store.counters[f"{method} {template}"] += 1
        response, fault = await self.apply_fault(request, method, path, ids)
        if response is not None:
            return response
        lost = fault is not None and fault.kind == "lost_response"
        if found is None:
            return _error_response(ApiError(404, 1000, f"The resource {path} was not found."), ids)
        if found == "method":
            return _error_response(ApiError(405, 1000, f"{method} is not supported on {path}."), ids)
        template, handler, params = found
        claims = self.issuer.verify(request.headers.get("authorization"))
        if claims is None:
            if not request.headers.get("authorization"):
                error = ApiError(401, 800001, "Partner Token missing in request context.")
            else:
                error = ApiError(401, 400, "Access denied: the bearer token is not valid or has expired.")
            return _error_response(error, ids)
        partner = claims["tid"]
        with store.lock:
            wait = store.limiter.check(partner)
            if wait:
                store.throttled += 1
        if wait:
            return _throttled(wait, ids)
        body: Any = None
        raw = await request.body() if method in WRITE_METHODS else b""
        if raw:
            try:
                body = api.lower_keys(json.loads(raw))
            except ValueError:
                return _error_response(ApiError(400, 800002, "Invalid request input: the body is not valid JSON."), ids)
        query = {k.lower(): v for k, v in request.query_params.items()}
        extra = {"license_groups": request.query_params.getlist("licenseGroupIds")}
        headers = {k.lower(): v for k, v in request.headers.items()}
        idempotent = method in WRITE_METHODS and bool(request_id)
        with store.lock:
            replay = store.remembered(partner, request_id) if idempotent else None
            if replay is not None and (replay[0], replay[1].lower()) == (method, path.lower()):
                status, extra_headers, content = replay[2], dict(replay[3]), replay[4]
            else:
                ctx = api.Ctx(store, self.config, store.clock.now(), params, query, body, headers, partner, extra)
                nce.provision_due(store, ctx.now)  # orders whose provisioning time has come complete now
                try:
                    status, payload, extra_headers = handler(ctx)
                except ApiError as error:
                    status, payload, extra_headers = error.status, error.body(), {}
                if isinstance(payload, bytes):
                    content = payload
                elif payload is None:
                    content = b""
                else:
                    content = _json_bytes(payload)
                    extra_headers.setdefault("content-type", "application/json; charset=utf-8")
                if idempotent:
                    store.remember(partner, request_id, method, path, status, list(extra_headers.items()), content)
                if method in WRITE_METHODS:
                    store.changed()
            store.request_log.append(
                {"method": method, "path": path, "status": status, "requestId": ids["MS-RequestId"]}
            )
        if lost:
            await _drop_connection(request)
        headers_out = {**ids, **extra_headers}
        if method == "HEAD":
            return Response(b"", status, headers_out)
        return Response(content, status, headers_out)


async def _api_endpoint(request: Request) -> Response:
    return await request.app.state.emulator.handle(request)


async def _token_endpoint(request: Request) -> Response:
    emulator: Emulator = request.app.state.emulator
    method, path = request.method, request.url.path
    with emulator.store.lock:
        emulator.store.counters[f"{method} /{{tenant}}/oauth2/v2.0/token"] += 1
    ids = {"MS-RequestId": str(uuid.uuid4())}
    response, fault = await emulator.apply_fault(request, method, path, ids)
    if response is not None:
        return response
    response = await token_endpoint(request)
    if fault is not None and fault.kind == "lost_response":
        await _drop_connection(request)
    return response


class TransportMiddleware:
    """Keeps the connection's transport in the scope so a handler can drop it (lost-response fault)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            cycle = getattr(send, "__self__", None)
            transport = getattr(cycle, "transport", None)
            if transport is not None:
                scope[TRANSPORT_KEY] = transport
        await self.app(scope, receive, send)


def create_app(config: EmulatorConfig | None = None, store: Store | None = None) -> Any:
    config = config or EmulatorConfig()
    emulator = Emulator(config, store)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
    routes = [
        *control.routes(),
        Route("/{tenant}/oauth2/v2.0/token", _token_endpoint, methods=["POST"]),
        Route("/{tenant}/oauth2/token", _token_endpoint, methods=["POST"]),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
        Route("/{tenant}/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
        Route("/{tenant}/discovery/v2.0/keys", jwks, methods=["GET"]),
        Route("/common/discovery/instance", instance_discovery, methods=["GET"]),
        Route("/{rest:path}", _api_endpoint, methods=methods),
    ]
    app = Starlette(routes=routes)
    app.state.emulator = emulator
    app.state.issuer = emulator.issuer
    app.state.store = emulator.store
    return TransportMiddleware(app)


def starlette_app(asgi: Any) -> Starlette:
    return asgi.app if isinstance(asgi, TransportMiddleware) else asgi


__all__ = ["Emulator", "create_app", "nce"]
