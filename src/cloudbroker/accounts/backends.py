"""Signing in by e-mail address and password when one address may exist at several brokers.

E-mail addresses are unique per broker (ADR 0007). The account is the one whose password
matches; when the same address and password open accounts at several brokers, the person is
asked which (``request.brokers_to_choose``) — shown only to someone who proved the password of
each, so nothing leaks about other brokers' users.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from cloudbroker.accounts.models import User

__all__ = ["EmailBackend"]


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, broker=None, **kwargs):
        if not username or not password:
            return None
        candidates = list(User.objects.filter(email=str(username).strip().lower()).select_related("broker"))
        if broker:
            candidates = [u for u in candidates if u.broker is not None and u.broker.slug == broker]
        if not candidates:
            # Spend the time of one password check, so that a missing address answers no faster.
            User().set_password(password)
            return None
        matches = [u for u in candidates if u.check_password(password) and self.user_can_authenticate(u)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1 and request is not None:
            request.brokers_to_choose = sorted(
                ((u.broker.slug, u.broker.name) for u in matches if u.broker is not None), key=lambda b: b[1]
            )
        return None
