"""How a client is set up for Microsoft and for a development emulator (nothing is sent here)."""

from __future__ import annotations

import pytest

from cloudbroker.connectors.partner_center import PartnerCenterClient, PartnerCenterError
from cloudbroker.connectors.partner_center.auth import DEFAULT_SCOPE, TokenProvider, entra_authority

TENANT = "0e195b37-4574-4539-bc42-0e539b9684c0"


def make(**kwargs) -> PartnerCenterClient:
    kwargs.setdefault("authority", entra_authority(TENANT))
    return PartnerCenterClient(client_id="app", client_secret="secret", **kwargs)


def test_defaults_are_microsofts():
    client = make()
    assert client.base_url == "https://api.partnercenter.microsoft.com"
    assert client.pricing_base_url == "https://api.partner.microsoft.com"
    assert client.tokens.scope == DEFAULT_SCOPE == "https://api.partnercenter.microsoft.com/.default"
    assert client.tokens.authority == f"https://login.microsoftonline.com/{TENANT}"
    assert client.tokens._options == {}  # Microsoft's authority is validated as MSAL does by default
    assert client.timeout.connect == 5.0
    assert client.timeout.read == 30.0
    assert "secret" not in repr(client.tokens)


def test_a_development_authority_skips_microsofts_authority_checks_and_speaks_http():
    client = make(base_url="http://127.0.0.1:8765", authority=f"http://127.0.0.1:8765/{TENANT}")
    assert client.pricing_base_url == "http://127.0.0.1:8765"
    assert client.tokens._options == {"validate_authority": False, "instance_discovery": False}
    assert client.tokens._msal_authority == f"https://127.0.0.1:8765/{TENANT}"  # what MSAL accepts
    assert client.tokens._http._url(f"https://127.0.0.1:8765/{TENANT}/oauth2/v2.0/token").startswith("http://")
    assert client.tokens._http._url("https://login.microsoftonline.com/x").startswith("https://")


def test_timeouts_are_configurable():
    client = make(connect_timeout=2, read_timeout=12)
    assert (client.timeout.connect, client.timeout.read, client.timeout.write) == (2, 12, 12)


def test_microsofts_authority_over_http_is_refused():
    with pytest.raises(ValueError):
        TokenProvider(client_id="a", client_secret="s", authority=f"http://login.microsoftonline.com/{TENANT}")
    with pytest.raises(ValueError):
        make(base_url="ftp://example.test")


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("/customers?size=40&seekOperation=Next", "/v1/customers?size=40&seekOperation=Next"),
        ("customers?size=2", "/v1/customers?size=2"),
        ("/v1/invoices?size=2&offset=2", "/v1/invoices?size=2&offset=2"),
        ("https://api.partnercenter.microsoft.com/v1/customers?x=1", "/v1/customers?x=1"),
    ],
)
def test_next_links_are_read_as_partner_center_writes_them(uri, path):
    assert make()._link_path(uri) == path


def test_a_next_link_to_another_host_is_not_followed():
    with pytest.raises(PartnerCenterError):
        make()._link_path("https://elsewhere.example/v1/customers")
