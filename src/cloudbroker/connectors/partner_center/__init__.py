"""The Partner Center connector's transport: an HTTP client for Microsoft Partner Center.

``PartnerCenterClient`` speaks the REST API (or the emulator's copy of it) with MSAL app-only
tokens, typed payloads (``schemas``), retries that respect ``Retry-After``, a pause shared by every
worker of a partner after a 429 (``throttle``), and errors with stable codes (``errors``).
"""

from cloudbroker.connectors.partner_center.client import Attempt, ClientStats, PartnerCenterClient
from cloudbroker.connectors.partner_center.errors import (
    PartnerCenterAuthFailed,
    PartnerCenterConflict,
    PartnerCenterError,
    PartnerCenterForbidden,
    PartnerCenterInvalidRequest,
    PartnerCenterNotFound,
    PartnerCenterThrottled,
    PartnerCenterTimeout,
    PartnerCenterTransportError,
    PartnerCenterUnavailable,
)
from cloudbroker.connectors.partner_center.retry import RetryPolicy
from cloudbroker.connectors.partner_center.throttle import (
    CachePauseStore,
    CacheRateLimiter,
    MemoryPauseStore,
    NoRateLimit,
    PauseStore,
    RateLimiter,
    TokenBucket,
)

__all__ = [
    "Attempt",
    "CachePauseStore",
    "CacheRateLimiter",
    "ClientStats",
    "MemoryPauseStore",
    "NoRateLimit",
    "PartnerCenterAuthFailed",
    "PartnerCenterClient",
    "PartnerCenterConflict",
    "PartnerCenterError",
    "PartnerCenterForbidden",
    "PartnerCenterInvalidRequest",
    "PartnerCenterNotFound",
    "PartnerCenterThrottled",
    "PartnerCenterTimeout",
    "PartnerCenterTransportError",
    "PartnerCenterUnavailable",
    "PauseStore",
    "RateLimiter",
    "RetryPolicy",
    "TokenBucket",
]
