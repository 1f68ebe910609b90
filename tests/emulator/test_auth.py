"""The token endpoint with real MSAL, and bearer-token checks on the API."""

from __future__ import annotations

import httpx
import msal

from partner_center_emulator.testing import LoopbackHttpClient, running_emulator


def test_msal_acquires_a_token_over_plain_http(pc):
    app = msal.ConfidentialClientApplication(
        pc.client_id,
        client_credential=pc.client_secret,
        authority=pc.msal_authority,
        validate_authority=False,
        instance_discovery=False,
        http_client=LoopbackHttpClient(),
    )
    result = app.acquire_token_for_client(scopes=[pc.scope])
    assert result.get("token_type") == "Bearer", result
    response = httpx.get(pc.base_url + "/v1/customers", headers={"Authorization": f"Bearer {result['access_token']}"})
    assert response.status_code == 200
    assert response.json()["attributes"]["objectType"] == "Collection"


def test_msal_acquires_a_token_over_https_with_the_self_signed_certificate(tmp_path, monkeypatch):
    # requests (MSAL's default transport) prefers these variables over the session's ``verify``.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with running_emulator(tls=True, tls_dir=str(tmp_path)) as pc:
        assert pc.base_url.startswith("https://")
        app = msal.ConfidentialClientApplication(
            pc.client_id,
            client_credential=pc.client_secret,
            authority=pc.authority,
            validate_authority=False,
            instance_discovery=False,
            verify=pc.ca_file,
        )
        result = app.acquire_token_for_client(scopes=[pc.scope])
        assert "access_token" in result, result
        response = httpx.get(
            pc.base_url + "/v1/customers",
            headers={"Authorization": f"Bearer {result['access_token']}"},
            verify=pc.ssl_context(),
        )
        assert response.status_code == 200


def test_wrong_secret_is_refused_with_an_oauth_error(pc):
    app = pc.msal_app(client_credential="not-the-secret")
    result = app.acquire_token_for_client(scopes=[pc.scope])
    assert "access_token" not in result
    assert result["error"] == "invalid_client"
    assert "AADSTS7000215" in result["error_description"]


def test_token_endpoint_answers_401_for_other_grants_clients_and_scopes(pc):
    url = f"{pc.base_url}/{pc.tenant_id}/oauth2/v2.0/token"
    good = {"grant_type": "client_credentials", "client_id": pc.client_id, "client_secret": pc.client_secret,
            "scope": pc.scope}  # fmt: skip
    assert httpx.post(url, data=good).status_code == 200
    for change in (
        {"grant_type": "password"},
        {"client_id": "someone-else"},
        {"scope": "https://graph.microsoft.com/.default"},
    ):
        response = httpx.post(url, data={**good, **change})
        assert response.status_code == 401, change
        assert response.json()["error"] in ("unsupported_grant_type", "unauthorized_client", "invalid_scope")
    other_tenant = httpx.post(f"{pc.base_url}/not-our-tenant/oauth2/v2.0/token", data=good)
    assert other_tenant.status_code == 401


def test_api_needs_a_bearer_token_of_the_emulator(pc):
    missing = httpx.get(pc.base_url + "/v1/customers")
    assert missing.status_code == 401
    assert missing.json() == {
        "code": 800001,
        "description": "Partner Token missing in request context.",
        "data": [],
        "source": "PartnerFD",
    }
    forged = httpx.get(pc.base_url + "/v1/customers", headers={"Authorization": "Bearer a.b.c"})
    assert forged.status_code == 401
    assert forged.json()["code"] == 400


def test_request_and_correlation_ids_are_echoed(api):
    response = api.get("/v1/customers", request_id="11111111-2222-3333-4444-555555555555",
                       headers={"MS-CorrelationId": "c0ffee00-0000-0000-0000-000000000000"})  # fmt: skip
    assert response.headers["MS-RequestId"] == "11111111-2222-3333-4444-555555555555"
    assert response.headers["MS-CorrelationId"] == "c0ffee00-0000-0000-0000-000000000000"
