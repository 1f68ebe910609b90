"""Partner Center's and Microsoft 365 tenants' routes in the permission matrix
(tests/test_permission_matrix.py runs them)."""

from __future__ import annotations

from pathlib import Path

from cloudbroker.core.permissions import Perm
from cloudbroker.subscriptions.models import Subscription
from tests.factories import MicrosoftTenantFactory, PartnerCenterConnectionFactory, VendorPriceFactory
from tests.permission_matrix import FOREIGN, MINE, OUTSIDE, Kind, Route, World, broker_wide, has, mine_or_broker_wide


def linked_tenants(w: World) -> dict:
    """A tenant for each organization of the world; both brokers are connected to Partner Center (at
    an address where nothing answers)."""
    for broker in (w.broker, w.other_broker):
        PartnerCenterConnectionFactory(broker=broker)
    return {scope: MicrosoftTenantFactory(organization=org) for scope, org in w.organizations.items()}


def subscriptions_of_world(w: World) -> dict:
    """A subscription (as bought: waiting for Partner Center) of each organization of the world, on
    an item code of its broker's catalog."""
    made = {}
    for scope, org in w.organizations.items():
        offer = VendorPriceFactory(offer__product__broker=w.broker_of(scope)).offer
        made[scope] = Subscription.objects.create(
            broker=org.broker,
            organization=org,
            offer=offer,
            quantity=5,
            term=offer.term,
            billing_plan=offer.billing_plan,
            currency=org.broker.currency,
        )
    return made


KINDS = [
    Kind("tenant", linked_tenants, mine_or_broker_wide),
    # A tenant no organization has yet: seen only by who may link it, and who sees the whole broker.
    Kind(
        "unlinked",
        lambda w: {
            MINE: MicrosoftTenantFactory(broker=w.broker),
            FOREIGN: MicrosoftTenantFactory(broker=w.other_broker),
        },
        lambda role, scope: broker_wide(role) and has(role, Perm.TENANT_LINK),
    ),
]

# The kind "subscription" belongs to the subscriptions app (tests/subscriptions/matrix.py); where that
# file is not there, the subscription pages declared below bring their own.
if not (Path(__file__).resolve().parents[1] / "subscriptions" / "matrix.py").exists():
    KINDS.append(Kind("subscription", subscriptions_of_world, mine_or_broker_wide))


