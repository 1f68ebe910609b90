"""App-only access tokens for Partner Center, from Microsoft Entra ID through MSAL.

In production the authority is ``https://login.microsoftonline.com/{partner tenant}`` and the
scope ``https://api.partnercenter.microsoft.com/.default``. In development the authority is the
Partner Center emulator's token endpoint: MSAL is then told not to validate the authority against
Microsoft's list (``validate_authority=False``, ``instance_discovery=False``), and, because MSAL only
speaks https, an ``http://`` authority is given to MSAL in its https form while the requests to that
host go out over plain http.

The token is kept and asked for again ``refresh_margin`` seconds before it expires.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from cloudbroker.connectors.partner_center.errors import (
    PartnerCenterAuthFailed,
    PartnerCenterError,
    PartnerCenterTimeout,
    PartnerCenterTransportError,
    PartnerCenterUnavailable,
)
from cloudbroker.connectors.partner_center.schemas import TokenResponse

__all__ = [
    "DEFAULT_SCOPE",
    "MICROSOFT_AUTHORITY_HOSTS",
    "AccessToken",
    "TokenProvider",
    "entra_authority",
    "is_microsoft_authority",
]

DEFAULT_SCOPE = "https://api.partnercenter.microsoft.com/.default"

# Entra ID login hosts of Microsoft's clouds (global, US government, China, Germany).
MICROSOFT_AUTHORITY_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoft.com",
        "login.windows.net",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
        "login.microsoftonline.de",
    }
)

# Errors of the token endpoint that mean the app registration itself was refused.
_REFUSED = frozenset({"invalid_client", "unauthorized_client", "invalid_scope", "invalid_grant", "invalid_request"})


def entra_authority(tenant_id: str) -> str:
    """The Microsoft Entra ID authority of a partner tenant."""
    return f"https://login.microsoftonline.com/{tenant_id}"


def is_microsoft_authority(authority: str) -> bool:
    return (urlsplit(authority).hostname or "").lower() in MICROSOFT_AUTHORITY_HOSTS


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float  # POSIX time

    def fresh(self, now: float, margin: float) -> bool:
        return now < self.expires_at - margin


class _MsalHttp:
    """The ``http_client`` given to MSAL: httpx with our timeouts and certificate settings.

    URLs for ``plain_http_netloc`` (the host of an ``http://`` development authority) are sent
    over http although MSAL, which accepts only https, asks for https.
    """

    def __init__(self, *, timeout: httpx.Timeout, verify: Any, plain_http_netloc: str | None) -> None:
        self._client = httpx.Client(timeout=timeout, verify=verify)
        self._plain = plain_http_netloc

    def _url(self, url: str) -> str:
        if self._plain:
            parts = urlsplit(url)
            if parts.scheme == "https" and parts.netloc == self._plain:
                return urlunsplit(("http", *parts[1:]))
        return url

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> httpx.Response:
        return self._client.get(self._url(url), params=params, headers=headers)

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> httpx.Response:
        return self._client.post(self._url(url), params=params, data=data, headers=headers)

    def close(self) -> None:
        self._client.close()


class TokenProvider:
    """App-only (client credentials) tokens for one app registration, cached until near expiry."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        authority: str,
        scope: str = DEFAULT_SCOPE,
        timeout: httpx.Timeout | None = None,
        verify: Any = True,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.time,
        msal_options: dict[str, Any] | None = None,
    ) -> None:
        parts = urlsplit(authority)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"The token authority must be an http(s) address: {authority!r}")
        microsoft = is_microsoft_authority(authority)
        if microsoft and parts.scheme != "https":
            raise ValueError("Microsoft's token authority is reached over https only.")
        self.client_id = client_id
        self.authority = authority.rstrip("/")
        self.scope = scope
        self.refresh_margin = refresh_margin
        self.clock = clock
        self._options: dict[str, Any] = dict(msal_options or {})
        if not microsoft:
            self._options.setdefault("validate_authority", False)
            self._options.setdefault("instance_discovery", False)
        plain = parts.netloc if parts.scheme == "http" else None
        self._msal_authority = urlunsplit(("https", *urlsplit(self.authority)[1:])) if plain else self.authority
        self._http = _MsalHttp(
            timeout=timeout or httpx.Timeout(30.0, connect=5.0), verify=verify, plain_http_netloc=plain
        )
        self._secret = client_secret
        self._app: Any = None
        self._token: AccessToken | None = None
        self._lock = threading.Lock()
        self.acquired = 0  # tokens obtained from the token endpoint (or MSAL's cache), for tests and metrics

    def __repr__(self) -> str:  # never the secret
        return f"TokenProvider(client_id={self.client_id!r}, authority={self.authority!r}, scope={self.scope!r})"

    def get_token(self) -> str:
        """A valid access token, asked for again when it is within ``refresh_margin`` of expiry."""
        with self._lock:
            now = self.clock()
            if self._token is None or not self._token.fresh(now, self.refresh_margin):
                self._token = self._acquire(now)
            return self._token.value

    def invalidate(self) -> None:
        """Forget the token (Partner Center refused it); the next call gets a new one."""
        with self._lock:
            self._token = None
            if self._app is not None:  # MSAL keeps its own copy: drop it too
                cache = self._app.token_cache
                for entry in list(cache.search(cache.CredentialType.ACCESS_TOKEN)):
                    cache.remove_at(entry)

    def close(self) -> None:
        self._http.close()

    def _acquire(self, now: float) -> AccessToken:
        try:
            app = self._msal_app()
            result = app.acquire_token_for_client(scopes=[self.scope])
        except PartnerCenterError:
            raise
        except httpx.TimeoutException as exc:
            raise PartnerCenterTimeout(
                f"The token service ({self.authority}) did not answer in time.", authority=self.authority
            ) from exc
        except httpx.HTTPStatusError as exc:
            raise PartnerCenterUnavailable(
                f"The token service ({self.authority}) answered HTTP {exc.response.status_code}.",
                authority=self.authority,
                http_status=exc.response.status_code,
            ) from exc
        except httpx.RemoteProtocolError as exc:
            raise PartnerCenterTransportError(
                f"The connection to the token service ({self.authority}) broke.", authority=self.authority
            ) from exc
        except httpx.HTTPError as exc:
            raise PartnerCenterUnavailable(
                f"The token service ({self.authority}) cannot be reached: {exc}", authority=self.authority
            ) from exc
        if not isinstance(result, dict) or "access_token" not in result:
            result = result if isinstance(result, dict) else {}
            error = result.get("error") or "no_token"
            kind = PartnerCenterAuthFailed if error in _REFUSED else PartnerCenterUnavailable
            raise kind(
                f"The token service refused the app registration: {result.get('error_description') or error}",
                microsoft_code=error,
                description=result.get("error_description"),
                correlation_id=result.get("correlation_id"),
                authority=self.authority,
            )
        self.acquired += 1
        token = TokenResponse.model_validate(result)
        return AccessToken(value=token.access_token, expires_at=now + token.expires_in)

    def _msal_app(self) -> Any:
        # Made on first use: MSAL reads the authority's metadata over the network when it is made.
        if self._app is None:
            import msal

            try:
                self._app = msal.ConfidentialClientApplication(
                    self.client_id,
                    client_credential=self._secret,
                    authority=self._msal_authority,
                    http_client=self._http,
                    **self._options,
                )
            except ValueError as exc:
                raise PartnerCenterAuthFailed(
                    f"The token authority {self.authority} cannot be used: {exc}", authority=self.authority
                ) from exc
        return self._app
