"""Sign-in protection that an attacker cannot turn against the account's owner.

* Failures are counted per account *and* client (django-axes, ``AXES_LOCKOUT_PARAMETERS``): five
  wrong passwords lock that client out of that account for the cool-off time, and nobody else.
* Failures across all clients slow the account down instead of locking it: past the limit, a
  sign-in from a client the owner has not used before waits 2, 4, 8 … up to 60 seconds after the
  last failure, without the password even being checked.
* A browser the owner has signed in with before carries a signed "known device" cookie and is
  never slowed down, so the owner still signs in from their own client while someone else guesses.
* A Super Admin can unlock an account (every client), audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.core import signing
from django.db.models import Max, Sum
from django.utils import timezone

from cloudbroker.core.actors import Actor
from cloudbroker.core.audit import record_event
from cloudbroker.core.errors import PermissionDenied
from cloudbroker.core.permissions import Perm

__all__ = [
    "DEVICE_COOKIE",
    "is_known_device",
    "remember_device",
    "should_slow_down",
    "slow_down_seconds",
    "unlock_account",
]

DEVICE_COOKIE = "cb_device"
_DEVICE_SALT = "cloudbroker.accounts.known-device"
DEVICE_MAX_AGE = dt.timedelta(days=180)
MAX_DELAY_SECONDS = 60


def _account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def remember_device(request, response, email: str) -> None:
    """Mark this browser as one the owner of ``email`` signed in with (besides up to nine others)."""
    others = [k for k in known_accounts(request) if k != _account_key(email)]
    keys = [*others[-9:], _account_key(email)]
    value = signing.dumps(keys, salt=_DEVICE_SALT)
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=int(DEVICE_MAX_AGE.total_seconds()),
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def known_accounts(request) -> list[str]:
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        keys = signing.loads(raw, salt=_DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return []
    return [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []


def is_known_device(request, email: str) -> bool:
    return _account_key(email) in known_accounts(request)


def should_slow_down(request, email: str) -> bool:
    """Whether this sign-in is one the slow-down applies to: not from the owner's known browser,
    and not from a client django-axes has already locked out (that client gets the lock-out page)."""
    if is_known_device(request, email):
        return False
    return not AxesProxyHandler.is_locked(request, {"username": email})


def slow_down_seconds(email: str, now: dt.datetime | None = None) -> int:
    """How long a sign-in for ``email`` from an unknown client must still wait (0: go ahead)."""
    now = now or timezone.now()
    since = now - dt.timedelta(minutes=settings.AXES_COOLOFF_TIME * 60)
    found = AccessAttempt.objects.filter(username=email.strip().lower(), attempt_time__gte=since).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    excess = (found["failures"] or 0) - settings.AXES_FAILURE_LIMIT
    if excess < 0 or found["last"] is None:
        return 0
    delay = min(MAX_DELAY_SECONDS, 2 ** (excess + 1))
    remaining = (found["last"] + dt.timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(remaining))


def unlock_account(*, actor: Actor, user) -> int:
    """Clear every failed sign-in of ``user`` (all clients). Super Admins only; audited."""
    actor.require(Perm.ACCOUNT_UNLOCK)
    if user.broker_id != actor.broker_id:
        raise PermissionDenied("This account belongs to another broker.")
    cleared = reset(username=user.email.strip().lower())
    record_event(actor=actor, action="staff.unlocked", obj=user, after={"cleared_attempts": cleared})
    return cleared
