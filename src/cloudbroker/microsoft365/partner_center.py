"""The one place the tenants app gets a Partner Center client for a broker.

Every client of a broker shares two things with the broker's other clients: the pause after a 429
(kept in the cache, so every worker process sees it) and, within a process, a token bucket that
spaces calls to the connection's ``requests_per_minute``. A sync therefore runs just under the
partner's limit instead of into it, and a 429 anyway (another process, another tool of the
partner) pauses everyone until its ``Retry-After``.
"""

from __future__ import annotations

import ipaddress
import threading
from urllib.parse import urlsplit

from django.core.cache import cache

from cloudbroker.connectors.partner_center.client import PartnerCenterClient
from cloudbroker.connectors.partner_center.retry import RetryPolicy
from cloudbroker.connectors.partner_center.throttle import CachePauseStore, TokenBucket
from cloudbroker.core.errors import Conflict, ExternalServiceError
from cloudbroker.microsoft365.models import PartnerCenterConnection

__all__ = ["WORKER_RETRY", "client_for", "connection_for", "is_loopback"]

# Background deliveries wait in-process only briefly; a longer Retry-After or an outage goes back
# to the outbox, which sends the message again later with the same request id.
WORKER_RETRY = RetryPolicy(attempts=3, total_time=5.0)

_limiters: dict[int, TokenBucket] = {}
_limiters_lock = threading.Lock()


def connection_for(broker_id) -> PartnerCenterConnection:
    connection = PartnerCenterConnection.objects.filter(broker_id=broker_id).first()
    if connection is None:
        raise Conflict("Enter the Partner Center credentials first (Partner Center connection page).")
    return connection


def rate_limiter(per_minute: int) -> TokenBucket:
    """The process's token bucket for a limit (buckets inside it are per broker).

    The burst is one second's worth of calls, so that no 60-second window holds more than
    ``per_minute`` plus that second — keep ``requests_per_minute`` a little under the partner's limit.
    """
    with _limiters_lock:
        limiter = _limiters.get(per_minute)
        if limiter is None:
            limiter = _limiters[per_minute] = TokenBucket(per_minute, burst=max(1, per_minute // 60))
        return limiter


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def client_for(broker_id, **overrides) -> PartnerCenterClient:
    """A Partner Center client for the broker (close it after use, e.g. ``with client_for(b) as c:``)."""
    connection = connection_for(broker_id)
    for url in (connection.api_base_url, connection.authority_base):
        parts = urlsplit(url)
        if parts.scheme != "https" and not is_loopback(parts.hostname or ""):
            # Stored before https was required: the secret is not sent over plain http.
            raise ExternalServiceError(
                f"The Partner Center connection uses {url}: only https addresses (or an emulator on this machine) "
                "are used. Change it on the Partner Center connection page."
            )
    options = {
        "base_url": connection.api_base_url,
        "authority": connection.authority,
        "client_id": connection.client_id,
        "client_secret": connection.client_secret,
        "scope": connection.scope,
        "pause_store": CachePauseStore(cache),
        "partner_key": str(broker_id),
    }
    if connection.requests_per_minute:
        options["rate_limiter"] = rate_limiter(connection.requests_per_minute)
    options.update(overrides)
    try:
        return PartnerCenterClient(**options)
    except ValueError as exc:  # e.g. an address httpx cannot use
        raise ExternalServiceError(f"The Partner Center connection settings cannot be used: {exc}") from exc
