"""Partner Center's JSON shapes (camelCase) for the emulator's objects."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from . import catalog, nce
from .state import Cart, Charge, Customer, Order, Subscription, User, iso

PUBLISHER = "Microsoft Corporation"
NCE_TYPE = {"id": catalog.NCE, "displayName": catalog.NCE}


def link(uri: str, method: str = "GET", headers: list | None = None) -> dict[str, Any]:
    return {"uri": uri, "method": method, "headers": headers or []}


def money(value: Decimal) -> float:
    return float(value)


def collection(items: list, self_uri: str, **extra: Any) -> dict[str, Any]:
    return {
        "totalCount": len(items),
        "items": items,
        "links": {"self": link(self_uri)},
        "attributes": {"objectType": "Collection"},
        **extra,
    }


# -- customers ----------------------------------------------------------------------------------


def customer(c: Customer, *, full: bool = True) -> dict[str, Any]:
    company = {
        "tenantId": c.id,
        "domain": c.domain,
        "companyName": c.company_name,
        "attributes": {"objectType": "CustomerCompanyProfile"},
    }
    body: dict[str, Any] = {
        "id": c.id,
        "commerceId": c.commerce_id,
        "companyProfile": company,
        "relationshipToPartner": c.relationship,
        "attributes": {"objectType": "Customer"},
    }
    if full:
        company["address"] = {k: v for k, v in c.address.items() if k not in ("firstName", "lastName")}
        company["email"] = c.email
        company["links"] = {"self": link(f"/customers/{c.id}/profiles/company")}
        if c.registration_number:
            company["organizationRegistrationNumber"] = c.registration_number
        body["billingProfile"] = billing_profile(c)
        body["allowDelegatedAccess"] = True
        body["customDomains"] = [c.domain, *c.custom_domains]
        body["enableGDAPByDefault"] = c.enable_gdap
        body["links"] = {"self": link(f"/customers/{c.id}")}
    return body


def billing_profile(c: Customer) -> dict[str, Any]:
    return {
        "id": c.billing_profile_id,
        "firstName": c.address.get("firstName", ""),
        "lastName": c.address.get("lastName", ""),
        "email": c.email,
        "culture": c.culture,
        "language": c.language,
        "companyName": c.company_name,
        "defaultAddress": dict(c.address),
        "links": {"self": link(f"/customers/{c.id}/profiles/billing")},
        "attributes": {"etag": c.etag, "objectType": "CustomerBillingProfile"},
    }


def company_profile(c: Customer) -> dict[str, Any]:
    return customer(c)["companyProfile"]


# -- catalog -----------------------------------------------------------------------------------


def product(offer: catalog.Offer, country: str) -> dict[str, Any]:
    pid = offer.product_id
    return {
        "id": pid,
        "title": offer.title,
        "description": offer.description,
        "productType": NCE_TYPE,
        "isMicrosoftProduct": True,
        "publisherName": PUBLISHER,
        "links": {
            "skus": link(f"/products/{pid}/skus?country={country}"),
            "self": link(f"/products/{pid}?country={country}"),
        },
        "attributes": {"objectType": "Product"},
    }


def sku(offer: catalog.Offer, country: str) -> dict[str, Any]:
    pid, sid = offer.product_id, offer.sku_id
    cycles = sorted({cycle for _, cycle in offer.terms})
    return {
        "id": sid,
        "productId": pid,
        "title": offer.sku_title,
        "description": offer.description,
        "minimumQuantity": offer.minimum_quantity,
        "maximumQuantity": offer.maximum_quantity,
        "isTrial": False,
        "supportedBillingCycles": cycles,
        "purchasePrerequisites": ["MicrosoftCloudAgreement"],
        "inventoryVariables": [],
        "provisioningVariables": [],
        "actions": ["Refund"],
        "dynamicAttributes": {
            "isMicrosoftProduct": True,
            "hasConstraints": True,
            "isAddon": offer.is_addon,
            "prerequisiteSkus": list(offer.prerequisite_skus),
            "isSoftwareAssuranceApplicable": False,
            "upgradeTargetOffers": list(offer.upgrade_targets),
            "provisioningId": offer.entra_sku_id,
            "internal": False,
        },
        "links": {
            "availabilities": link(f"/products/{pid}/skus/{sid}/availabilities?country={country}"),
            "self": link(f"/products/{pid}/skus/{sid}?country={country}"),
        },
        "attributes": {"objectType": "Sku"},
    }


def availability(offer: catalog.Offer, country: str, segment: str = "commercial") -> dict[str, Any]:
    pid, sid, aid = offer.product_id, offer.sku_id, offer.availability_id
    code, symbol = catalog.currency_for(country)
    terms = [
        {
            "id": catalog.TERM_IDS[(duration, cycle)],
            "duration": duration,
            "description": catalog.TERM_DESCRIPTIONS[(duration, cycle)],
            "billingCycle": cycle,
            "cancellationPolicies": [
                {
                    "refundOptions": [
                        {"sequenceId": 0, "type": "Full", "expiresAfter": "P1D"},
                        {"sequenceId": 1, "type": "Partial", "expiresAfter": "P7D"},
                    ]
                }
            ],
        }
        for duration, cycle in offer.terms
    ]
    return {
        "id": aid,
        "productId": pid,
        "skuId": sid,
        "catalogItemId": offer.catalog_item_id,
        "defaultCurrency": {"code": code, "symbol": symbol},
        "segment": segment,
        "country": country,
        "isPurchasable": True,
        "isRenewable": True,
        "renewalInstructions": [
            {
                "applicableTermIds": [t["id"] for t in terms],
                "renewalOptions": [{"renewToId": offer.product_sku, "isAutoRenewable": True}],
            }
        ],
        "terms": terms,
        "links": {"self": link(f"/products/{pid}/skus/{sid}/availabilities/{aid}?country={country}")},
        "attributes": {"objectType": "Availability"},
    }


def pricing(price: Decimal, term: str, cycle: str, quantity: int) -> dict[str, float]:
    """A cart or order line's ``pricing``: ``price`` is one seat for one charge cycle."""
    cycles = catalog.TERM_MONTHS[term] // catalog.CYCLE_MONTHS[cycle]
    return {
        "listPrice": money(price),
        "discountedPrice": money(price),
        "proratedPrice": money(price),
        "price": money(price),
        "extendedPrice": money(price * cycles * quantity),
    }


