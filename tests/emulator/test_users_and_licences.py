"""Customer users, subscribed SKUs and licence assignment."""

from __future__ import annotations

from .conftest import BASIC, BASIC_SKU_GUID


def user_body(upn: str, **extra):
    return {"userPrincipalName": upn, "firstName": "Grace", "lastName": "Hopper", "displayName": "Grace Hopper",
            "usageLocation": "US", "passwordProfile": {"password": "Str0ng-Pass!", "forceChangePassword": True},
            **extra}  # fmt: skip


def test_create_list_get_delete_and_restore_a_user(api, pc):
    cid = api.create_customer()["id"]
    created = api.post(f"/v1/customers/{cid}/users", user_body("grace@contoso.onmicrosoft.com"))
    assert created.status_code == 200
    user = created.json()
    assert user["state"] == "active"
    assert user["attributes"]["objectType"] == "CustomerUser"
    listed = api.get(f"/v1/customers/{cid}/users").json()["items"]
    assert [u["id"] for u in listed] == [user["id"]]
    assert api.call("DELETE", f"/v1/customers/{cid}/users/{user['id']}").status_code == 204
    assert api.get(f"/v1/customers/{cid}/users").json()["items"] == []
    deleted = api.get(f"/v1/customers/{cid}/users/{user['id']}").json()
    assert deleted["state"] == "inactive"
    assert deleted["softDeletionTime"]
    restored = api.patch(f"/v1/customers/{cid}/users/{user['id']}", {"State": "active"})
    assert restored.json()["state"] == "active"


def test_user_validation(api):
    cid = api.create_customer()["id"]
    foreign = api.post(f"/v1/customers/{cid}/users", user_body("x@elsewhere.example"))
    assert foreign.status_code == 400
    assert "UserPrincipalName" in foreign.json()["description"]
    api.post(f"/v1/customers/{cid}/users", user_body("dup@contoso.onmicrosoft.com"))
    duplicate = api.post(f"/v1/customers/{cid}/users", user_body("dup@contoso.onmicrosoft.com"))
    assert duplicate.status_code == 400
    no_password = user_body("np@contoso.onmicrosoft.com")
    del no_password["passwordProfile"]
    assert "PasswordProfile" in api.post(f"/v1/customers/{cid}/users", no_password).json()["description"]


def test_licences_consume_units_and_fail_when_none_are_left(api, pc):
    cid = api.create_customer()["id"]
    api.buy(cid, BASIC, quantity=1)
    first = api.post(f"/v1/customers/{cid}/users", user_body("a@contoso.onmicrosoft.com")).json()
    second = api.post(f"/v1/customers/{cid}/users", user_body("b@contoso.onmicrosoft.com")).json()
    assign = {"LicensesToAssign": [{"SkuId": BASIC_SKU_GUID}], "Attributes": {"ObjectType": "LicenseUpdate"}}
    ok = api.post(f"/v1/customers/{cid}/users/{first['id']}/licenseupdates", assign)
    assert ok.status_code == 201
    assert ok.json()["licensesToAssign"] == [{"skuId": BASIC_SKU_GUID}]
    sku = api.get(f"/v1/customers/{cid}/subscribedskus").json()["items"][0]
    assert (sku["activeUnits"], sku["consumedUnits"], sku["availableUnits"]) == (1, 1, 0)
    assert sku["productSku"]["id"] == BASIC_SKU_GUID
    refused = api.post(f"/v1/customers/{cid}/users/{second['id']}/licenseupdates", assign)
    assert refused.status_code == 400
    assert refused.json()["code"] == 60012
    licences = api.get(f"/v1/customers/{cid}/users/{first['id']}/licenses").json()["items"]
    assert [lic["productSku"]["id"] for lic in licences] == [BASIC_SKU_GUID]
    remove = {"LicensesToRemove": [BASIC_SKU_GUID]}
    assert api.post(f"/v1/customers/{cid}/users/{first['id']}/licenseupdates", remove).status_code == 201
    assert api.post(f"/v1/customers/{cid}/users/{second['id']}/licenseupdates", assign).status_code == 201


def test_users_page_like_customers(api, pc):
    pc.set_page_size(3)
    cid = api.create_customer()["id"]
    for i in range(4):
        pc.create_user_directly(cid, f"u{i}@contoso.onmicrosoft.com")
    first = api.get(f"/v1/customers/{cid}/users").json()
    assert len(first["items"]) == 3
    headers = {h["key"]: h["value"] for h in first["links"]["next"]["headers"]}
    second = api.get("/v1" + first["links"]["next"]["uri"], headers=headers).json()
    assert [u["userPrincipalName"] for u in second["items"]] == ["u3@contoso.onmicrosoft.com"]
    assert "next" not in second["links"]
