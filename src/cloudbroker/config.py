"""Typed configuration from environment variables, validated once at start-up.

Every variable is documented in docs/configuration.md and .env.example. In development the
defaults run the whole product from the `var/` folder with no other service; in production
(`CLOUDBROKER_MODE=production`) the secret key and allowed hosts must be given and the
security settings are switched on.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from django.core.exceptions import ImproperlyConfigured
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

BASE_DIR = Path(__file__).resolve().parent.parent.parent

__all__ = ["BASE_DIR", "Config", "Mode", "load_config"]


class Mode(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Config(BaseSettings):
    model_config = SettingsConfigDict(env_file=BASE_DIR / ".env", extra="ignore", case_sensitive=False)

    mode: Mode = Field(Mode.DEVELOPMENT, alias="CLOUDBROKER_MODE")
    data_dir: Path = Field(BASE_DIR / "var", alias="CLOUDBROKER_DATA_DIR")
    secret_key: SecretStr | None = Field(None, alias="SECRET_KEY")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "[::1]", "testserver"], alias="ALLOWED_HOSTS"
    )
    csrf_trusted_origins: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="CSRF_TRUSTED_ORIGINS")
    database_url: str | None = Field(None, alias="DATABASE_URL")
    redis_url: str | None = Field(None, alias="REDIS_URL")
    log_level: str = Field("INFO", alias="LOG_LEVEL")
    log_json: bool = Field(False, alias="LOG_JSON")

    email_host: str | None = Field(None, alias="EMAIL_HOST")
    email_port: int = Field(25, alias="EMAIL_PORT")
    email_host_user: str = Field("", alias="EMAIL_HOST_USER")
    email_host_password: SecretStr = Field(SecretStr(""), alias="EMAIL_HOST_PASSWORD")
    email_use_tls: bool = Field(False, alias="EMAIL_USE_TLS")
    email_use_ssl: bool = Field(False, alias="EMAIL_USE_SSL")
    default_from_email: str = Field("Cloudbroker <noreply@localhost>", alias="DEFAULT_FROM_EMAIL")

    login_failure_limit: int = Field(5, ge=1, alias="LOGIN_FAILURE_LIMIT")
    login_cooloff_minutes: int = Field(15, ge=1, alias="LOGIN_COOLOFF_MINUTES")
    secure_proxy_ssl_header: bool = Field(False, alias="SECURE_PROXY_SSL_HEADER")
    field_encryption_keys: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="FIELD_ENCRYPTION_KEYS")
    import_max_bytes: int = Field(50 * 1024 * 1024, ge=1024, alias="IMPORT_MAX_BYTES")
    import_max_rows: int = Field(200_000, ge=1, alias="IMPORT_MAX_ROWS")

    @field_validator("allowed_hosts", "csrf_trusted_origins", "field_encryption_keys", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("database_url", "redis_url", "email_host", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _production_rules(self) -> Config:
        if self.mode is Mode.PRODUCTION:
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if len(key) < 50 or len(set(key)) < 5:
                raise ValueError("SECRET_KEY must be set to a random string of at least 50 characters in production")
            if not self.allowed_hosts or "*" in self.allowed_hosts:
                raise ValueError("ALLOWED_HOSTS must list the host names the product is served on in production")
        return self

    @property
    def debug(self) -> bool:
        return self.mode is Mode.DEVELOPMENT

    def resolved_secret_key(self) -> str:
        """The configured key; in development a random key kept in the data folder."""
        if self.secret_key:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(64))
            path.chmod(0o600)
        return path.read_text().strip()


def load_config() -> Config:
    """The configuration, or a start-up failure that names every bad variable."""
    try:
        return Config()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'configuration'}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise ImproperlyConfigured(f"Invalid configuration: {problems}") from None
