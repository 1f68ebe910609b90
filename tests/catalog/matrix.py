"""The catalog's and the price lists' routes in the permission matrix
(tests/test_permission_matrix.py runs them).

Catalog rows (offers, products) and the global price list belong to the broker: every staff member
of the broker sees them, nobody of another broker. A customer's price entry follows its
organization's visibility.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from cloudbroker.catalog.choices import PriceKind
from cloudbroker.core.permissions import Perm
from tests.factories import PriceEntryFactory, VendorPriceFactory
from tests.permission_matrix import FOREIGN, MINE, Kind, Route, World, anyone, mine_or_broker_wide


def _scheduled() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=30)


def offers(w: World) -> dict:
    """An item code of each broker with Microsoft's price (96.00 a year, 8.00 a month)."""
    return {scope: VendorPriceFactory(offer__product__broker=w.broker_of(scope)).offer for scope in (MINE, FOREIGN)}


def global_prices(w: World) -> dict:
    """A scheduled global price of each broker's item code."""
    return {
        scope: PriceEntryFactory(
            broker=offer.broker, offer=offer, kind=PriceKind.AMOUNT, value=Decimal("12.00"), effective_from=_scheduled()
        )
        for scope, offer in w.objects["offer"].items()
    }


def customer_prices(w: World) -> dict:
    """A scheduled customer price for each organization of the world."""
    return {
        scope: PriceEntryFactory(
            broker=org.broker, organization=org, kind=PriceKind.MARGIN, value=Decimal("30"), effective_from=_scheduled()
        )
        for scope, org in w.organizations.items()
    }


KINDS = [
    Kind("offer", offers, anyone),
    Kind("product", lambda w: {s: o.product for s, o in w.objects["offer"].items()}, anyone),
    Kind("global price", global_prices, anyone),
    Kind("customer price", customer_prices, mine_or_broker_wide),
]


def mine(w: World, kind: str):
    """The world's object of my scope (or, when the runner turns paths back into templates, its
    placeholder world, whose every id is ``{}``)."""
    return w.objects[kind][MINE] if isinstance(w.objects, dict) else w


def my_offer(w: World):
    return mine(w, "offer")


def my_product(w: World):
    return mine(w, "product")


def price_body(w: World, _):
    return {"target_type": "offer", "target_id": str(my_offer(w).pk), "kind": "amount", "value": "20.00"}


def bulk_body(w: World, _):
    return {"offers": [str(my_offer(w).pk)], "kind": "margin", "value": "30"}


def form_body(w: World, _):
    return {"kind": "amount", "value": "20.00"}


def bulk_form(w: World, _):
    return {"offers": [str(my_offer(w).pk)], "kind": "margin", "value": "30"}


def rule_form(w: World, _):
    return {"target": "all", "kind": "margin", "value": "30"}


def page(name, method, kind, perm, path, body=None, ok=(200,)):
    return Route(name, method, kind, perm, path, body, ok, api=False)


