"""Password policy: upper- and lower-case letters, digits and non-word characters, and nothing
taken from the user's name or e-mail address (length is Django's MinimumLengthValidator)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

__all__ = ["CharacterClassValidator", "NoPersonalPartsValidator", "login_name"]

_CLASSES = [
    (re.compile(r"[A-Z]"), "an upper-case letter"),
    (re.compile(r"[a-z]"), "a lower-case letter"),
    (re.compile(r"[0-9]"), "a digit"),
    (re.compile(r"[^A-Za-z0-9]"), "a non-word character (such as ! or #)"),
]


class CharacterClassValidator:
    def validate(self, password: str, user=None) -> None:
        missing = [label for pattern, label in _CLASSES if not pattern.search(password)]
        if missing:
            raise ValidationError(
                "The password must contain " + ", ".join(missing) + ".", code="password_character_classes"
            )

    def get_help_text(self) -> str:
        return "Use upper- and lower-case letters, digits and non-word characters."


class NoPersonalPartsValidator:
    """Refuse passwords that contain a part (3+ characters) of the user's name or e-mail."""

    min_part = 3

    def validate(self, password: str, user=None) -> None:
        if user is None:
            return
        lowered = password.lower()
        email = getattr(user, "email", "") or ""
        # The account name is the e-mail's local part; the domain is shared by a whole company.
        sources = [getattr(user, "first_name", ""), getattr(user, "last_name", ""), email.split("@")[0]]
        for source in sources:
            for part in re.split(r"[\W_]+", (source or "").lower()):
                if len(part) >= self.min_part and part in lowered:
                    raise ValidationError(
                        "The password must not contain parts of your name or e-mail address.",
                        code="password_personal_parts",
                    )

    def get_help_text(self) -> str:
        return "The password must not contain parts of your name or e-mail address."


def login_name(request, credentials) -> str:
    """The account a log-in attempt is for, as django-axes counts failures: the lower-cased e-mail."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(value).strip().lower()
