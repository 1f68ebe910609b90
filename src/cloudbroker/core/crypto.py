"""Encryption of secrets stored in the database (Partner Center client secrets).

Fernet keys are derived from ``FIELD_ENCRYPTION_KEYS`` (comma-separated, newest first) or, when
that is not set, from ``SECRET_KEY``. Several keys allow rotation: the first encrypts, all decrypt.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt"]


def _fernet_key(material: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(("cloudbroker-field-encryption:" + material).encode()).digest())


@cache
def _fernet() -> MultiFernet:
    materials = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []) or []) or [settings.SECRET_KEY]
    return MultiFernet([Fernet(_fernet_key(m)) for m in materials])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
