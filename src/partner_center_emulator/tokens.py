"""Entra ID stand-in: the v2.0 token endpoint (client credentials), OpenID discovery, and the
check of the bearer tokens it issues.

Tokens are JWT-shaped and HMAC-signed with a key derived from the app registration, so they
stay valid across a restart of the emulator (MSAL keeps using a cached token for an hour).
Their expiry follows real time, not the emulator clock: moving the clock months ahead must not
make a client's cached token fail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse

from .config import PARTNER_CENTER_RESOURCE, EmulatorConfig


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        material = f"{config.tenant_id}|{config.client_id}|{config.client_secret}|partner-center-emulator"
        self.key = hashlib.sha256(material.encode()).digest()

    def issue(self) -> tuple[str, int]:
        now = int(time.time())
        claims = {
            "aud": PARTNER_CENTER_RESOURCE,
            "iss": f"https://sts.windows.net/{self.config.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + self.config.token_lifetime,
            "appid": self.config.client_id,
            "tid": self.config.tenant_id,
            "idtyp": "app",
            "roles": [],
            "jti": secrets.token_hex(8),
        }
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self.key, f"{head}.{body}".encode(), hashlib.sha256).digest())
        return f"{head}.{body}.{sig}", self.config.token_lifetime

    def verify(self, authorization: str | None) -> dict[str, Any] | None:
        """The token's claims, or None when the header holds no valid token of ours."""
        if not authorization or not authorization[:7].lower() == "bearer ":
            return None
        token = authorization[7:].strip()
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = _b64(hmac.new(self.key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, parts[2]):
            return None
        try:
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            return None
        if claims.get("exp", 0) < time.time():
            return None
        return claims


def oauth_error(status: int, error: str, code: str, description: str) -> JSONResponse:
    trace = str(uuid.uuid4())
    correlation = str(uuid.uuid4())
    return JSONResponse(
        {
            "error": error,
            "error_description": f"{code}: {description} Trace ID: {trace} Correlation ID: {correlation}",
            "error_codes": [int(code.removeprefix("AADSTS"))],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": trace,
            "correlation_id": correlation,
        },
        status_code=status,
    )


async def token_endpoint(request: Request) -> JSONResponse:
    issuer: TokenIssuer = request.app.state.issuer
    config = issuer.config
    tenant = request.path_params["tenant"]
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    client_id = form.get("client_id")
    client_secret = form.get("client_secret")
    basic = request.headers.get("authorization", "")
    if basic.lower().startswith("basic "):
        try:
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        except ValueError:
            pass
    grant = form.get("grant_type")
    if tenant.lower() not in (config.tenant_id.lower(), "organizations"):
        return oauth_error(401, "invalid_request", "AADSTS90002", f"Tenant '{tenant}' not found.")
    if grant != "client_credentials":
        return oauth_error(
            401, "unsupported_grant_type", "AADSTS70003", f"The app requested an unsupported grant type '{grant}'."
        )
    if client_id != config.client_id:
        return oauth_error(
            401,
            "unauthorized_client",
            "AADSTS700016",
            f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.",
        )
    if not client_secret or not secrets.compare_digest(str(client_secret), config.client_secret):
        return oauth_error(
            401,
            "invalid_client",
            "AADSTS7000215",
            "Invalid client secret provided. Ensure the secret being sent is correct.",
        )
    scopes = str(form.get("scope") or "").split()
    resource = form.get("resource")
    wanted = {PARTNER_CENTER_RESOURCE + "/.default", PARTNER_CENTER_RESOURCE.rstrip("/") + "//.default"}
    if not (set(scopes) & wanted or resource == PARTNER_CENTER_RESOURCE):
        return oauth_error(
            401,
            "invalid_scope",
            "AADSTS1002012",
            f"The provided value for scope {' '.join(scopes)!r} is not valid. Client credential flows must have a "
            f"scope value with /.default suffixed to the resource identifier {PARTNER_CENTER_RESOURCE}.",
        )
    token, lifetime = issuer.issue()
    return JSONResponse(
        {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}
    )


def _public_base(request: Request) -> str:
    """Discovery advertises https: MSAL refuses any other scheme (see docs/emulator.md)."""
    return f"https://{request.url.netloc}"


async def openid_configuration(request: Request) -> JSONResponse:
    tenant = request.path_params["tenant"]
    config: EmulatorConfig = request.app.state.issuer.config
    if tenant.lower() not in (config.tenant_id.lower(), "organizations", "common"):
        return oauth_error(400, "invalid_tenant", "AADSTS90002", f"Tenant '{tenant}' not found.")
    base = f"{_public_base(request)}/{config.tenant_id}"
    return JSONResponse(
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/openid/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        }
    )


async def instance_discovery(request: Request) -> JSONResponse:
    config: EmulatorConfig = request.app.state.issuer.config
    host = request.url.netloc
    discovery = f"{_public_base(request)}/{config.tenant_id}/v2.0/.well-known/openid-configuration"
    return JSONResponse(
        {
            "tenant_discovery_endpoint": discovery,
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }
    )


async def jwks(request: Request) -> JSONResponse:
    return JSONResponse({"keys": []})
