"""Every client operation against the Partner Center emulator over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cloudbroker.connectors.partner_center import (
    PartnerCenterAuthFailed,
    PartnerCenterInvalidRequest,
    PartnerCenterNotFound,
)
from cloudbroker.connectors.partner_center.schemas import (
    CartLineItem,
    CustomerCreateRequest,
    CustomerUser,
    SubscriptionStatus,
)

from .conftest import BASIC, BASIC_ENTRA_SKU, customer_body, emulator_requests

pytestmark = pytest.mark.emulator


@pytest.fixture(autouse=True)
def _provisioned_during_checkout(pc):
    """These tests buy and go on at once: no provisioning delay (the pending-order tests set one)."""
    pc.set_provisioning_delay(0)


def buy(client, customer_id: str, quantity: int = 3, catalog_item_id: str = BASIC):
    cart = client.create_cart(
        customer_id,
        [
            CartLineItem(
                catalog_item_id=catalog_item_id, quantity=quantity, term_duration="P1Y", billing_cycle="monthly"
            )
        ],
        request_id=uuid.uuid4(),
    )
    assert cart.line_errors == []
    result = client.checkout_cart(customer_id, cart.id, request_id=uuid.uuid4())
    assert result.order_errors == []
    return result


def test_customer_create_get_list_delete(client, pc):
    request = CustomerCreateRequest.model_validate(customer_body("fabrikam"))
    request_id = uuid.uuid4()
    created = client.create_customer(request, request_id=request_id)
    assert created.domain == "fabrikam.onmicrosoft.com"
    assert created.user_credentials.user_name
    assert created.user_credentials.password
    assert created.tenant_id == created.id

    fetched = client.get_customer(created.id)
    assert fetched.billing_profile.default_address.city == "Redmond"
    assert fetched.company_profile.company_name == "Fabrikam Ltd"
    assert fetched.user_credentials is None  # only returned by the create call
    assert [c.id for c in client.list_customers()] == [created.id]
    assert [c.id for c in client.list_customers(domain_starts_with="fabri")] == [created.id]
    assert list(client.list_customers(company_name_starts_with="Contoso")) == []

    client.delete_customer(created.id, request_id=uuid.uuid4())
    with pytest.raises(PartnerCenterNotFound) as caught:
        client.get_customer(created.id)
    error = caught.value
    assert error.code == "partner_center_not_found"
    assert error.details["http_status"] == 404
    assert error.details["microsoft_code"] is not None
    assert error.details["request_id"]
    assert error.final
    # The write went out with the caller's request id.
    assert {"method": "POST", "path": "/v1/customers", "status": 201, "requestId": str(request_id)} in (
        emulator_requests(pc)
    )


def test_create_customer_accepts_a_mapping_and_reports_partner_center_refusals(client):
    with pytest.raises(PartnerCenterInvalidRequest) as caught:
        client.create_customer(customer_body("bad", country="US", CompanyProfile={"Domain": "no spaces allowed"}))
    assert caught.value.code == "partner_center_invalid_request"
    assert caught.value.details["http_status"] == 400
    assert caught.value.details["microsoft_code"] == 3000
    assert caught.value.details["description"]
    assert caught.value.final


def test_an_incomplete_customer_mapping_is_refused_before_sending(client, pc):
    with pytest.raises(PartnerCenterInvalidRequest) as caught:
        client.create_customer({"CompanyProfile": {"Domain": "x"}})
    assert caught.value.field == "billingProfile"
    assert emulator_requests(pc) == []


def test_domain_availability(client, pc):
    pc.create_customer_directly(company_name="Taken", domain="taken.onmicrosoft.com")
    assert client.domain_available("taken.onmicrosoft.com") is False
    assert client.domain_available("Free-One.onmicrosoft.com") is True
    assert client.check_domain("taken.onmicrosoft.com").available is False


def test_customers_are_read_page_after_page(client, pc):
    pc.set_page_size(4)
    made = {pc.create_customer_directly(company_name=f"Customer {i:02}")["id"] for i in range(10)}
    seen = [c.id for c in client.list_customers()]
    assert sorted(seen) == sorted(made)
    calls = [r for r in emulator_requests(pc) if r["path"].startswith("/v1/customers")]
    assert len(calls) == 3  # 4 + 4 + 2
    assert len(set(seen)) == 10


def test_the_customer_list_is_a_generator_reading_pages_as_needed(client, pc):
    pc.set_page_size(2)
    for i in range(5):
        pc.create_customer_directly(company_name=f"Lazy {i}")
    customers = client.list_customers()
    assert emulator_requests(pc) == []
    next(customers)
    assert len(emulator_requests(pc)) == 1


def test_catalog_and_prices(client):
    products = client.list_products("US")
    basic = next(p for p in products if p.id == "CFQ7TTC0LH18")
    assert basic.product_type.id == "OnlineServicesNCE"
    assert client.get_product("CFQ7TTC0LH18", "US").title == basic.title
    (sku,) = [s for s in client.list_skus("CFQ7TTC0LH18", "US") if s.id == "0001"]
    assert sku.maximum_quantity >= sku.minimum_quantity >= 1
    assert "monthly" in [c.lower() for c in sku.supported_billing_cycles]
    assert client.get_sku("CFQ7TTC0LH18", "0001", "US").id == "0001"
    (availability,) = client.list_availabilities("CFQ7TTC0LH18", "0001", "US")
    assert availability.catalog_item_id == BASIC
    assert {t.duration for t in availability.terms} >= {"P1M", "P1Y"}
    assert client.get_availability("CFQ7TTC0LH18", "0001", "CFQ7TTC0K971", "US").catalog_item_id == BASIC
    rows = [r for r in client.get_price_sheet("US") if r.catalog_key == "CFQ7TTC0LH18:0001"]
    assert rows
    assert all(isinstance(r.unit_price, Decimal) and r.unit_price < r.erp_price for r in rows)


def test_an_unknown_product_is_not_found(client):
    with pytest.raises(PartnerCenterNotFound):
        client.get_product("CFQ7TTC0ZZZZ", "US")


def test_cart_checkout_orders_and_subscriptions(client, pc):
    customer = pc.create_customer_directly(company_name="Buyer")
    result = buy(client, customer["id"], quantity=3)
    (order,) = result.orders
    (line,) = order.line_items
    assert line.offer_id == BASIC
    assert line.quantity == 3
    assert client.get_order(customer["id"], order.id).id == order.id
    assert [o.id for o in client.list_orders(customer["id"])] == [order.id]

    subscriptions = client.list_subscriptions(customer["id"])
    assert [s.id for s in subscriptions] == [line.subscription_id]
    assert [s.id for s in client.list_subscriptions(customer["id"], order_id=order.id)] == [line.subscription_id]
    sub = client.get_subscription(customer["id"], line.subscription_id)
    assert sub.status == SubscriptionStatus.ACTIVE
    assert sub.quantity == 3
    assert sub.auto_renew_enabled is True
    assert sub.commitment_end_date is not None
    assert sub.refundable_quantity.total_quantity == 3


def test_cart_line_errors_come_back_inside_the_cart(client, pc):
    customer = pc.create_customer_directly(company_name="Buyer")
    cart = client.create_cart(
        customer["id"], [CartLineItem(catalog_item_id="CFQ7TTC0LH18:0001:NOPE00000000", quantity=1)]
    )
    ((_, error),) = cart.line_errors
    assert error.error_code


def test_update_subscription_quantity_name_auto_renew_and_status(client, pc):
    customer = pc.create_customer_directly(company_name="Updater")
    sub_id = buy(client, customer["id"], quantity=3).orders[0].line_items[0].subscription_id
    cid = customer["id"]

    sub = client.update_subscription(cid, sub_id, quantity=5, request_id=uuid.uuid4())
    assert sub.quantity == 5
    assert sub.auto_renew_enabled is True  # the whole resource was sent: auto-renew stayed on
    sub = client.update_subscription(cid, sub_id, friendly_name="Sales team")
    assert sub.friendly_name == "Sales team"
    sub = client.update_subscription(cid, sub_id, auto_renew_enabled=False)
    assert sub.auto_renew_enabled is False
    sub = client.update_subscription(cid, sub_id, status="suspended")
    assert sub.status == SubscriptionStatus.SUSPENDED
    sub = client.update_subscription(cid, sub_id, status="active", auto_renew_enabled=True)
    assert sub.status == SubscriptionStatus.ACTIVE
    assert sub.auto_renew_enabled is True
    assert client.get_subscription(cid, sub_id).friendly_name == "Sales team"


def test_a_refused_subscription_change_keeps_microsofts_code(client, pc):
    pc.set_clock(datetime(2025, 6, 1, 9, tzinfo=UTC))
    customer = pc.create_customer_directly(company_name="Late")
    sub_id = buy(client, customer["id"], quantity=5).orders[0].line_items[0].subscription_id
    pc.advance(days=10)  # the 7-day window is over
    with pytest.raises(PartnerCenterInvalidRequest) as caught:
        client.update_subscription(customer["id"], sub_id, quantity=2, request_id=uuid.uuid4())
    assert caught.value.details["microsoft_code"] == 800090
    assert "cannot be decreased" in caught.value.message
    with pytest.raises(PartnerCenterInvalidRequest) as caught:
        client.update_subscription(customer["id"], sub_id, status="deleted")
    assert caught.value.details["microsoft_code"] == 900213


def test_users_and_licences(client, pc):
    customer = pc.create_customer_directly(company_name="Users", domain="users.onmicrosoft.com")
    cid = customer["id"]
    buy(client, cid, quantity=2)
    user = client.create_user(
        cid,
        CustomerUser(
            user_principal_name="grace@users.onmicrosoft.com",
            first_name="Grace",
            last_name="Hopper",
            display_name="Grace Hopper",
            usage_location="US",
            password_profile={"password": "abCD123*xyz", "force_change_password": True},
        ),
        request_id=uuid.uuid4(),
    )
    assert user.id
    assert user.state == "active"
    assert [u.user_principal_name for u in client.list_users(cid)] == ["grace@users.onmicrosoft.com"]
    assert client.get_user(cid, user.id).display_name == "Grace Hopper"

    (sku,) = client.list_subscribed_skus(cid)
    assert sku.product_sku.id == BASIC_ENTRA_SKU
    assert (sku.total_units, sku.consumed_units) == (2, 0)
    update = client.assign_licenses(cid, user.id, assign=[BASIC_ENTRA_SKU], request_id=uuid.uuid4())
    assert [a.sku_id for a in update.licenses_to_assign] == [BASIC_ENTRA_SKU]
    (sku,) = client.list_subscribed_skus(cid)
    assert (sku.consumed_units, sku.available_units) == (1, 1)
    client.assign_licenses(cid, user.id, remove=[BASIC_ENTRA_SKU])
    assert client.list_subscribed_skus(cid)[0].consumed_units == 0

    client.delete_user(cid, user.id, request_id=uuid.uuid4())
    assert list(client.list_users(cid)) == []


def test_users_are_read_page_after_page(client, pc):
    customer = pc.create_customer_directly(company_name="Many", domain="many.onmicrosoft.com")
    for i in range(5):
        pc.create_user_directly(customer["id"], f"user{i}@many.onmicrosoft.com")
    assert len(list(client.list_users(customer["id"], page_size=2))) == 5


def test_invoices_and_reconciliation_lines(client, pc):
    pc.set_clock(datetime(2025, 6, 18, 9, tzinfo=UTC))
    customer = pc.create_customer_directly(company_name="Billed")
    buy(client, customer["id"], quantity=10)
    pc.create_subscription_directly(customer["id"], BASIC, quantity=4)
    pc.create_subscription_directly(customer["id"], "CFQ7TTC0LCHC:0002:CFQ7TTC0KFFN", quantity=1)
    unbilled = list(client.list_unbilled_reconciliation_line_items("USD", period="current", page_size=1))
    assert len(unbilled) == 3
    assert {line.charge_type for line in unbilled} == {"new"}

    pc.set_clock(datetime(2025, 7, 9, 1, tzinfo=UTC))  # June's invoice is out on the 8th
    invoices = list(client.list_invoices())
    (june,) = [i for i in invoices if i.billing_period_start_date.month == 6]
    assert client.get_invoice(june.id).id == june.id
    lines = list(client.list_reconciliation_line_items(june.id, page_size=2))  # 2 pages
    assert len(lines) == 3
    assert all(line.invoice_number == june.id for line in lines)
    assert sum(line.subtotal for line in lines) == june.total_charges
    assert all(line.customer_id == customer["id"] for line in lines)


def test_wrong_secret_is_a_final_auth_failure(make_client):
    client = make_client(client_secret="not-the-secret")
    with pytest.raises(PartnerCenterAuthFailed) as caught:
        client.get_customer("anything")
    assert caught.value.code == "partner_center_auth_failed"
    assert caught.value.final
    assert "not-the-secret" not in str(caught.value.as_dict())


def test_one_token_serves_many_calls(client, pc):
    for _ in range(5):
        assert client.domain_available("free.onmicrosoft.com")
    token_calls = [k for k in pc.stats()["calls"] if "oauth2" in k]
    assert sum(pc.stats()["calls"][k] for k in token_calls) == 1
    assert client.tokens.acquired == 1


def test_every_call_carries_its_ids_and_who_is_calling(client, attempts):
    client.on_attempt = attempts.append
    with pytest.raises(PartnerCenterNotFound) as caught:
        client.get_customer("00000000-0000-0000-0000-00000000abcd")
    (attempt,) = attempts
    # Partner Center (and the emulator) echo the ids they received.
    assert caught.value.details["request_id"] == attempt.request_id
    assert caught.value.details["correlation_id"] == attempt.correlation_id
    assert uuid.UUID(attempt.request_id)
    headers = client._http.headers
    assert headers["User-Agent"].startswith("cloudbroker/")
    assert headers["Accept"] == "application/json"
    assert client.locale == "en-US"


def test_company_and_billing_profiles(client):
    created = client.create_customer(CustomerCreateRequest.model_validate(customer_body("profiles")))
    company = client.get_company_profile(created.id)
    assert (company.tenant_id, company.domain) == (created.id, "profiles.onmicrosoft.com")
    assert company.company_name == "Profiles Ltd"
    assert company.address.city == "Redmond"
    assert company.email
    billing = client.get_billing_profile(created.id)
    assert billing.default_address.address_line1
    assert billing.first_name
    assert billing.email == company.email
    assert billing.attributes.object_type == "CustomerBillingProfile"
    with pytest.raises(PartnerCenterNotFound):
        client.get_billing_profile(str(uuid.uuid4()))


def test_country_validation_rules(client):
    us = client.get_country_validation_rules("us")
    assert us.iso2_code == "US"
    assert us.is_state_required
    assert "WA" in us.supported_states_list
    assert us.supported_cultures_list == ["en-US"]
    assert (us.tax_id_format, us.tax_id_sample) == ("US######", "US999965")
    assert us.phone_number_regex
    assert us.country_calling_codes_list == ["1"]
    sweden = client.get_country_validation_rules("SE")
    assert sweden.is_vat_id_supported
    assert sweden.vat_id_regex
    assert not sweden.is_state_required
    with pytest.raises(PartnerCenterNotFound):
        client.get_country_validation_rules("ZZ")
