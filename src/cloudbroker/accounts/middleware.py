"""The second factor, enforced for every page and every session call to the API."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from cloudbroker.accounts import mfa

__all__ = ["TwoFactorMiddleware"]

_FREE_UNTIL = "cb_no_second_factor_until"
RECHECK_SECONDS = 60

# Paths a signed-in person reaches before the second factor: signing in and out, setting it up.
_OPEN = ("/login/", "/logout/", "/account/two-factor/", "/static/", "/health/", "/api/v1/docs", "/api/v1/openapi.json")


class TwoFactorMiddleware:
    """After the password: a staff member with an authenticator must type a code before anything
    else; one whose broker requires a second factor and who has none is sent to set it up.
    A request with only an API token has no signed-in user here and passes; a session is checked
    whatever else the request carries (a bogus token must not let the session through)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or not getattr(user, "staff_role", "")
            or request.path.startswith(_OPEN)
            or user.is_verified()
        ):
            return self.get_response(request)
        if request.session.get(_FREE_UNTIL, 0) > time.time():
            return self.get_response(request)
        has_device, required = mfa.state_for(user)
        if has_device:
            target, message = reverse("portal:two_factor_verify"), "Type the code from your authenticator app first."
        elif required:
            target, message = reverse("portal:two_factor"), "Your broker requires a second factor: set it up first."
        else:
            # Neither: look again in a minute (a broker that starts requiring it is obeyed within one).
            request.session[_FREE_UNTIL] = time.time() + RECHECK_SECONDS
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "second_factor_required", "message": message, "field": None}, status=403)
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