def offer_links(offer: catalog.Offer, country: str) -> dict[str, Any]:
    pid, sid, aid = offer.product_id, offer.sku_id, offer.availability_id
    return {
        "product": link(f"/products/{pid}?country={country}"),
        "sku": link(f"/products/{pid}/skus/{sid}?country={country}"),
        "availability": link(f"/products/{pid}/skus/{sid}/availabilities/{aid}?country={country}"),
    }


# -- carts, orders -------------------------------------------------------------------------------


def cart(c: Cart) -> dict[str, Any]:
    return {
        "id": c.id,
        "creationTimestamp": iso(c.created_at),
        "lastModifiedTimestamp": iso(c.modified_at),
        "expirationTimestamp": iso(c.expires_at),
        "lastModifiedUser": c.customer_id,
        "status": c.status,
        "lineItems": c.lines,
        "links": {"self": link(f"/customers/{c.customer_id}/carts/{c.id}")},
        "attributes": {"objectType": "Cart"},
    }


def order_line(o: Order, line: dict[str, Any]) -> dict[str, Any]:
    """An order line: its subscription id (and link) only once the order is provisioned (§4.3)."""
    out = dict(line)
    links = dict(out.get("links") or {})
    links["provisioningStatus"] = link(f"/customers/{o.customer_id}/orders/{o.id}/provisioningstatus")
    out.setdefault("provisioningContext", {})
    if o.status != "completed":
        out.pop("subscriptionId", None)
        links.pop("subscription", None)
    out["links"] = links
    return out


def order(o: Order) -> dict[str, Any]:
    base = f"/customers/{o.customer_id}/orders/{o.id}"
    return {
        "id": o.id,
        "alternateId": o.id,
        "referenceCustomerId": o.customer_id,
        "billingCycle": o.billing_cycle,
        "currencyCode": o.currency,
        "currencySymbol": o.currency_symbol,
        "lineItems": [order_line(o, line) for line in o.lines],
        "creationDate": iso(o.created_at),
        "status": o.status,
        "transactionType": "UserPurchase",
        "links": {
            "self": link(base),
            "provisioningStatus": link(base + "/provisioningstatus"),
            "patchOperation": link(base, "PATCH"),
        },
        "totalPrice": round(sum(line["pricing"]["extendedPrice"] for line in o.lines if "pricing" in line), 2),
        "client": {},
        "attributes": {"objectType": "Order"},
    }


