"""A second factor for staff: a TOTP authenticator app, with single-use recovery codes.

Staff accounts hold the keys to every customer's Microsoft tenant, and Microsoft requires
multi-factor sign-in for partner access. A staff member sets up an authenticator app (scan the
QR code, type one code to prove it works) and receives ten recovery codes, shown once. From then
on every log-in asks for a code. A Super Admin can make the second factor mandatory for the
broker's staff (reseller properties) and reset a colleague's when their phone is lost.
Personal API tokens are made from a verified session and act without a code.
"""

from __future__ import annotations

import secrets

import segno
from django.db import transaction
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cloudbroker.core.actors import Actor
from cloudbroker.core.audit import record_event
from cloudbroker.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from cloudbroker.core.permissions import Perm

__all__ = [
    "RECOVERY_CODES",
    "confirm_setup",
    "disable",
    "has_two_factor",
    "pending_setup",
    "required_for",
    "reset_for",
    "verify",
]

RECOVERY_CODES = 10
APP_DEVICE = "Authenticator app"
RECOVERY_DEVICE = "Recovery codes"
ISSUER = "Cloudbroker"


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def required_for(user) -> bool:
    """Whether the user's broker makes the second factor mandatory for its staff."""
    broker = getattr(user, "broker", None)
    return bool(user.staff_role and broker is not None and broker.staff_two_factor_required)


def state_for(user) -> tuple[bool, bool]:
    """(has a confirmed authenticator, the broker requires one) in one query."""
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef

    devices = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(has_device=Exists(devices))
        .values_list("has_device", "broker__staff_two_factor_required")
        .first()
    )
    if row is None:
        return False, False
    return bool(row[0]), bool(row[1]) and bool(user.staff_role)


def pending_setup(user) -> tuple[TOTPDevice, str, str]:
    """The device being set up (made once, kept until confirmed), its key for typing in, and a
    QR code of its ``otpauth://`` address as an SVG data URI (no image service, no JavaScript)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)
    url = device.config_url.replace("otpauth://totp/", f"otpauth://totp/{ISSUER}:", 1)
    if "issuer=" not in url:
        url += f"&issuer={ISSUER}"
    key = device.config_url.split("secret=")[1].split("&")[0]
    return device, key, segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def _code_error(message: str = "That code is not right. Type the six digits your app shows now.") -> ValidationFailed:
    return ValidationFailed([FieldError("code", message, "invalid_code")])


def confirm_setup(*, actor: Actor, request, code: str) -> list[str]:
    """Confirm the pending authenticator with one of its codes; return the new recovery codes
    (shown once). The session counts as verified from here on."""
    user = actor.user
    if user is None:
        raise PermissionDenied("Only a person can set up a second factor.")
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise Conflict("Start the set-up again: no authenticator is waiting to be confirmed.")
        if not device.verify_token((code or "").strip().replace(" ", "")):
            raise _code_error()
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=user).delete()
        recovery = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
        codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=recovery, token=c) for c in codes])
        record_event(actor=actor, action="staff.two_factor_enabled", obj=user)
    otp_login(request, device)
    return codes


def verify(request, code: str) -> bool:
    """Check a code from the authenticator app or an unused recovery code; mark the session verified."""
    device = match_token(request.user, (code or "").strip().replace(" ", ""))
    if device is None:
        return False
    otp_login(request, device)
    return True


def disable(*, actor: Actor, code: str) -> None:
    """Remove one's own second factor (proving it with a current code), unless the broker requires it."""
    user = actor.user
    if user is None or not has_two_factor(user):
        raise Conflict("This account has no second factor.")
    if required_for(user):
        raise Conflict("Your broker requires a second factor for its staff; it cannot be removed.")
    if match_token(user, (code or "").strip().replace(" ", "")) is None:
        raise _code_error("That code is not right: type a current code from your app, or a recovery code.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        record_event(actor=actor, action="staff.two_factor_disabled", obj=user)


def reset_for(*, actor: Actor, user) -> None:
    """A Super Admin removes a colleague's second factor (a lost phone); they set it up again."""
    actor.require(Perm.ACCOUNT_UNLOCK)
    if user.broker_id != actor.broker_id:
        raise PermissionDenied("This account belongs to another broker.")
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        StaticDevice.objects.filter(user=user).delete()
        record_event(actor=actor, action="staff.two_factor_reset", obj=user, after={"devices_removed": removed})
