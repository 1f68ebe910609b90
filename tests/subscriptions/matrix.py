"""The subscriptions' API routes in the permission matrix (tests/test_permission_matrix.py runs
them). A subscription follows its organization's visibility. Changes that Partner Center would
make answer 202 when allowed, or 409 when the subscription cannot take them (these have no
Partner Center subscription): either way the role was let through, which is what is checked."""

from __future__ import annotations

from cloudbroker.catalog.choices import BillingPlan, TermDuration
from cloudbroker.core.permissions import Perm
from cloudbroker.subscriptions.choices import SubscriptionStatus
from cloudbroker.subscriptions.models import Subscription
from tests.factories import VendorPriceFactory
from tests.permission_matrix import Kind, Route, World, mine_or_broker_wide


def subscriptions(w: World) -> dict:
    """An active subscription of five seats for each organization of the world."""
    made = {}
    for scope, org in w.organizations.items():
        offer = VendorPriceFactory(offer__product__broker=org.broker).offer
        made[scope] = Subscription.objects.create(
            broker=org.broker,
            organization=org,
            offer=offer,
            quantity=5,
            status=SubscriptionStatus.ACTIVE,
            term=TermDuration.P1Y,
            billing_plan=BillingPlan.MONTHLY,
            currency=org.broker.currency,
        )
    return made


KINDS = [Kind("subscription", subscriptions, mine_or_broker_wide)]

CHANGED = (202, 409)

ROUTES = [
    Route(
        "api subscription quote",
        "GET",
        "organization",
        Perm.SUBSCRIPTION_VIEW,
        lambda w, o: f"/api/v1/organizations/{o.pk}/subscriptions/quote?offer=X:1:P1Y:monthly",
        ok=(422,),
    ),
    Route(
        "api subscription upgrades",
        "GET",
        "subscription",
        Perm.SUBSCRIPTION_VIEW,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/upgrades",
        ok=(200, 409),
    ),
    Route(
        "api subscription upgrade",
        "POST",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/upgrade",
        lambda w, o: {"offer": "X:1:P1Y:monthly"},
        (409, 422),
    ),
    Route(
        "api subscription next term",
        "PUT",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/next-term",
        lambda w, o: {"quantity": 4},
        CHANGED,
    ),
    Route(
        "api subscription next term clear",
        "DELETE",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/next-term",
        ok=CHANGED,
    ),
    Route("api subscriptions", "GET", "none", Perm.SUBSCRIPTION_VIEW, lambda w, o: "/api/v1/subscriptions/"),
    Route(
        "api subscription", "GET", "subscription", Perm.SUBSCRIPTION_VIEW, lambda w, o: f"/api/v1/subscriptions/{o.pk}"
    ),
    Route(
        "api subscription events",
        "GET",
        "subscription",
        Perm.SUBSCRIPTION_VIEW,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/events",
    ),
    Route(
        "api subscription price",
        "POST",
        "subscription",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/prices",
        lambda w, o: {"valid_from": "2030-01-01", "unit_price": "9.50"},
        (201,),
    ),
    Route(
        "api subscription buy",
        "POST",
        "organization",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/api/v1/organizations/{o.pk}/subscriptions",
        lambda w, o: {"offer": "X:1:P1Y:monthly", "quantity": 1},
        (409, 422),
    ),
    Route(
        "api subscription addon",
        "POST",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/addons",
        lambda w, o: {"offer": "X:1:P1Y:monthly", "quantity": 1},
        (409, 422),
    ),
    Route(
        "api subscription quantity preview",
        "POST",
        "subscription",
        Perm.SUBSCRIPTION_VIEW,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/quantity/preview",
        lambda w, o: {"quantity": 6},
    ),
    Route(
        "api subscription quantity",
        "POST",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/quantity",
        lambda w, o: {"quantity": 6},
        CHANGED,
    ),
    Route(
        "api subscription cancellation",
        "GET",
        "subscription",
        Perm.SUBSCRIPTION_VIEW,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/cancellation",
    ),
    Route(
        "api subscription suspend",
        "POST",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/suspend",
        ok=CHANGED,
    ),
    Route(
        "api subscription activate",
        "POST",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/activate",
        ok=CHANGED,
    ),
    Route(
        "api subscription cancel",
        "POST",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/cancel",
        ok=CHANGED,
    ),
    Route(
        "api subscription auto-renew",
        "PUT",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/auto-renew",
        lambda w, o: {"enabled": False},
        CHANGED,
    ),
    Route(
        "api subscription rename",
        "PUT",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/api/v1/subscriptions/{o.pk}/name",
        lambda w, o: {"po_number": "PO-1"},
        CHANGED,
    ),
]
