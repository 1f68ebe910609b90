"""Reseller properties: read by the broker's staff, changed by a Super Admin, through the API
and the portal, with e-mails validated and every change in the audit trail."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from cloudbroker.brokers import services
from cloudbroker.brokers.models import Broker
from cloudbroker.core.errors import PermissionDenied, ValidationFailed
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole

URL = "/api/v1/broker/"
PAGE = "/reseller-properties/"
# The billing cycle section as a broker leaves it by default: everything offered, market DE.
BILLING_CYCLE_ON = {
    "market": "DE",
    "offer_monthly_billing": "on",
    "offer_annual_billing": "on",
    "offer_triennial_billing": "on",
    "offer_term_p1m": "on",
    "offer_term_p1y": "on",
    "offer_term_p3y": "on",
}


# --- service ------------------------------------------------------------------------------------


def test_super_admin_updates_and_one_event_records_it(super_admin, as_actor, broker):
    services.update_broker_properties(
        actor=as_actor(super_admin), broker=broker, data={"support_email": "help@reseller.test", "slug": "ignored"}
    )
    broker.refresh_from_db()
    assert broker.support_email == "help@reseller.test"
    assert broker.slug != "ignored"
    event = AuditEvent.objects.get(action="broker.properties_updated")
    assert event.actor_id == super_admin.pk
    assert event.object_id == str(broker.pk)
    assert event.after["support_email"] == "help@reseller.test"
    assert event.before["support_email"] != "help@reseller.test"


def test_no_change_no_event(super_admin, as_actor, broker):
    services.update_broker_properties(actor=as_actor(super_admin), broker=broker, data={"name": broker.name})
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("notification_email", "nope"), ("support_email", "a@"), ("name", "")])
def test_invalid_values_are_refused_on_their_field(super_admin, as_actor, broker, field, value):
    before = getattr(broker, field)
    with pytest.raises(ValidationFailed) as exc:
        services.update_broker_properties(actor=as_actor(super_admin), broker=broker, data={field: value})
    assert [e.field for e in exc.value.errors] == [field]
    broker.refresh_from_db()
    assert getattr(broker, field) == before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "role", [StaffRole.GLOBAL_ADMIN, StaffRole.GLOBAL_VIEW_ONLY_ADMIN, StaffRole.KEY_ACCOUNT_MANAGER]
)
def test_only_a_super_admin_changes_them(make_staff, as_actor, broker, role):
    with pytest.raises(PermissionDenied):
        services.update_broker_properties(actor=as_actor(make_staff(role)), broker=broker, data={"name": "X"})


# --- API ----------------------------------------------------------------------------------------


def test_get_returns_the_callers_broker(api_client_for, make_staff, broker, other_broker):
    data = api_client_for(make_staff(StaffRole.SALES_AGENT)).get(URL).json()
    assert data["id"] == str(broker.pk)
    assert data["notification_email"] == broker.notification_email
    assert data["support_email"] == broker.support_email
    other = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN, broker_=other_broker)).get(URL).json()
    assert other["id"] == str(other_broker.pk)


def test_patch_by_super_admin(api_client_for, super_admin, broker):
    client = api_client_for(super_admin)
    client.headers["X-Request-ID"] = "props-1"
    resp = client.patch(URL, {"notification_email": "Approvals@Reseller.test", "currency": "SEK"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["currency"] == "SEK"
    broker.refresh_from_db()
    assert broker.currency == "SEK"
    event = AuditEvent.objects.get(action="broker.properties_updated")
    assert event.request_id == "props-1"
    assert event.after["currency"] == "SEK"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"notification_email": "not-an-email"}, "notification_email"),
        ({"support_email": "x@y"}, "support_email"),
        ({"currency": "XXX"}, "currency"),
        ({"name": ""}, "name"),
    ],
)
def test_patch_with_bad_values_is_422(api_client_for, super_admin, broker, payload, field):
    resp = api_client_for(super_admin).patch(URL, payload)
    assert resp.status_code == 422
    data = resp.json()
    assert data["code"] == "validation_failed"
    assert data["field"] == field
    assert Broker.objects.get(pk=broker.pk).name == broker.name


def test_patch_by_global_admin_is_403(api_client_for, make_staff, broker):
    resp = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN)).patch(URL, {"name": "Mine now"})
    assert resp.status_code == 403
    assert resp.json()["code"] == "permission_denied"
    assert Broker.objects.get(pk=broker.pk).name != "Mine now"


# --- portal -------------------------------------------------------------------------------------


def test_page_shows_the_properties_and_a_super_admin_updates_them(portal, super_admin, broker):
    client = portal(super_admin)
    resp = client.get(PAGE)
    assert resp.status_code == 200
    assert broker.support_email in resp.content.decode()
    resp = client.post(
        PAGE,
        {
            "name": "Reseller AB",
            "notification_email": "n@reseller.test",
            "support_email": "s@reseller.test",
            "currency": "EUR",
            **BILLING_CYCLE_ON,
        },
    )
    assert resp.status_code == 302
    broker.refresh_from_db()
    assert (broker.name, broker.notification_email, broker.support_email) == (
        "Reseller AB",
        "n@reseller.test",
        "s@reseller.test",
    )
    assert AuditEvent.objects.filter(action="broker.properties_updated").count() == 1


def test_page_shows_email_errors_on_the_field(portal, super_admin, broker):
    resp = portal(super_admin).post(
        PAGE,
        {
            "name": "R",
            "notification_email": "bad",
            "support_email": "s@reseller.test",
            "currency": "EUR",
            **BILLING_CYCLE_ON,
        },
    )
    assert resp.status_code == 422
    assert list(resp.context["form"].errors) == ["notification_email"]
    assert escape(resp.context["form"].errors["notification_email"][0]) in resp.content.decode()
    assert Broker.objects.get(pk=broker.pk).notification_email == broker.notification_email


def test_others_see_the_page_but_cannot_post(portal, make_staff, broker):
    client = portal(make_staff(StaffRole.GLOBAL_ADMIN))
    resp = client.get(PAGE)
    assert resp.status_code == 200
    assert b"Only a Super Admin can change these." in resp.content
    resp = client.post(
        PAGE, {"name": "X", "notification_email": "n@x.test", "support_email": "s@x.test", "currency": "EUR"}
    )
    assert resp.status_code == 403
    assert Broker.objects.get(pk=broker.pk).name != "X"


def test_billing_cycle_section_turns_plans_and_terms_off(portal, super_admin, broker):
    """Seed 001 §2: untick a billing cycle to stop offering it."""
    client = portal(super_admin)
    assert b"Billing cycle" in client.get(PAGE).content
    data = {
        "name": broker.name,
        "notification_email": broker.notification_email,
        "support_email": broker.support_email,
        "currency": "EUR",
        **BILLING_CYCLE_ON,
        "market": "nl",
    }
    del data["offer_monthly_billing"], data["offer_term_p3y"]
    assert client.post(PAGE, data).status_code == 302
    broker.refresh_from_db()
    assert broker.offered_billing_plans == {"annual", "triennial"}
    assert broker.offered_terms == {"P1M", "P1Y"}
    assert broker.market == "NL"
    event = AuditEvent.objects.filter(action="broker.properties_updated").latest("occurred_at")
    assert (event.before["offer_monthly_billing"], event.after["offer_monthly_billing"]) == (True, False)


def test_a_broker_offers_at_least_one_plan_and_one_term(as_actor, super_admin, broker):
    with pytest.raises(ValidationFailed) as exc:
        services.update_broker_properties(
            actor=as_actor(super_admin),
            broker=broker,
            data={
                "offer_monthly_billing": False,
                "offer_annual_billing": False,
                "offer_triennial_billing": False,
                "offer_term_p1m": False,
                "offer_term_p1y": False,
                "offer_term_p3y": False,
                "market": "D1",
            },
        )
    fields = {e.field for e in exc.value.errors}
    assert fields == {"offer_monthly_billing", "offer_term_p1m", "market"}
    broker.refresh_from_db()
    assert broker.offered_billing_plans == {"monthly", "annual", "triennial"}
