"""Payloads from Partner Center's documentation read into the DTOs; error bodies mapped to errors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from cloudbroker.connectors.partner_center.client import _parse
from cloudbroker.connectors.partner_center.errors import (
    PartnerCenterAuthFailed,
    PartnerCenterConflict,
    PartnerCenterError,
    PartnerCenterForbidden,
    PartnerCenterInvalidRequest,
    PartnerCenterNotFound,
    PartnerCenterThrottled,
    PartnerCenterUnavailable,
    error_from_response,
)
from cloudbroker.connectors.partner_center.schemas import (
    Availability,
    Cart,
    CartCheckoutResult,
    CountryValidationRules,
    Customer,
    CustomerCreateRequest,
    ErrorBody,
    LicenseUpdate,
    PagedCollection,
    PriceSheetRow,
    ReconciliationLineItem,
    SubscribedSku,
    Subscription,
    SubscriptionStatus,
    SubscriptionUpdate,
)
from cloudbroker.core.errors import ExternalServiceError

CUSTOMER = {
    "id": "dfd8cc0a-c592-468c-8461-869a38d24738",
    "commerceId": "0a4ce58a-6f96-4273-8035-d9c7d31b9ba4",
    "companyProfile": {
        "tenantId": "dfd8cc0a-c592-468c-8461-869a38d24738",
        "domain": "xyz.ccsctp.net",
        "attributes": {"objectType": "CustomerCompanyProfile"},
    },
    "billingProfile": {
        "id": "d17c0275-da92-5c33-9032-782ef1d0b69b",
        "email": "test@outlook.com",
        "culture": "en-US",
        "language": "en",
        "companyName": "test company",
        "defaultAddress": {
            "country": "US",
            "city": "Redmond",
            "state": "WA",
            "addressLine1": "One Microsoft Way",
            "postalCode": "98052",
            "firstName": "Test",
            "lastName": "Test",
            "phoneNumber": "",
        },
        "attributes": {"etag": "5920358838484612121", "objectType": "CustomerBillingProfile"},
    },
    "enableGDAPByDefault": False,
    "relationshipToPartner": "none",
    "userCredentials": {"userName": "admin", "password": "=;;n.=s9Z"},
    "attributes": {"objectType": "Customer"},
}

SUBSCRIPTION = {
    "id": "a4c1340d-6911-4758-bba3-0c4c6007d161",
    "offerId": "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
    "offerName": "Microsoft 365 Business Basic",
    "friendlyName": "Microsoft 365 Business Basic",
    "productType": {"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"},
    "quantity": 15,
    "unitType": "Licenses",
    "hasPurchasableAddons": False,
    "creationDate": "2021-01-14T16:57:15.0966728Z",
    "effectiveStartDate": "2021-01-14T16:57:14.498252Z",
    "commitmentEndDate": "2022-01-13T00:00:00Z",
    "commitmentEndDateTime": "2022-01-13T23:59:59Z",
    "status": "expired",
    "autoRenewEnabled": False,
    "isTrial": False,
    "billingType": "license",
    "billingCycle": "monthly",
    "termDuration": "P1Y",
    "renewalTermDuration": "",
    "refundOptions": [{"type": "Full", "expiresAt": "2021-01-15T00:00:00Z"}],
    "isMicrosoftProduct": True,
    "partnerId": "",
    "attentionNeeded": False,
    "actionTaken": False,
    "contractType": "subscription",
    "links": {
        "product": {"uri": "/products/CFQ7TTC0LH18?country=US", "method": "GET", "headers": []},
        "self": {"uri": "/customers/d8202a51/subscriptions/a4c1340d", "method": "GET", "headers": []},
    },
    "publisherName": "Microsoft Corporation",
    "refundableQuantity": {
        "totalQuantity": 10,
        "details": [{"quantity": 10, "allowedUntilDateTime": "2021-01-24T20:39:17.182697Z"}],
    },
    "orderId": "34b37d7340cc",
    "someFieldAddedLater": {"kept": True},
    "attributes": {"objectType": "Subscription"},
}


def test_customer_reads_profiles_address_and_credentials():
    customer = Customer.model_validate(CUSTOMER)
    assert customer.tenant_id == "dfd8cc0a-c592-468c-8461-869a38d24738"
    assert customer.domain == "xyz.ccsctp.net"
    assert customer.billing_profile.default_address.address_line1 == "One Microsoft Way"
    assert customer.enable_gdap_by_default is False
    assert customer.user_credentials.user_name == "admin"
    assert "=;;n" not in repr(customer)  # the password never shows in logs
    dumped = customer.model_dump(by_alias=True, mode="json", exclude_none=True)
    assert dumped["enableGDAPByDefault"] is False
    assert dumped["billingProfile"]["defaultAddress"]["postalCode"] == "98052"


def test_customer_create_request_takes_snake_case_and_sends_camel_case():
    request = CustomerCreateRequest(
        company_profile={"domain": "contoso"},
        billing_profile={
            "email": "a@contoso.example",
            "culture": "en-US",
            "language": "en",
            "company_name": "Contoso",
            "default_address": {"first_name": "Ada", "last_name": "L", "address_line1": "1 Way", "country": "US"},
        },
        enable_gdap_by_default=False,
    )
    body = request.to_body()
    assert body == {
        "companyProfile": {"domain": "contoso"},
        "billingProfile": {
            "email": "a@contoso.example",
            "culture": "en-US",
            "language": "en",
            "companyName": "Contoso",
            "defaultAddress": {"firstName": "Ada", "lastName": "L", "addressLine1": "1 Way", "country": "US"},
        },
        "enableGDAPByDefault": False,
    }


def test_subscription_reads_every_documented_field_and_keeps_unknown_ones():
    sub = Subscription.model_validate(SUBSCRIPTION)
    assert sub.status == SubscriptionStatus.EXPIRED
    assert sub.creation_date == datetime(2021, 1, 14, 16, 57, 15, 96672, tzinfo=UTC)
    assert sub.commitment_end_date_time == datetime(2022, 1, 13, 23, 59, 59, tzinfo=UTC)
    assert sub.refundable_quantity.details[0].quantity == 10
    assert sub.refund_options[0].type == "Full"
    assert sub.links["product"].uri == "/products/CFQ7TTC0LH18?country=US"
    assert sub.model_extra == {"someFieldAddedLater": {"kept": True}}


def test_an_unknown_status_is_data_not_an_error():
    sub = Subscription.model_validate({**SUBSCRIPTION, "status": "frozen_by_microsoft"})
    assert sub.status == "frozen_by_microsoft"


def test_subscription_patch_body_is_the_whole_resource_with_the_changes():
    sub = Subscription.model_validate({**SUBSCRIPTION, "status": "active", "autoRenewEnabled": True})
    body = sub.with_changes(SubscriptionUpdate(quantity=20, friendly_name="Sales")).to_body()
    assert body["quantity"] == 20
    assert body["friendlyName"] == "Sales"
    assert body["autoRenewEnabled"] is True  # kept: a body without it would turn auto-renew off
    assert body["offerId"] == SUBSCRIPTION["offerId"]
    assert body["someFieldAddedLater"] == {"kept": True}
    assert body["commitmentEndDate"].startswith("2022-01-13T00:00:00")
    assert set(body) >= set(SUBSCRIPTION) - {"renewalTermDuration"}


def test_availability_terms_and_refund_options():
    availability = Availability.model_validate(
        {
            "id": "CFQ7TTC0K971",
            "productId": "CFQ7TTC0LH18",
            "skuId": "0001",
            "catalogItemId": "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
            "defaultCurrency": {"code": "USD", "symbol": "$"},
            "segment": "commercial",
            "country": "US",
            "isPurchasable": True,
            "isRenewable": True,
            "renewalInstructions": [
                {
                    "applicableTermIds": ["5aeco6mffyxo"],
                    "renewalOptions": [{"renewToId": "CFQ7TTC0LH18:0001", "isAutoRenewable": True}],
                }
            ],
            "terms": [
                {
                    "id": "5aeco6mffyxo",
                    "duration": "P1Y",
                    "description": "One-Year commitment for monthly/yearly billing",
                    "billingCycle": "Annual",
                    "cancellationPolicies": [
                        {"refundOptions": [{"sequenceId": 0, "type": "Full", "expiresAfter": "P1D"}]}
                    ],
                }
            ],
        }
    )
    assert availability.terms[0].cancellation_policies[0].refund_options[0].expires_after == "P1D"
    assert availability.renewal_instructions[0].renewal_options[0].renew_to_id == "CFQ7TTC0LH18:0001"


def test_cart_with_a_line_error_and_prices():
    cart = Cart.model_validate(
        {
            "id": "2517c51b-58cd-4abe-87ed-3ab812401ab4",
            "creationTimestamp": "2023-07-11T21:16:11.55149Z",
            "expirationTimestamp": "2023-07-18T21:16:17.2480482Z",
            "status": "Active",
            "lineItems": [
                {
                    "id": 0,
                    "catalogItemId": "CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5",
                    "quantity": 1,
                    "billingCycle": "monthly",
                    "termDuration": "P1Y",
                    "pricing": {"listPrice": 30.4, "price": 30.4, "extendedPrice": 364.8},
                },
                {
                    "id": 1,
                    "catalogItemId": "CFQ7TTC0LCHC:0002:CFQ7TTC0KFFN",
                    "quantity": 400,
                    "billingCycle": "monthly",
                    "error": {
                        "errorCode": 10015,
                        "errorDescription": "Too many seats",
                        "additionalInformation": {"availableQuantity": 300},
                    },
                },
            ],
        }
    )
    assert cart.line_items[0].pricing.extended_price == Decimal("364.8")
    ((line, error),) = cart.line_errors
    assert line.id == 1
    assert error.error_code == 10015
    assert error.additional_information == {"availableQuantity": 300}


def test_checkout_result_with_an_order_and_an_order_error():
    result = CartCheckoutResult.model_validate(
        {
            "orders": [
                {
                    "id": "a68736758d9c",
                    "referenceCustomerId": "94cd6638",
                    "billingCycle": "monthly",
                    "lineItems": [
                        {"lineItemNumber": 0, "offerId": "X:0001:Y", "subscriptionId": "0c35", "quantity": 1}
                    ],
                    "creationDate": "2023-04-18T22:03:45.4505136Z",
                    "status": "pending",
                    "totalPrice": 36.48,
                }
            ],
            "orderErrors": [{"orderGroupId": "1", "code": 800009, "description": "Error in Cart item(s)"}],
        }
    )
    assert result.orders[0].line_items[0].subscription_id == "0c35"
    assert result.orders[0].total_price == Decimal("36.48")
    assert result.order_errors[0].code == 800009


def test_reconciliation_line_reads_numbers_sent_as_strings():
    line = ReconciliationLineItem.model_validate(
        {
            "customerId": "835a59a7",
            "invoiceNumber": "G000773581",
            "chargeType": "new",
            "unitPrice": "16",
            "effectiveUnitPrice": "14.4",
            "unitType": "",
            "quantity": "50",
            "subtotal": "720",
            "taxTotal": "73",
            "totalForCustomer": "793",
            "pcToBCExchangeRate": "1",
            "pcToBCExchangeRateDate": "2021-05-01T00:00:00",
            "billableQuantity": "50",
            "chargeStartDate": "2021-05-20T00:00:00Z",
            "productQualifiers": [],
        }
    )
    assert line.subtotal == Decimal("720")
    assert line.effective_unit_price == Decimal("14.4")
    assert line.quantity == Decimal("50")
    assert line.pc_to_bc_exchange_rate == Decimal("1")
    assert line.pc_to_bc_exchange_rate_date == datetime(2021, 5, 1, tzinfo=UTC)  # no zone given: UTC


def test_reconciliation_page_reads_documented_string_fields_sent_as_numbers():
    # Microsoft's published reconciliation samples send mpnId / resellerMpnId (and other ids) as
    # numbers in some lines and as strings in others; one such line must not fail the page.
    page_json = {
        "totalCount": 2,
        "items": [
            {"customerId": "835a59a7", "mpnId": "5357564", "resellerMpnId": "0", "invoiceNumber": "G000773581"},
            {
                "customerId": "835a59a8",
                "mpnId": 5357564,
                "resellerMpnId": 0,
                "invoiceNumber": "G000773581",
                "orderId": 5912345678,
                "skuId": 1,
                "publisherId": 12,
                "unitPrice": 16.5,
                "quantity": 50,
            },
        ],
        "links": {"self": {"uri": "/invoices/G000773581/lineitems", "method": "GET", "headers": []}},
        "attributes": {"objectType": "Collection"},
    }
    request = httpx.Request("GET", "https://api.partnercenter.microsoft.com/v1/invoices/G000773581/lineitems")
    response = httpx.Response(200, json=page_json, request=request)
    page = _parse(PagedCollection[ReconciliationLineItem], response)
    first, second = page.items
    assert (first.mpn_id, first.reseller_mpn_id) == ("5357564", "0")
    assert (second.mpn_id, second.reseller_mpn_id) == ("5357564", "0")
    assert (second.order_id, second.sku_id, second.publisher_id) == ("5912345678", "1", "12")
    assert second.unit_price == Decimal("16.5")
    assert second.quantity == Decimal("50")


def test_customer_profile_fields_sent_as_numbers_are_text():
    customer = Customer.model_validate(
        {
            "id": "eebd1b55",
            "billingProfile": {"defaultAddress": {"postalCode": 98052, "phoneNumber": 1234567890, "country": "US"}},
        }
    )
    address = customer.billing_profile.default_address
    assert (address.postal_code, address.phone_number) == ("98052", "1234567890")


def test_subscribed_sku_and_licence_update():
    sku = SubscribedSku.model_validate(
        {
            "availableUnits": 4,
            "activeUnits": 5,
            "consumedUnits": 1,
            "totalUnits": 5,
            "productSku": {"id": "efccb6f7", "name": "EMS E3", "skuPartNumber": "EMS", "licenseGroupId": "group1"},
            "servicePlans": [{"serviceName": "INTUNE_A", "id": "c1ec4a95", "capabilityStatus": "Enabled"}],
        }
    )
    assert sku.available_units == sku.total_units - sku.consumed_units
    update = LicenseUpdate.model_validate(
        {
            "licensesToAssign": [{"skuId": "f8a1db68"}],
            "licenseWarnings": [],
            "attributes": {"objectType": "LicenseUpdate"},
        }
    )
    assert update.licenses_to_assign[0].sku_id == "f8a1db68"


def test_paged_collection_exposes_the_next_link_and_its_headers():
    page = PagedCollection[Customer].model_validate(
        {
            "totalCount": 1,
            "items": [{"id": "b44bb1fb", "relationshipToPartner": "reseller"}],
            "continuationToken": "tok",
            "links": {
                "self": {"uri": "/customers?size=40", "method": "GET", "headers": []},
                "next": {
                    "uri": "/customers?size=40&seekOperation=Next",
                    "method": "GET",
                    "headers": [{"key": "MS-ContinuationToken", "value": "tok"}],
                },
            },
        }
    )
    assert page.items[0].id == "b44bb1fb"
    assert page.next_link.headers[0].value == "tok"


def test_price_sheet_csv_rows():
    text = (
        '"ProductTitle","ProductId","SkuId","SkuTitle","Publisher","SkuDescription","UnitOfMeasure","TermDuration",'
        '"BillingPlan","Market","Currency","UnitPrice","PricingTierRangeMin","PricingTierRangeMax",'
        '"EffectiveStartDate","EffectiveEndDate","Tags","ERP Price"\r\n'
        '"Advanced Communications","CFQ7TTC0HDK0","0001","Advanced Communications","Microsoft","x","1 License",'
        '"P1Y","Annual","US","USD","115.2","","","2/1/2019 12:00:00 AM","2/4/2021 8:35:31 PM","License","144"\r\n'
    )
    (row,) = PriceSheetRow.parse_csv(text)
    assert row.catalog_key == "CFQ7TTC0HDK0:0001"
    assert row.unit_price == Decimal("115.2")
    assert row.erp_price == Decimal("144")
    assert row.pricing_tier_range_min is None


def test_error_body_shapes():
    assert (
        ErrorBody.model_validate({"code": 800090, "description": "x", "data": [], "source": "PartnerFD"}).code == 800090
    )
    throttled = ErrorBody.model_validate({"statusCode": 429, "message": "Rate limit is exceeded."})
    assert throttled.status_code == 429


# -- errors ------------------------------------------------------------------------------------------


def _response(status: int, body=None, **headers) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers, request=httpx.Request("PATCH", "https://pc/v1/x"))


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (400, PartnerCenterInvalidRequest, "partner_center_invalid_request"),
        (401, PartnerCenterAuthFailed, "partner_center_auth_failed"),
        (403, PartnerCenterForbidden, "partner_center_forbidden"),
        (404, PartnerCenterNotFound, "partner_center_not_found"),
        (409, PartnerCenterConflict, "partner_center_conflict"),
        (429, PartnerCenterThrottled, "partner_center_throttled"),
        (500, PartnerCenterUnavailable, "partner_center_unavailable"),
        (503, PartnerCenterUnavailable, "partner_center_unavailable"),
    ],
)
def test_each_status_maps_to_an_error_with_a_stable_code(status, kind, code):
    error = error_from_response(_response(status, {"code": 1000, "description": "d"}), write=False)
    assert type(error) is kind
    assert error.code == code
    assert isinstance(error, ExternalServiceError)
    assert isinstance(error, PartnerCenterError)


def test_error_keeps_microsofts_code_description_and_ids():
    error = error_from_response(
        _response(
            400,
            {
                "code": 800090,
                "description": "Subscription quantity cannot be decreased.",
                "data": [],
                "source": "PartnerFD",
            },
            **{"MS-RequestId": "rid", "MS-CorrelationId": "cid"},
        ),
        write=True,
    )
    assert error.message == "Partner Center: Subscription quantity cannot be decreased."
    assert error.details["microsoft_code"] == 800090
    assert error.microsoft_code == "800090"
    assert error.details["description"] == "Subscription quantity cannot be decreased."
    assert error.details["http_status"] == 400
    assert error.request_id == "rid"
    assert error.correlation_id == "cid"
    assert error.final
    assert error.as_dict()["code"] == "partner_center_invalid_request"


def test_retryable_and_outcome_unknown_flags():
    throttled = error_from_response(_response(429, {"statusCode": 429, "message": "wait"}), write=True, retry_after=7)
    assert throttled.retryable
    assert not throttled.outcome_unknown
    assert throttled.retry_after == 7
    assert throttled.message == "Partner Center: wait"
    down = error_from_response(_response(503), write=True)
    assert down.retryable
    assert not down.outcome_unknown
    broken = error_from_response(_response(500), write=True)
    assert broken.retryable
    assert broken.outcome_unknown
    read = error_from_response(_response(500), write=False)
    assert not read.outcome_unknown
    not_found = error_from_response(_response(404), write=False)
    assert not_found.final
    assert not_found.message == "Partner Center refused the request (HTTP 404)."


def test_country_validation_rules_read_the_flat_lists_and_the_older_nested_sample():
    flat = CountryValidationRules.model_validate(
        {
            "iso2Code": "US",
            "isStateRequired": True,
            "supportedStatesList": ["AK", "WA"],
            "supportedLanguagesList": ["en", "es"],
            "supportedCulturesList": ["en-US", "es-US"],
            "taxIdFormat": "US######",
            "vatIdRegex": "",
            "phoneNumberRegex": "^\\d{10}$",
            "isTaxIdOptional": False,
            "countryCallingCodesList": ["1"],
        }
    )
    nested = CountryValidationRules.model_validate(
        {
            "iso2Code": "US",
            "isStateRequired": True,
            "states": {"value": ["AK", "WA"]},
            "supportedLanguages": {"value": ["en", "es"]},
            "supportedCultures": {"value": ["en-US", "es-US"]},
            "countryCallingCodes": {"value": ["1"]},
        }
    )
    for rules in (flat, nested):
        assert rules.supported_states_list == ["AK", "WA"]
        assert rules.supported_languages_list == ["en", "es"]
        assert rules.supported_cultures_list == ["en-US", "es-US"]
        assert rules.country_calling_codes_list == ["1"]
    assert flat.phone_number_regex == "^\\d{10}$"
    assert flat.is_tax_id_optional is False
    assert nested.is_tax_id_optional is True  # not said: optional