# -- subscriptions -------------------------------------------------------------------------------


def subscription(s: Subscription, now: datetime, country: str = "US", *, has_addons: bool = False) -> dict[str, Any]:
    offer = catalog.find_offer(s.catalog_item_id)
    self_uri = f"/customers/{s.customer_id}/subscriptions/{s.id}"
    links = offer_links(offer, country) if offer else {}
    links["self"] = link(self_uri)
    if s.parent_id:
        links["parentSubscription"] = link(f"/customers/{s.customer_id}/subscriptions/{s.parent_id}")
    live = s.status in ("active", "suspended")
    cycle_end = nce.cycle_bounds(s, min(max(now.date(), s.term_start.date()), s.term_end))[1]
    body: dict[str, Any] = {
        "id": s.id,
        "entitlementId": s.id,
        "offerId": s.catalog_item_id,
        "offerName": s.offer_name,
        "friendlyName": s.friendly_name,
        "productType": NCE_TYPE,
        "quantity": s.quantity,
        "unitType": "Licenses",
        "hasPurchasableAddons": has_addons,
        "creationDate": iso(s.created_at),
        "effectiveStartDate": iso(s.term_start),
        "commitmentEndDate": s.term_end.isoformat() + "T00:00:00Z",
        "commitmentEndDateTime": s.term_end.isoformat() + "T23:59:59Z",
        "cancellationAllowedUntilDate": iso(nce.cancellation_allowed_until(s)),
        "billingCycleEndDate": cycle_end.isoformat() + "T00:00:00Z",
        "billingCycleEndDateTime": cycle_end.isoformat() + "T23:59:59Z",
        "status": s.status,
        "autoRenewEnabled": s.auto_renew,
        "isTrial": False,
        "billingType": "license",
        "billingCycle": s.billing_cycle,
        "termDuration": s.term,
        "renewalTermDuration": _renewal_term(s),
        "refundOptions": [
            {"type": "Full", "expiresAt": iso(s.term_start + nce.FULL_REFUND)},
            {"type": "Partial", "expiresAt": iso(s.term_start + nce.WINDOW)},
        ],
        "isMicrosoftProduct": True,
        "publisherName": PUBLISHER,
        "partnerId": "",
        **attention(s),
        "actionTaken": False,
        "contractType": "subscription",
        "actions": ["edit", "cancel"] if live else [],
        "suspensionReasons": ["PartnerInitiated"] if s.status == "suspended" else [],
        "refundableQuantity": nce.refundable_quantity(s, now) if live else {"totalQuantity": 0, "details": []},
        "orderId": s.order_id,
        "links": links,
        "attributes": {"etag": str(s.etag), "objectType": "Subscription"},
    }
    if s.parent_id:
        body["parentSubscriptionId"] = s.parent_id
    if s.scheduled:
        body["scheduledNextTermInstructions"] = s.scheduled
    if s.next_charge_instructions:
        body["nextChargeInstructions"] = s.next_charge_instructions
    return body


def _renewal_term(s: Subscription) -> str:
    if not s.auto_renew:
        return ""
    product = (s.scheduled or {}).get("product") or {}
    return product.get("termDuration") or s.term


def attention(s: Subscription) -> dict[str, Any]:
    """``attentionNeeded`` / ``attentionReason``: set while the subscription waits for provisioning
    (the reason's wording is the emulator's own, see docs/emulator.md)."""
    if s.status == "pending":
        return {"attentionNeeded": True, "attentionReason": "ProvisioningPending"}
    return {"attentionNeeded": False, "attentionReason": None}


# -- users, licences ----------------------------------------------------------------------------


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "usageLocation": u.usage_location,
        "userPrincipalName": u.user_principal_name,
        "firstName": u.first_name,
        "lastName": u.last_name,
        "displayName": u.display_name,
        "immutableId": u.immutable_id,
        "userDomainType": "managed",
        "state": u.state,
        "softDeletionTime": iso(u.soft_deleted_at),
        "lastDirectorySyncTime": None,
        "links": {"self": link(f"/customers/{u.customer_id}/users/{u.id}")},
        "attributes": {"objectType": "CustomerUser"},
    }


def product_sku(offer: catalog.Offer) -> dict[str, Any]:
    return {
        "id": offer.entra_sku_id,
        "name": offer.sku_title,
        "skuPartNumber": offer.sku_part_number,
        "targetType": "User",
        "licenseGroupId": "group1",
    }