ROUTES = [
    # -- API -------------------------------------------------------------------------------------
    Route("api catalog offers", "GET", "none", Perm.CATALOG_VIEW, lambda w, o: "/api/v1/catalog/offers"),
    Route(
        "api catalog offers for an organization",
        "GET",
        "organization",
        Perm.PRICE_VIEW,
        lambda w, o: f"/api/v1/catalog/offers?organization={o.pk}",
    ),
    Route("api catalog offer", "GET", "offer", Perm.CATALOG_VIEW, lambda w, o: f"/api/v1/catalog/offers/{o.pk}"),
    Route("api catalog categories", "GET", "none", Perm.CATALOG_VIEW, lambda w, o: "/api/v1/catalog/categories"),
    Route("api catalog groups", "GET", "none", Perm.CATALOG_VIEW, lambda w, o: "/api/v1/catalog/product-groups"),
    Route("api catalog products", "GET", "none", Perm.CATALOG_VIEW, lambda w, o: "/api/v1/catalog/products"),
    Route(
        "api catalog product visibility",
        "PUT",
        "product",
        Perm.CATALOG_MANAGE,
        lambda w, o: f"/api/v1/catalog/products/{o.pk}/visibility",
        lambda w, o: {"hidden": True},
    ),
    Route(
        "api catalog organization visibility",
        "PUT",
        "organization",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/api/v1/catalog/organizations/{o.pk}/products/{my_product(w).pk}/visibility",
        lambda w, o: {"hidden": True},
    ),
    Route("api catalog prices", "GET", "none", Perm.PRICE_VIEW, lambda w, o: "/api/v1/catalog/prices"),
    Route(
        "api catalog price create",
        "POST",
        "none",
        Perm.PRICE_LIST_CHANGE,
        lambda w, o: "/api/v1/catalog/prices",
        price_body,
        (201,),
    ),
    Route(
        "api catalog price bulk",
        "POST",
        "none",
        Perm.PRICE_LIST_CHANGE,
        lambda w, o: "/api/v1/catalog/prices/bulk",
        bulk_body,
        (201,),
    ),
    Route(
        "api catalog price cancel",
        "DELETE",
        "global price",
        Perm.PRICE_LIST_CHANGE,
        lambda w, o: f"/api/v1/catalog/prices/{o.pk}",
        ok=(204,),
    ),
    Route(
        "api catalog customer price cancel",
        "DELETE",
        "customer price",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/api/v1/catalog/prices/{o.pk}",
        ok=(204,),
    ),
    Route(
        "api catalog customer prices",
        "GET",
        "organization",
        Perm.PRICE_VIEW,
        lambda w, o: f"/api/v1/catalog/organizations/{o.pk}/prices",
    ),
    Route(
        "api catalog customer price create",
        "POST",
        "organization",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/api/v1/catalog/organizations/{o.pk}/prices",
        price_body,
        (201,),
    ),
    Route(
        "api catalog customer price bulk",
        "POST",
        "organization",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/api/v1/catalog/organizations/{o.pk}/prices/bulk",
        bulk_body,
        (201,),
    ),
    # -- pages -----------------------------------------------------------------------------------
    page("catalog", "GET", "none", Perm.CATALOG_VIEW, lambda w, o: "/catalog/"),
    page("catalog_offer", "GET", "offer", Perm.CATALOG_VIEW, lambda w, o: f"/catalog/offers/{o.pk}/?day=2030-01-01"),
    page(
        "catalog_offer post",
        "POST",
        "offer",
        Perm.PRICE_LIST_CHANGE,
        lambda w, o: f"/catalog/offers/{o.pk}/",
        form_body,
        (302,),
    ),
    page("price_rules", "GET", "none", Perm.PRICE_VIEW, lambda w, o: "/catalog/rules/"),
    page("price_rules post", "POST", "none", Perm.PRICE_LIST_CHANGE, lambda w, o: "/catalog/rules/", rule_form, (302,)),
    page(
        "catalog_bulk_price",
        "GET",
        "none",
        Perm.PRICE_VIEW,
        lambda w, o: f"/catalog/bulk-price/?offers={my_offer(w).pk}",
    ),
    page(
        "catalog_bulk_price post",
        "POST",
        "none",
        Perm.PRICE_LIST_CHANGE,
        lambda w, o: "/catalog/bulk-price/",
        bulk_form,
        (302,),
    ),
    page(
        "price_entry_cancel",
        "GET",
        "global price",
        Perm.PRICE_LIST_CHANGE,
        lambda w, o: f"/catalog/prices/{o.pk}/cancel/",
    ),
    page(
        "price_entry_cancel post",
        "POST",
        "global price",
        Perm.PRICE_LIST_CHANGE,
        lambda w, o: f"/catalog/prices/{o.pk}/cancel/",
        lambda w, o: {},
        (302,),
    ),
    page(
        "price_entry_cancel customer",
        "GET",
        "customer price",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/catalog/prices/{o.pk}/cancel/",
    ),
    page(
        "price_entry_cancel customer post",
        "POST",
        "customer price",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/catalog/prices/{o.pk}/cancel/",
        lambda w, o: {},
        (302,),
    ),
    page(
        "catalog_product_visibility",
        "GET",
        "product",
        Perm.CATALOG_MANAGE,
        lambda w, o: f"/catalog/products/{o.pk}/visibility/?hidden=1",
    ),
    page(
        "catalog_product_visibility post",
        "POST",
        "product",
        Perm.CATALOG_MANAGE,
        lambda w, o: f"/catalog/products/{o.pk}/visibility/",
        lambda w, o: {"hidden": "1"},
        (302,),
    ),
    page("organization_prices", "GET", "organization", Perm.PRICE_VIEW, lambda w, o: f"/organizations/{o.pk}/prices/"),
    page(
        "organization_offer_price",
        "GET",
        "organization",
        Perm.PRICE_VIEW,
        lambda w, o: f"/organizations/{o.pk}/prices/offers/{my_offer(w).pk}/",
    ),
    page(
        "organization_offer_price post",
        "POST",
        "organization",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/organizations/{o.pk}/prices/offers/{my_offer(w).pk}/",
        form_body,
        (302,),
    ),
    page(
        "organization_price_rules",
        "GET",
        "organization",
        Perm.PRICE_VIEW,
        lambda w, o: f"/organizations/{o.pk}/prices/rules/",
    ),
    page(
        "organization_price_rules post",
        "POST",
        "organization",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/organizations/{o.pk}/prices/rules/",
        rule_form,
        (302,),
    ),
    page(
        "organization_bulk_price",
        "GET",
        "organization",
        Perm.PRICE_VIEW,
        lambda w, o: f"/organizations/{o.pk}/prices/bulk/?offers={my_offer(w).pk}",
    ),
    page(
        "organization_bulk_price post",
        "POST",
        "organization",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/organizations/{o.pk}/prices/bulk/",
        bulk_form,
        (302,),
    ),
    page(
        "organization_product_visibility",
        "GET",
        "organization",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/organizations/{o.pk}/prices/products/{my_product(w).pk}/visibility/?hidden=1",
    ),
    page(
        "organization_product_visibility post",
        "POST",
        "organization",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/organizations/{o.pk}/prices/products/{my_product(w).pk}/visibility/",
        lambda w, o: {"hidden": "1"},
        (302,),
    ),
]

__all__ = ["FOREIGN", "KINDS", "ROUTES"]
