"""Configuration comes from the environment, is validated at start-up, and production is locked down."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cloudbroker.config import Config, Mode, load_config

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "CLOUDBROKER_MODE",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    clean.update({"CLOUDBROKER_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=clean,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )


def test_production_passes_the_deployment_checklist(tmp_path):
    env = {
        "CLOUDBROKER_MODE": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "broker.example.com",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage("check", env={"CLOUDBROKER_MODE": "production"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_development_defaults_need_nothing(tmp_path):
    result = _manage("check", env={}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_values_are_typed_and_validated(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example.com, b.example.com,")
    monkeypatch.setenv("EMAIL_PORT", "587")
    monkeypatch.setenv("DATABASE_URL", "")
    config = Config()
    assert config.allowed_hosts == ["a.example.com", "b.example.com"]
    assert config.email_port == 587
    assert config.database_url is None
    assert config.mode is Mode.DEVELOPMENT


def test_a_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "twenty-five")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT"):
        load_config()


def test_production_rejects_a_wildcard_host(monkeypatch):
    monkeypatch.setenv("CLOUDBROKER_MODE", "production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(60))
    monkeypatch.setenv("ALLOWED_HOSTS", "*")
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        load_config()