def service_plans(offer: catalog.Offer) -> list[dict[str, Any]]:
    return [
        {
            "displayName": name,
            "serviceName": service,
            "id": service,
            "capabilityStatus": "Enabled",
            "targetType": "User",
        }
        for service, name in offer.service_plans
    ]


def subscribed_sku(offer: catalog.Offer, active: int, suspended: int, warning: int, consumed: int) -> dict[str, Any]:
    total = active + warning
    return {
        "availableUnits": total - consumed,
        "activeUnits": active,
        "consumedUnits": consumed,
        "suspendedUnits": suspended,
        "totalUnits": total,
        "warningUnits": warning,
        "productSku": product_sku(offer),
        "servicePlans": service_plans(offer),
        "capabilityStatus": "Enabled" if active else ("Warning" if warning else "Suspended"),
        "attributes": {"objectType": "SubscribedSku"},
    }


def license_(offer: catalog.Offer) -> dict[str, Any]:
    return {
        "servicePlans": service_plans(offer),
        "productSku": product_sku(offer),
        "attributes": {"objectType": "License"},
    }


# -- billing -------------------------------------------------------------------------------------


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


TERM_AND_CYCLE = {
    ("P1M", "monthly"): "One-Month commitment for monthly billing",
    ("P1Y", "monthly"): "One-Year commitment for monthly/yearly billing",
    ("P1Y", "annual"): "One-Year commitment for monthly/yearly billing",
    ("P3Y", "monthly"): "Three-Year commitment for monthly/yearly billing",
    ("P3Y", "annual"): "Three-Year commitment for monthly/yearly billing",
    ("P3Y", "triennial"): "Three-Year commitment for monthly/yearly billing",
}


def charge_line(ch: Charge, customer_: Customer | None, partner_id: str, invoice_number: str) -> dict[str, Any]:
    product_id, sku_id, availability_id = ch.catalog_item_id.split(":")
    offer = catalog.find_offer(ch.catalog_item_id)
    name = offer.sku_title if offer else ch.catalog_item_id
    return {
        "partnerId": partner_id,
        "customerId": ch.customer_id,
        "customerName": customer_.company_name if customer_ else "",
        "customerDomainName": customer_.domain if customer_ else "",
        "customerCountry": customer_.address.get("country", "") if customer_ else "",
        "invoiceNumber": invoice_number,
        "mpnId": "",
        "resellerMpnId": "0",
        "orderId": ch.order_id,
        "orderDate": iso(ch.event_at),
        "productId": product_id,
        "skuId": sku_id,
        "availabilityId": availability_id,
        "productName": offer.title if offer else name,
        "skuName": name,
        "productQualifiers": ["AddOn"] if offer and offer.is_addon else [],
        "chargeType": ch.charge_type,
        "unitPrice": _num(ch.unit_price),
        "effectiveUnitPrice": _num(ch.effective_unit_price),
        "unitType": "",
        "quantity": str(ch.quantity),
        "subtotal": _num(ch.subtotal),
        "taxTotal": "0",
        "totalForCustomer": _num(ch.subtotal),
        "currency": ch.currency,
        "publisherName": PUBLISHER,
        "publisherId": "",
        "subscriptionDescription": "",
        "subscriptionId": ch.subscription_id,
        "subscriptionStartDate": ch.subscription_start.isoformat() + "T00:00:00Z",
        "subscriptionEndDate": ch.subscription_end.isoformat() + "T00:00:00Z",
        "chargeStartDate": ch.charge_start.isoformat() + "T00:00:00Z",
        "chargeEndDate": ch.charge_end.isoformat() + "T00:00:00Z",
        "termAndBillingCycle": TERM_AND_CYCLE.get((ch.term, ch.billing_cycle), ""),
        "alternateId": ch.order_id,
        "referenceId": ch.reference_id,
        "priceAdjustmentDescription": "",
        "discountDetails": "",
        "pricingCurrency": ch.currency,
        "pcToBCExchangeRate": "1",
        "pcToBCExchangeRateDate": "",
        "billableQuantity": str(ch.quantity),
        "meterDescription": "",
        "billingFrequency": {"monthly": "Monthly", "annual": "Annual"}.get(ch.billing_cycle, ""),
        "reservationOrderId": "",
        "invoiceLineItemType": "billing_line_items",
        "billingProvider": "one_time",
        "promotionId": "",
        "attributes": {"objectType": "OneTimeInvoiceLineItem"},
    }
