"""Customers: create with validation, list with seek paging, get, delete, domain availability."""

from __future__ import annotations

import re

import pytest

from .conftest import customer_body


def test_create_customer_answers_201_with_the_tenant_and_admin_credentials(api):
    response = api.post("/v1/customers", customer_body("fabrikam"))
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == body["companyProfile"]["tenantId"]
    assert body["companyProfile"]["domain"] == "fabrikam.onmicrosoft.com"
    assert body["billingProfile"]["culture"] == "en-US"
    assert body["billingProfile"]["defaultAddress"]["city"] == "Redmond"
    assert body["userCredentials"]["userName"] == "admin"
    assert body["attributes"] == {"objectType": "Customer"}
    got = api.get(f"/v1/customers/{body['id']}").json()
    assert got["companyProfile"]["companyName"] == "Contoso Ltd"
    assert got["relationshipToPartner"] == "reseller"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["CompanyProfile"].pop("Domain"), "CompanyProfile.Domain"),
        (lambda b: b.pop("BillingProfile"), "BillingProfile"),
        (lambda b: b["BillingProfile"].pop("Email"), "BillingProfile.Email"),
        (lambda b: b["BillingProfile"].update(Email="not-an-address"), "BillingProfile.Email"),
        (lambda b: b["BillingProfile"].pop("Culture"), "BillingProfile.Culture"),
        (lambda b: b["BillingProfile"].pop("CompanyName"), "BillingProfile.CompanyName"),
        (lambda b: b["BillingProfile"]["DefaultAddress"].pop("City"), "BillingProfile.DefaultAddress.City"),
        (lambda b: b["BillingProfile"]["DefaultAddress"].pop("State"), "BillingProfile.DefaultAddress.State"),
        (lambda b: b["BillingProfile"]["DefaultAddress"].update(State="XX"), "BillingProfile.DefaultAddress.State"),
        (
            lambda b: b["BillingProfile"]["DefaultAddress"].update(PostalCode="ABC"),
            "BillingProfile.DefaultAddress.PostalCode",
        ),
        (
            lambda b: b["BillingProfile"]["DefaultAddress"].update(Country="USA"),
            "BillingProfile.DefaultAddress.Country",
        ),
        (
            lambda b: b["BillingProfile"]["DefaultAddress"].pop("AddressLine1"),
            "BillingProfile.DefaultAddress.AddressLine1",
        ),
    ],
)
def test_create_customer_names_the_missing_or_invalid_field(api, mutate, field):
    body = customer_body("badfields")
    mutate(body)
    response = api.post("/v1/customers", body)
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == 3000
    assert field in error["description"]
    assert error["data"] == [field]
    assert error["source"] == "PartnerFD"
    assert api.pc.state()["customers"] == []


def test_registration_number_rules_by_country(api):
    body = customer_body("warsaw", Country="PL", State="", PostalCode="00-001", City="Warsaw")
    missing = api.post("/v1/customers", body)
    assert (missing.status_code, missing.json()["code"]) == (400, 600049)
    body["CompanyProfile"]["OrganizationRegistrationNumber"] = "1234567890"
    no_phone = api.post("/v1/customers", body)
    assert no_phone.json()["code"] == 600051
    body["BillingProfile"]["DefaultAddress"]["PhoneNumber"] = "+48 22 000 00 00"
    assert api.post("/v1/customers", body).status_code == 201
    us = customer_body("usreg")
    us["CompanyProfile"]["OrganizationRegistrationNumber"] = "123"
    assert api.post("/v1/customers", us).json()["code"] == 600002


def test_domain_availability_and_taken_domain(api):
    assert api.call("HEAD", "/v1/domains/northwind.onmicrosoft.com").status_code == 404
    api.create_customer("northwind")
    taken = api.call("HEAD", "/v1/domains/northwind.onmicrosoft.com")
    assert taken.status_code == 200
    assert taken.content == b""
    again = api.post("/v1/customers", customer_body("northwind"))
    assert again.status_code == 400
    assert "northwind.onmicrosoft.com" in again.json()["description"]


def test_list_customers_pages_with_continuation_token(api, pc):
    pc.set_page_size(2)
    created = [api.create_customer(f"paged{i}")["id"] for i in range(5)]
    seen = []
    response = api.get("/v1/customers?size=40")
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        assert body["totalCount"] == len(body["items"]) <= 2
        seen += [c["id"] for c in body["items"]]
        nxt = body["links"].get("next")
        if not nxt:
            break
        assert nxt["uri"].startswith("/customers?")
        assert "seekOperation=Next" in nxt["uri"]
        headers = {h["key"]: h["value"] for h in nxt["headers"]}
        assert headers["MS-ContinuationToken"] == body["continuationToken"]
        response = api.get("/v1" + nxt["uri"], headers=headers)
    assert pages == 3
    assert seen == created


def test_list_customers_filter_starts_with(api):
    api.create_customer("alpha")
    api.create_customer("beta")
    flt = '{"Field":"Domain","Value":"alp","Operator":"starts_with"}'
    body = api.get("/v1/customers", params={"filter": flt}).json()
    assert [c["companyProfile"]["domain"] for c in body["items"]] == ["alpha.onmicrosoft.com"]


def test_delete_customer_then_get_is_404(api):
    customer = api.create_customer("gone")
    assert api.call("DELETE", f"/v1/customers/{customer['id']}").status_code == 204
    missing = api.get(f"/v1/customers/{customer['id']}")
    assert missing.status_code == 404
    assert missing.json()["code"] == 1000
    assert api.call("HEAD", "/v1/domains/gone.onmicrosoft.com").status_code == 404


def test_unknown_path_is_a_partner_center_404(api):
    response = api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "description", "data", "source"}


def test_country_validation_rules_have_microsofts_flat_shape(api):
    response = api.get("/v1/countryvalidationrules/US")
    assert response.status_code == 200
    rules = response.json()
    # Microsoft's CountryValidationRules: flat "...List" arrays, phone / tax id / VAT id formats.
    assert rules["iso2Code"] == "US"
    assert rules["defaultCulture"] == "en-US"
    assert rules["isStateRequired"] is True
    assert "WA" in rules["supportedStatesList"]
    assert rules["supportedLanguagesList"] == ["en", "es"]
    assert rules["supportedCulturesList"] == ["en-US"]
    assert (rules["taxIdFormat"], rules["taxIdSample"]) == ("US######", "US999965")
    assert rules["isVatIdSupported"] is False
    assert rules["isTaxIdOptional"] is True
    assert rules["countryCallingCodesList"] == ["1"]
    assert re.match(rules["phoneNumberRegex"], "425-555-0100")
    assert not re.match(rules["phoneNumberRegex"], "call me")
    for nested in ("states", "supportedLanguages", "supportedCultures", "isRegistrationNumberRequired"):
        assert nested not in rules
    assert rules["attributes"] == {"objectType": "CountryInformation"}

    sweden = api.get("/v1/countryvalidationrules/se").json()
    assert sweden["isStateRequired"] is False
    assert sweden["supportedStatesList"] == []
    assert sweden["isVatIdSupported"] is True
    assert re.match(sweden["vatIdRegex"], "SE556677889901")
    assert not re.match(sweden["vatIdRegex"], "SE123")
    # Where Partner Center requires the registration number, the tax id is not optional.
    assert api.get("/v1/countryvalidationrules/PL").json()["isTaxIdOptional"] is False

    unknown = api.get("/v1/countryvalidationrules/ZZ")
    assert unknown.status_code == 404