ROUTES = [
    Route(
        "api pc connection get",
        "GET",
        "broker",
        Perm.PARTNER_CENTER_SYNC,
        lambda w, o: "/api/v1/partner-center/connection",
    ),
    Route(
        "api pc connection put",
        "PUT",
        "broker",
        Perm.PARTNER_CENTER_MANAGE,
        lambda w, o: "/api/v1/partner-center/connection",
        lambda w, o: {"tenant_id": "t2", "client_id": "c2"},
    ),
    Route(
        "api pc connection test",
        "POST",
        "broker",
        Perm.PARTNER_CENTER_SYNC,
        lambda w, o: "/api/v1/partner-center/connection/test",
    ),
    Route(
        "api pc sync", "POST", "broker", Perm.PARTNER_CENTER_SYNC, lambda w, o: "/api/v1/partner-center/sync", ok=(202,)
    ),
    Route("api catalog sync", "POST", "broker", Perm.CATALOG_MANAGE, lambda w, o: "/api/v1/catalog/sync", ok=(202,)),
    Route("api tenants list", "GET", "none", Perm.TENANT_VIEW, lambda w, o: "/api/v1/tenants/"),
    # Every organization of this world already has a tenant: a permitted request is refused by that rule (409).
    Route(
        "api tenant request",
        "POST",
        "organization",
        Perm.TENANT_MANAGE,
        lambda w, o: "/api/v1/tenants/",
        lambda w, o: {
            "organization": str(o.pk),
            "company_name": "X",
            "domain_prefix": "xmatrix",
            "first_name": "A",
            "last_name": "B",
            "email": "a@b.test",
            "address_line1": "1 St",
            "city": "C",
            "postal_code": "1",
            "country": "SE",
        },
        (409,),
    ),
    # No Partner Center answers in this test: a permitted check reaches for it and gets 502.
    Route(
        "api tenant domain check",
        "GET",
        "none",
        Perm.TENANT_MANAGE,
        lambda w, o: "/api/v1/tenants/domain-availability?prefix=xmatrix",
        ok=(502,),
    ),
    Route("api tenants auto-link", "POST", "none", Perm.TENANT_LINK, lambda w, o: "/api/v1/tenants/auto-link"),
    Route("api tenant get", "GET", "tenant", Perm.TENANT_VIEW, lambda w, o: f"/api/v1/tenants/{o.pk}"),
    Route(
        "api tenant link",
        "POST",
        "unlinked",
        Perm.TENANT_LINK,
        lambda w, o: f"/api/v1/tenants/{o.pk}/link",
        lambda w, o: {"organization": str(w.organizations[OUTSIDE].pk)},
        (409,),
    ),
    Route("api tenant unlink", "DELETE", "tenant", Perm.TENANT_LINK, lambda w, o: f"/api/v1/tenants/{o.pk}/link"),
    Route(
        "api tenant create org",
        "POST",
        "unlinked",
        Perm.TENANT_LINK,
        lambda w, o: f"/api/v1/tenants/{o.pk}/create-organization",
        lambda w, o: {
            "name": "From Tenant",
            "primary_domain": "from-tenant.example",
            "notification_email": "a@from-tenant.example",
        },
        (201,),
    ),
    Route("partner_center", "GET", "broker", Perm.PARTNER_CENTER_SYNC, lambda w, o: "/partner-center/", api=False),
    Route(
        "partner_center post",
        "POST",
        "broker",
        Perm.PARTNER_CENTER_MANAGE,
        lambda w, o: "/partner-center/",
        lambda w, o: {
            "action": "save",
            "tenant_id": "t",
            "client_id": "c",
            "authority_base": "https://a.test",
            "api_base_url": "https://b.test",
            "requests_per_minute": "100",
            "sync_interval_minutes": "60",
            # New addresses need the secret again (the factory's connection has one stored).
            "client_secret": "the-secret-again",
        },
        (302,),
        api=False,
    ),
    # POST only (the catalog pages' button): starts the catalog sync and shows its job.
    Route(
        "catalog_sync post",
        "POST",
        "broker",
        Perm.CATALOG_MANAGE,
        lambda w, o: "/catalog/sync/",
        lambda w, o: {},
        (302,),
        api=False,
    ),
    Route("tenant_list", "GET", "none", Perm.TENANT_VIEW, lambda w, o: "/tenants/", api=False),
    Route(
        "tenant_auto_link",
        "POST",
        "none",
        Perm.TENANT_LINK,
        lambda w, o: "/tenants/auto-link/",
        lambda w, o: {},
        api=False,
    ),
    Route(
        "tenant_domain_check",
        "GET",
        "none",
        Perm.TENANT_MANAGE,
        lambda w, o: "/tenants/domain-check/?domain_prefix=xmatrix",
        api=False,
    ),
    Route("tenant_detail", "GET", "tenant", Perm.TENANT_VIEW, lambda w, o: f"/tenants/{o.pk}/", api=False),
    Route(
        "tenant_detail post",
        "POST",
        "unlinked",
        Perm.TENANT_LINK,
        lambda w, o: f"/tenants/{o.pk}/",
        lambda w, o: {"action": "link", "organization": str(w.organizations[OUTSIDE].pk)},
        (302,),
        api=False,
    ),
    Route(
        "organization_services",
        "GET",
        "organization",
        Perm.ORGANIZATION_VIEW,
        lambda w, o: f"/organizations/{o.pk}/services/",
        api=False,
    ),
    Route(
        "organization_add_microsoft365",
        "GET",
        "organization",
        Perm.TENANT_MANAGE,
        lambda w, o: f"/organizations/{o.pk}/services/microsoft-365/",
        api=False,
    ),
    # -- NCE subscriptions (seed 001 §3–§5) --------------------------------------------------------
    Route(
        "organization_subscriptions",
        "GET",
        "organization",
        Perm.SUBSCRIPTION_VIEW,
        lambda w, o: f"/organizations/{o.pk}/subscriptions/",
        api=False,
    ),
    Route(
        "subscription_add",
        "GET",
        "organization",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/organizations/{o.pk}/subscriptions/add/",
        api=False,
    ),
    # No item code is chosen: the service names the field (the form comes back with it, 422).
    Route(
        "subscription_add post",
        "POST",
        "organization",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/organizations/{o.pk}/subscriptions/add/",
        lambda w, o: {"quantity": "3"},
        (422,),
        api=False,
    ),
    Route(
        "subscription_detail",
        "GET",
        "subscription",
        Perm.SUBSCRIPTION_VIEW,
        lambda w, o: f"/subscriptions/{o.pk}/",
        api=False,
    ),
    Route(
        "subscription_quantity",
        "GET",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/subscriptions/{o.pk}/quantity/?quantity=6",
        api=False,
    ),
    # The subscription still waits for Partner Center: the change is refused on the form (422).
    Route(
        "subscription_quantity post",
        "POST",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/subscriptions/{o.pk}/quantity/",
        lambda w, o: {"quantity": "6"},
        (422,),
        api=False,
    ),
    Route(
        "subscription_addon",
        "GET",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/subscriptions/{o.pk}/add-on/",
        api=False,
    ),
    # Add-ons are bought for active subscriptions only: refused on the form (422).
    Route(
        "subscription_addon post",
        "POST",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/subscriptions/{o.pk}/add-on/",
        lambda w, o: {"offer": "", "quantity": "1"},
        (422,),
        api=False,
    ),
    Route(
        "subscription_next_term",
        "GET",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/subscriptions/{o.pk}/next-term/",
        api=False,
    ),
    # Not yet in Partner Center: the change is refused on the form (422).
    Route(
        "subscription_next_term post",
        "POST",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/subscriptions/{o.pk}/next-term/",
        lambda w, o: {"quantity": "4"},
        (422,),
        api=False,
    ),
    Route(
        "subscription_upgrade",
        "GET",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/subscriptions/{o.pk}/upgrade/",
        api=False,
    ),
    Route(
        "subscription_upgrade post",
        "POST",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/subscriptions/{o.pk}/upgrade/",
        lambda w, o: {"offer": "X:1:P1Y:monthly"},
        (422,),
        api=False,
    ),
    Route(
        "subscription_edit",
        "GET",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/subscriptions/{o.pk}/edit/",
        api=False,
    ),
    Route(
        "subscription_edit post",
        "POST",
        "subscription",
        Perm.SUBSCRIPTION_MANAGE,
        lambda w, o: f"/subscriptions/{o.pk}/edit/",
        lambda w, o: {"friendly_name": "Matrix", "po_number": "PO-1"},
        (302,),
        api=False,
    ),
    Route(
        "subscription_price",
        "GET",
        "subscription",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/subscriptions/{o.pk}/price/",
        api=False,
    ),
    Route(
        "subscription_price post",
        "POST",
        "subscription",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/subscriptions/{o.pk}/price/",
        lambda w, o: {"valid_from": "2026-01-01", "unit_price": "9.50"},
        (302,),
        api=False,
    ),
    # The confirmations: GET asks; a POST the subscription's state refuses comes back as a message (302).
    *[
        route
        for name, action in (
            ("subscription_suspend", "suspend"),
            ("subscription_activate", "activate"),
            ("subscription_auto_renew", "auto-renew"),
            ("subscription_cancel", "cancel"),
        )
        for route in (
            Route(
                name,
                "GET",
                "subscription",
                Perm.SUBSCRIPTION_MANAGE,
                lambda w, o, action=action: f"/subscriptions/{o.pk}/{action}/",
                api=False,
            ),
            Route(
                f"{name} post",
                "POST",
                "subscription",
                Perm.SUBSCRIPTION_MANAGE,
                lambda w, o, action=action: f"/subscriptions/{o.pk}/{action}/",
                lambda w, o: {"enabled": "0"},
                (302,),
                api=False,
            ),
        )
    ],
]
