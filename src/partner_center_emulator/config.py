"""The emulator's settings: where it listens, the app registration it accepts, limits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

PARTNER_CENTER_RESOURCE = "https://api.partnercenter.microsoft.com"
SCOPE = PARTNER_CENTER_RESOURCE + "/.default"

# The fixed development app registration (documented in docs/emulator.md). Not a secret.
DEV_TENANT_ID = "0e195b37-4574-4539-bc42-0e539b9684c0"
DEV_CLIENT_ID = "7b1d6d2c-5a8e-4c4e-9c39-3f3f1c2e8a11"
DEV_CLIENT_SECRET = "emulator-dev-secret"


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    tenant_id: str = DEV_TENANT_ID
    client_id: str = DEV_CLIENT_ID
    client_secret: str = DEV_CLIENT_SECRET
    rate_limit: int = 500
    page_size: int = 100
    state_file: str | None = None
    token_lifetime: int = 3600
    minimal_patch_disables_autorenew: bool = True
    # Seconds (on the emulator's clock) from checkout until an order's subscriptions are provisioned.
    provisioning_delay: float = 30.0
    tls: bool = False
    tls_dir: str | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> EmulatorConfig:
        """Defaults, then ``PC_EMULATOR_<FIELD>`` environment variables, then ``overrides``."""
        values: dict = {}
        for f in fields(cls):
            raw = os.environ.get("PC_EMULATOR_" + f.name.upper())
            if raw is None or f.name == "extra":
                continue
            if f.type in ("int",):
                values[f.name] = int(raw)
            elif f.type in ("float",):
                values[f.name] = float(raw)
            elif f.type in ("bool",):
                values[f.name] = raw.lower() in ("1", "true", "yes", "on")
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
