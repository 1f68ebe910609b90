"""Organization and group services: creation (one and many), the group rules by role, updates,
deletion, domains, group membership and the audit trail they leave."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from cloudbroker.core.errors import Conflict, PermissionDenied, ValidationFailed
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from cloudbroker.organizations import services
from cloudbroker.organizations.models import Organization, OrganizationDomain, OrganizationGroup
from tests.factories import GroupFactory


def row(n: int = 1, **fields):
    return {
        "name": f"Customer {n}",
        "primary_domain": f"customer{n}.com",
        "notification_email": f"it@customer{n}.com",
        **fields,
    }


def errors_of(exc_info) -> list[tuple]:
    return sorted(((e.row or 0), e.field, e.code) for e in exc_info.value.errors)


@pytest.fixture
def admin(make_staff):
    return make_staff(StaffRole.GLOBAL_ADMIN)


@pytest.fixture
def ga(admin, as_actor):
    return as_actor(admin)


# --- single create ------------------------------------------------------------------------------


def test_create_stores_cleaned_values_and_records_one_event(ga, broker):
    # Given a Global Admin and raw input as a form would send it
    data = row(
        primary_domain="WWW-Shop.Contoso.com",
        notification_email="IT@Contoso.com",
        approval_required="TRUE",
        approval_limit="12000,50",
        billing_start_date="01/02/2026",
        customer_number="C-1",
        country="Sweden",
        contact_phone="+46 8 123 456",
    )
    # When the organization is created
    org = services.create_organization(actor=ga, data=data)
    # Then the cleaned values are stored in the actor's broker
    org.refresh_from_db()
    assert org.broker_id == broker.pk
    assert org.primary_domain == "www-shop.contoso.com"
    assert org.notification_email == "it@contoso.com"
    assert org.approval_required is True
    assert org.approval_limit == Decimal("12000.50")
    assert org.billing_start_date == dt.date(2026, 2, 1)
    assert org.country.code == "SE"
    # And exactly one audit event names the actor, the object and the values
    events = list(AuditEvent.objects.filter(object_id=str(org.pk)))
    assert len(events) == 1
    event = events[0]
    assert event.action == "organization.created"
    assert event.actor_id == ga.user_id
    assert event.actor_label == ga.user.email
    assert event.object_type == "organizations.organization"
    assert event.organization_id == org.pk
    assert event.before is None
    assert event.after["primary_domain"] == "www-shop.contoso.com"
    assert event.after["approval_limit"] == "12000.50"
    assert event.after["groups"] == []


@time_machine.travel(dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC), tick=False)
def test_billing_start_date_defaults_to_today(ga):
    org = services.create_organization(actor=ga, data=row())
    org.refresh_from_db()
    assert org.billing_start_date == dt.date(2026, 3, 15)
    org2 = services.create_organization(actor=ga, data=row(2, billing_start_date=""))
    org2.refresh_from_db()
    assert org2.billing_start_date == dt.date(2026, 3, 15)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("primary_domain", "http://x.com"),
        ("primary_domain", "www.x.com"),
        ("primary_domain", "x.c0m"),
        ("notification_email", "nope"),
        ("contact_email", "nope"),
        ("approval_required", "garbage"),
        ("approval_limit", "-1"),
        ("approval_limit", "1.234"),
        ("billing_start_date", "31/02/2026"),
        ("country", "Narnia"),
        ("contact_phone", "phone"),
        ("contact_cell_phone", "1"),
        ("postal_code", "9" * 21),
        ("customer_number", "9" * 65),
    ],
)
def test_create_refuses_each_bad_field_and_creates_nothing(ga, field, value):
    with pytest.raises(ValidationFailed) as exc:
        services.create_organization(actor=ga, data=row(**{field: value}))
    assert [e.field for e in exc.value.errors] == [field]
    assert exc.value.errors[0].row is None  # a single create does not speak of rows
    assert exc.value.field == field
    assert not Organization.objects.exists()
    assert not AuditEvent.objects.exists()


def test_primary_domain_is_unique_in_the_broker_case_insensitively(ga, org_factory):
    org_factory(primary_domain="Contoso.COM")
    with pytest.raises(ValidationFailed) as exc:
        services.create_organization(actor=ga, data=row(primary_domain="contoso.com"))
    assert errors_of(exc) == [(0, "primary_domain", "unique")]
    assert "contoso.com already exists" in exc.value.errors[0].message


def test_customer_number_is_unique_in_the_broker_but_not_across_brokers(ga, org_factory, other_broker):
    org_factory(customer_number="C-100", broker=other_broker, primary_domain="elsewhere.com")
    # Given the number is used only in another broker, it is free here
    services.create_organization(actor=ga, data=row(1, customer_number="C-100"))
    # And the same primary domain in another broker is fine too
    services.create_organization(actor=ga, data=row(2, primary_domain="elsewhere.com"))
    # But a second use in this broker is refused
    with pytest.raises(ValidationFailed) as exc:
        services.create_organization(actor=ga, data=row(3, customer_number="C-100"))
    assert errors_of(exc) == [(0, "customer_number", "unique")]
    assert Organization.objects.filter(customer_number="C-100").count() == 2


def test_blank_customer_numbers_do_not_clash(ga):
    services.create_organization(actor=ga, data=row(1, customer_number=""))
    services.create_organization(actor=ga, data=row(2, customer_number=""))
    assert Organization.objects.filter(customer_number="").count() == 2


# --- multi-create -----------------------------------------------------------------------------


def test_multi_create_makes_all_rows_with_one_event_each(ga):
    orgs = services.create_organizations(actor=ga, rows=[row(1), row(2), row(3)])
    assert sorted(o.name for o in orgs) == ["Customer 1", "Customer 2", "Customer 3"]
    assert Organization.objects.count() == 3
    events = AuditEvent.objects.filter(action="organization.created")
    assert sorted(e.object_id for e in events) == sorted(str(o.pk) for o in orgs)
    assert {e.organization_id for e in events} == {o.pk for o in orgs}


def test_multi_create_names_row_and_field_of_every_error_and_creates_none(ga):
    # Given three rows of which the second and third are bad
    rows = [
        row(1),
        row(2, primary_domain="https://customer2.com", approval_limit="1,005"),
        row(3, notification_email="", country="Atlantis", billing_start_date="31/02/2026"),
    ]
    # When they are created together
    with pytest.raises(ValidationFailed) as exc:
        services.create_organizations(actor=ga, rows=rows)
    # Then every error names its row and field
    assert errors_of(exc) == [
        (2, "approval_limit", "invalid"),
        (2, "primary_domain", "invalid"),
        (3, "billing_start_date", "invalid"),
        (3, "country", "invalid"),
        (3, "notification_email", "required"),
    ]
    assert "Row 2, primary_domain: Enter the bare domain" in {str(e)[:44] for e in exc.value.errors}
    # And nothing was created, not even the good first row
    assert not Organization.objects.exists()
    assert not AuditEvent.objects.exists()


def test_multi_create_finds_duplicates_inside_the_batch(ga):
    rows = [
        row(1, customer_number="N1"),
        row(2, primary_domain="CUSTOMER1.com", customer_number="N2"),
        row(3, customer_number="N1"),
    ]
    with pytest.raises(ValidationFailed) as exc:
        services.create_organizations(actor=ga, rows=rows)
    assert errors_of(exc) == [(2, "primary_domain", "duplicate_in_batch"), (3, "customer_number", "duplicate_in_batch")]
    messages = {e.row: e.message for e in exc.value.errors}
    assert messages[2] == "The domain customer1.com is also on row 1."
    assert messages[3] == "The customer number N1 is also on row 1."
    assert not Organization.objects.exists()


def test_multi_create_finds_duplicates_against_the_database(ga, org_factory):
    org_factory(primary_domain="taken.com", customer_number="TAKEN")
    rows = [row(1), row(2, primary_domain="Taken.Com"), row(3, customer_number="TAKEN")]
    with pytest.raises(ValidationFailed) as exc:
        services.create_organizations(actor=ga, rows=rows)
    assert errors_of(exc) == [(2, "primary_domain", "unique"), (3, "customer_number", "unique")]
    assert Organization.objects.count() == 1


def test_multi_create_refuses_an_empty_batch(ga):
    with pytest.raises(ValidationFailed) as exc:
        services.create_organizations(actor=ga, rows=[])
    assert exc.value.errors[0].field == "rows"


def test_multi_create_refuses_more_than_the_maximum(ga):
    with pytest.raises(ValidationFailed) as exc:
        services.create_organizations(actor=ga, rows=[row(i) for i in range(services.MAX_BULK_ROWS + 1)])
    assert errors_of(exc) == [(0, "rows", "too_many")]
    assert not Organization.objects.exists()


# --- groups by role when creating ---------------------------------------------------------------


@pytest.fixture
def groups(group_factory):
    return group_factory(name="North"), group_factory(name="South"), group_factory(name="Nobody's")


@pytest.mark.parametrize(
    "role", [StaffRole.KEY_ACCOUNT_MANAGER, StaffRole.LIMITED_KEY_ACCOUNT_MANAGER, StaffRole.SALES_AGENT]
)
def test_group_scoped_roles_must_choose_exactly_one_of_their_own_groups(role, make_staff, as_actor, groups):
    north, south, other = groups
    actor = as_actor(make_staff(role, groups=[north, south]))
    # No group: refused on "groups"
    with pytest.raises(ValidationFailed) as exc:
        services.create_organization(actor=actor, data=row(1), group_ids=[])
    assert errors_of(exc) == [(0, "groups", "required")]
    # A group that is not theirs: refused
    with pytest.raises(ValidationFailed) as exc:
        services.create_organization(actor=actor, data=row(1), group_ids=[other.pk])
    assert errors_of(exc) == [(0, "groups", "not_found")]
    # Two of their own: refused
    with pytest.raises(ValidationFailed) as exc:
        services.create_organization(actor=actor, data=row(1), group_ids=[north.pk, south.pk])
    assert errors_of(exc) == [(0, "groups", "required")]
    assert not Organization.objects.exists()
    # Exactly one of their own: created in that group, and visible to them
    org = services.create_organization(actor=actor, data=row(1), group_ids=[south.pk])
    assert list(org.groups.all()) == [south]
    assert Organization.objects.visible_to(actor).filter(pk=org.pk).exists()


def test_group_in_another_broker_is_refused(ga, other_broker):
    foreign = GroupFactory(broker=other_broker, name="Foreign")
    with pytest.raises(ValidationFailed) as exc:
        services.create_organization(actor=ga, data=row(), group_ids=[foreign.pk])
    assert errors_of(exc) == [(0, "groups", "not_found")]


def test_global_admin_may_choose_several_groups_or_none(ga, groups):
    north, south, other = groups
    org = services.create_organization(actor=ga, data=row(1), group_ids=[north.pk, south.pk, other.pk])
    assert set(org.groups.all()) == {north, south, other}
    event = AuditEvent.objects.get(object_id=str(org.pk))
    assert event.after["groups"] == sorted(str(g.pk) for g in (north, south, other))
    org2 = services.create_organization(actor=ga, data=row(2), group_ids=[])
    assert not org2.groups.exists()


def test_global_support_admin_may_choose_at_most_one_group(make_staff, as_actor, groups):
    north, south, _ = groups
    actor = as_actor(make_staff(StaffRole.GLOBAL_SUPPORT_ADMIN))
    with pytest.raises(ValidationFailed) as exc:
        services.create_organization(actor=actor, data=row(1), group_ids=[north.pk, south.pk])
    assert errors_of(exc) == [(0, "groups", "too_many_groups")]
    assert services.create_organization(actor=actor, data=row(1), group_ids=[north.pk]).groups.get() == north
    assert not services.create_organization(actor=actor, data=row(2)).groups.exists()


@pytest.mark.parametrize("role", [StaffRole.LIMITED_KEY_ACCOUNT_MANAGER, StaffRole.SALES_AGENT])
@pytest.mark.parametrize(("field", "value"), [("approval_required", "TRUE"), ("approval_limit", "1000")])
def test_roles_without_approval_permission_cannot_set_approval_settings(
    role, field, value, make_staff, as_actor, groups
):
    actor = as_actor(make_staff(role, groups=[groups[0]]))
    with pytest.raises(ValidationFailed) as exc:
        services.create_organization(actor=actor, data=row(**{field: value}), group_ids=[groups[0].pk])
    assert errors_of(exc) == [(0, "approval_required", "permission_denied")]
    assert not Organization.objects.exists()
    # Explicitly switching approval off is not a change and is allowed
    org = services.create_organization(actor=actor, data=row(approval_required="FALSE"), group_ids=[groups[0].pk])
    assert org.approval_required is False


def test_kam_can_set_approval_settings(make_staff, as_actor, groups):
    actor = as_actor(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[groups[0]]))
    org = services.create_organization(
        actor=actor, data=row(approval_required="TRUE", approval_limit="5000"), group_ids=[groups[0].pk]
    )
    assert org.approval_required is True
    assert org.approval_limit == Decimal("5000.00")


def test_multi_create_reports_group_errors_per_row(make_staff, as_actor, groups):
    north, _, other = groups
    actor = as_actor(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[north]))
    with pytest.raises(ValidationFailed) as exc:
        services.create_organizations(
            actor=actor, rows=[row(1), row(2), row(3)], group_ids=[[north.pk], [], [other.pk]]
        )
    assert errors_of(exc) == [(2, "groups", "required"), (3, "groups", "not_found")]
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    "role", [StaffRole.GLOBAL_VIEW_ONLY_ADMIN, StaffRole.GLOBAL_BILLING_ADMIN, StaffRole.KEY_ACCOUNT_VIEW_ONLY_MANAGER]
)
def test_read_only_roles_cannot_create(role, make_staff, as_actor, groups):
    actor = as_actor(make_staff(role, groups=[groups[0]] if role == StaffRole.KEY_ACCOUNT_VIEW_ONLY_MANAGER else ()))
    with pytest.raises(PermissionDenied):
        services.create_organization(actor=actor, data=row(), group_ids=[groups[0].pk])


# --- update -----------------------------------------------------------------------------------


def test_partial_update_changes_only_given_fields_and_records_only_the_changes(ga, org_factory):
    org = org_factory(name="Old", city="Lund", contact_name="Ann")
    updated = services.update_organization(
        actor=ga, organization=org, data={"name": " New ", "city": "Lund", "country": "gb"}
    )
    updated.refresh_from_db()
    assert updated.name == "New"
    assert updated.country.code == "GB"
    assert updated.contact_name == "Ann"
    event = AuditEvent.objects.get(action="organization.updated")
    assert event.before == {"name": "Old", "country": "SE"}
    assert event.after == {"name": "New", "country": "GB"}
    assert event.object_id == str(org.pk)
    assert event.organization_id == org.pk
    assert event.actor_id == ga.user_id


def test_update_without_changes_records_no_event(ga, org_factory):
    org = org_factory(name="Same", city="Lund")
    before = org.updated_at
    services.update_organization(actor=ga, organization=org, data={"name": "Same", "city": "Lund", "country": "SE"})
    org.refresh_from_db()
    assert org.updated_at == before
    assert not AuditEvent.objects.exists()


def test_update_reports_bad_fields_and_changes_nothing(ga, org_factory):
    org = org_factory(name="Keep")
    with pytest.raises(ValidationFailed) as exc:
        services.update_organization(
            actor=ga, organization=org, data={"name": "", "primary_domain": "www.x.com", "approval_limit": "-3"}
        )
    assert sorted(e.field for e in exc.value.errors) == ["approval_limit", "name", "primary_domain"]
    org.refresh_from_db()
    assert org.name == "Keep"
    assert not AuditEvent.objects.exists()


def test_update_keeps_uniqueness_but_allows_keeping_own_values(ga, org_factory):
    org_factory(primary_domain="other.com", customer_number="OTHER")
    org = org_factory(primary_domain="mine.com", customer_number="MINE")
    # Its own values again, differently cased: fine
    services.update_organization(
        actor=ga, organization=org, data={"primary_domain": "MINE.com", "customer_number": "MINE"}
    )
    with pytest.raises(ValidationFailed) as exc:
        services.update_organization(actor=ga, organization=org, data={"primary_domain": "Other.com"})
    assert errors_of(exc) == [(0, "primary_domain", "unique")]
    with pytest.raises(ValidationFailed) as exc:
        services.update_organization(actor=ga, organization=org, data={"customer_number": "OTHER"})
    assert errors_of(exc) == [(0, "customer_number", "unique")]


def test_blank_billing_start_date_on_update_keeps_the_date(ga, org_factory):
    org = org_factory(billing_start_date=dt.date(2025, 5, 1))
    services.update_organization(actor=ga, organization=org, data={"billing_start_date": ""})
    org.refresh_from_db()
    assert org.billing_start_date == dt.date(2025, 5, 1)


@pytest.mark.parametrize("role", [StaffRole.LIMITED_KEY_ACCOUNT_MANAGER, StaffRole.SALES_AGENT])
def test_approval_fields_on_update_need_the_approval_permission(role, make_staff, as_actor, group_factory, org_factory):
    group = group_factory()
    org = org_factory(groups=[group], approval_required=False, approval_limit=None)
    actor = as_actor(make_staff(role, groups=[group]))
    with pytest.raises(PermissionDenied):
        services.update_organization(actor=actor, organization=org, data={"approval_required": True})
    with pytest.raises(PermissionDenied):
        services.update_organization(actor=actor, organization=org, data={"approval_limit": "10"})
    # Sending the current values is not a change and passes, with other fields
    services.update_organization(
        actor=actor, organization=org, data={"approval_required": False, "approval_limit": None, "city": "Oslo"}
    )
    org.refresh_from_db()
    assert (org.approval_required, org.approval_limit, org.city) == (False, None, "Oslo")


def test_kam_may_change_approval_settings(make_staff, as_actor, group_factory, org_factory):
    group = group_factory()
    org = org_factory(groups=[group], approval_limit=Decimal("100.00"))
    actor = as_actor(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[group]))
    services.update_organization(
        actor=actor, organization=org, data={"approval_required": "TRUE", "approval_limit": "250.5"}
    )
    org.refresh_from_db()
    assert org.approval_required is True
    assert org.approval_limit == Decimal("250.50")
    event = AuditEvent.objects.get(action="organization.updated")
    assert event.before == {"approval_required": False, "approval_limit": "100.00"}
    assert event.after == {"approval_required": True, "approval_limit": "250.50"}


# --- delete -----------------------------------------------------------------------------------


def test_delete_removes_the_organization_and_records_its_last_state(ga, org_factory, group_factory):
    group = group_factory()
    org = org_factory(name="Gone", groups=[group])
    pk = org.pk
    services.delete_organization(actor=ga, organization=org)
    assert not Organization.objects.filter(pk=pk).exists()
    assert OrganizationGroup.objects.filter(pk=group.pk).exists()
    event = AuditEvent.objects.get(action="organization.deleted")
    assert event.object_id == str(pk)
    assert event.organization_id == pk
    assert event.before["name"] == "Gone"
    assert event.after is None


def test_delete_refuses_an_organization_with_users(ga, org_factory):
    from tests.factories import UserFactory

    org = org_factory()
    UserFactory(broker=org.broker, staff_role="", organization=org, organization_role="admin")
    with pytest.raises(Conflict):
        services.delete_organization(actor=ga, organization=org)
    assert Organization.objects.filter(pk=org.pk).exists()


def test_limited_kam_cannot_delete(make_staff, as_actor, group_factory, org_factory):
    group = group_factory()
    org = org_factory(groups=[group])
    with pytest.raises(PermissionDenied):
        services.delete_organization(
            actor=as_actor(make_staff(StaffRole.LIMITED_KEY_ACCOUNT_MANAGER, groups=[group])), organization=org
        )
    assert Organization.objects.filter(pk=org.pk).exists()


# --- additional domains -------------------------------------------------------------------------


def test_add_and_remove_a_domain(ga, org_factory):
    org = org_factory(primary_domain="main.com")
    item = services.add_domain(actor=ga, organization=org, domain=" Extra.COM ")
    assert item.domain == "extra.com"
    assert list(org.domains.values_list("domain", flat=True)) == ["extra.com"]
    added = AuditEvent.objects.get(action="organization.domain_added")
    assert (added.organization_id, added.after) == (org.pk, {"domain": "extra.com"})
    services.remove_domain(actor=ga, domain=item)
    assert not OrganizationDomain.objects.exists()
    removed = AuditEvent.objects.get(action="organization.domain_removed")
    assert (removed.organization_id, removed.before) == (org.pk, {"domain": "extra.com"})


@pytest.mark.parametrize(
    ("domain", "code"),
    [("http://extra.com", "invalid"), ("www.extra.com", "invalid"), ("extra", "invalid"), ("", "invalid")],
)
def test_add_domain_refuses_invalid_domains(ga, org_factory, domain, code):
    org = org_factory()
    with pytest.raises(ValidationFailed) as exc:
        services.add_domain(actor=ga, organization=org, domain=domain)
    assert errors_of(exc) == [(0, "domain", code)]
    assert not OrganizationDomain.objects.exists()


def test_add_domain_refuses_a_duplicate_and_the_primary_domain(ga, org_factory):
    org = org_factory(primary_domain="main.com")
    services.add_domain(actor=ga, organization=org, domain="extra.com")
    with pytest.raises(ValidationFailed) as exc:
        services.add_domain(actor=ga, organization=org, domain="EXTRA.com")
    assert errors_of(exc) == [(0, "domain", "unique")]
    with pytest.raises(ValidationFailed) as exc:
        services.add_domain(actor=ga, organization=org, domain="Main.com")
    assert errors_of(exc) == [(0, "domain", "unique")]
    assert org.domains.count() == 1


# --- groups -------------------------------------------------------------------------------------


def test_create_group_and_refuse_a_duplicate_name_case_insensitively(ga, other_broker):
    GroupFactory(broker=other_broker, name="Nordics")  # another broker's: no clash
    group = services.create_group(actor=ga, data={"name": " Nordics ", "description": "North"})
    assert (group.name, group.description) == ("Nordics", "North")
    event = AuditEvent.objects.get(action="group.created")
    assert event.after == {"name": "Nordics", "description": "North"}
    with pytest.raises(ValidationFailed) as exc:
        services.create_group(actor=ga, data={"name": "NORDICS"})
    assert errors_of(exc) == [(0, "name", "unique")]


@pytest.mark.parametrize(("name", "code"), [("", "required"), ("   ", "required"), ("x" * 101, "max_length")])
def test_create_group_validates_the_name(ga, name, code):
    with pytest.raises(ValidationFailed) as exc:
        services.create_group(actor=ga, data={"name": name})
    assert errors_of(exc) == [(0, "name", code)]
    assert not OrganizationGroup.objects.exists()


def test_update_group_renames_and_checks_the_name(ga, group_factory):
    group_factory(name="Taken")
    group = group_factory(name="Mine")
    services.update_group(actor=ga, group=group, data={"name": "mine"})  # own name, other case: fine
    services.update_group(actor=ga, group=group, data={"description": "New text"})
    group.refresh_from_db()
    assert (group.name, group.description) == ("mine", "New text")
    with pytest.raises(ValidationFailed) as exc:
        services.update_group(actor=ga, group=group, data={"name": "TAKEN"})
    assert errors_of(exc) == [(0, "name", "unique")]
    assert AuditEvent.objects.filter(action="group.updated").count() == 2
    # No change, no event
    services.update_group(actor=ga, group=group, data={"name": "mine"})
    assert AuditEvent.objects.filter(action="group.updated").count() == 2


def test_delete_group_keeps_its_organizations(ga, group_factory, org_factory):
    group = group_factory()
    orgs = [org_factory(groups=[group]) for _ in range(3)]
    services.delete_group(actor=ga, group=group)
    assert not OrganizationGroup.objects.exists()
    assert Organization.objects.filter(pk__in=[o.pk for o in orgs]).count() == 3
    assert AuditEvent.objects.get(action="group.deleted").before["members"] == 3


def test_group_members_add_remove_and_set(ga, group_factory, org_factory):
    group = group_factory()
    a, b, c = org_factory(), org_factory(), org_factory()
    assert services.add_group_members(actor=ga, group=group, organization_ids=[a.pk, b.pk, a.pk]) == 2
    assert services.add_group_members(actor=ga, group=group, organization_ids=[a.pk]) == 0
    assert set(group.organizations.all()) == {a, b}
    assert services.remove_group_members(actor=ga, group=group, organization_ids=[a.pk, c.pk]) == 1
    assert set(group.organizations.all()) == {b}
    assert services.set_group_members(actor=ga, group=group, organization_ids=[a.pk, c.pk]) == (2, 1)
    assert set(group.organizations.all()) == {a, c}
    added = AuditEvent.objects.filter(action="group.member_added")
    removed = AuditEvent.objects.filter(action="group.member_removed")
    assert sorted(str(e.organization_id) for e in added) == sorted(str(o.pk) for o in (a, b, a, c))
    assert sorted(str(e.organization_id) for e in removed) == sorted(str(o.pk) for o in (a, b))


def test_group_members_outside_the_broker_are_refused(ga, group_factory, org_factory, other_broker):
    group = group_factory()
    mine = org_factory()
    foreign = org_factory(broker=other_broker)
    for change in (services.add_group_members, services.set_group_members):
        with pytest.raises(ValidationFailed) as exc:
            change(actor=ga, group=group, organization_ids=[mine.pk, foreign.pk])
        assert errors_of(exc) == [(0, "organizations", "not_found")]
    assert not group.organizations.exists()
    assert not AuditEvent.objects.exists()


def test_set_group_users_only_for_group_scoped_roles(ga, make_staff, group_factory, other_broker):
    group = group_factory()
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER)
    agent = make_staff(StaffRole.SALES_AGENT)
    admin2 = make_staff(StaffRole.GLOBAL_ADMIN)
    services.set_group_users(actor=ga, group=group, user_ids=[kam.pk, agent.pk])
    assert set(group.users.all()) == {kam, agent}
    event = AuditEvent.objects.get(action="group.users_changed")
    assert event.after == {"users": sorted([str(kam.pk), str(agent.pk)])}
    with pytest.raises(ValidationFailed) as exc:
        services.set_group_users(actor=ga, group=group, user_ids=[kam.pk, admin2.pk])
    assert errors_of(exc) == [(0, "users", "not_group_role")]
    assert admin2.email in exc.value.errors[0].message
    stranger = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, broker_=other_broker)
    with pytest.raises(ValidationFailed) as exc:
        services.set_group_users(actor=ga, group=group, user_ids=[stranger.pk])
    assert errors_of(exc) == [(0, "users", "not_found")]
    assert set(group.users.all()) == {kam, agent}


def test_group_management_needs_the_group_permission(make_staff, as_actor, group_factory, org_factory):
    group = group_factory()
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[group])
    actor = as_actor(kam)
    with pytest.raises(PermissionDenied):
        services.create_group(actor=actor, data={"name": "Mine"})
    with pytest.raises(PermissionDenied):
        services.add_group_members(actor=actor, group=group, organization_ids=[org_factory().pk])
    with pytest.raises(PermissionDenied):
        services.set_group_users(actor=actor, group=group, user_ids=[kam.pk])


def test_kam_sees_what_group_membership_and_assignment_give_at_once(
    ga, make_staff, as_actor, group_factory, org_factory
):
    # Given a KAM assigned to group A, and organizations inside and outside it
    a, b = group_factory(name="A"), group_factory(name="B")
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[a])
    in_a, in_b, loose = org_factory(groups=[a]), org_factory(groups=[b]), org_factory()

    def visible():
        return set(Organization.objects.visible_to(as_actor(kam)))

    assert visible() == {in_a}
    # When an organization joins A, the KAM sees it
    services.add_group_members(actor=ga, group=a, organization_ids=[loose.pk])
    assert visible() == {in_a, loose}
    # When one leaves A, it is gone
    services.remove_group_members(actor=ga, group=a, organization_ids=[in_a.pk])
    assert visible() == {loose}
    # When B is assigned to the KAM too, B's organizations appear
    services.set_group_users(actor=ga, group=b, user_ids=[kam.pk])
    assert visible() == {loose, in_b}
    # When A's assignment is withdrawn, A's organizations disappear
    services.set_group_users(actor=ga, group=a, user_ids=[])
    assert visible() == {in_b}
    # When B is deleted, the KAM sees nothing
    services.delete_group(actor=ga, group=b)
    assert visible() == set()


def test_set_organization_groups(ga, group_factory, org_factory, other_broker):
    a, b = group_factory(), group_factory()
    org = org_factory(groups=[a])
    services.set_organization_groups(actor=ga, organization=org, group_ids=[b.pk])
    assert list(org.groups.all()) == [b]
    event = AuditEvent.objects.get(action="organization.groups_changed")
    assert event.before == {"groups": [str(a.pk)]}
    assert event.after == {"groups": [str(b.pk)]}
    foreign = GroupFactory(broker=other_broker, name="F")
    with pytest.raises(ValidationFailed):
        services.set_organization_groups(actor=ga, organization=org, group_ids=[foreign.pk])
    assert list(org.groups.all()) == [b]


# --- audit trail --------------------------------------------------------------------------------


def test_audit_events_are_append_only(ga):
    services.create_organization(actor=ga, data=row())
    event = AuditEvent.objects.get()
    event.action = "tampered"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().action == "organization.created"


def test_system_actor_is_recorded_as_system(system_actor):
    org = services.create_organization(actor=system_actor, data=row())
    event = AuditEvent.objects.get(object_id=str(org.pk))
    assert event.actor_id is None
    assert event.actor_label == "system"


# --- one statement of each rule, for forms, API and import ----------------------------------


@pytest.mark.django_db
def test_the_approval_settings_rule_for_a_new_and_an_existing_organization(make_staff, as_actor, org_factory):
    limited = as_actor(make_staff(StaffRole.LIMITED_KEY_ACCOUNT_MANAGER))
    assert services.approval_settings_errors(limited, {"approval_required": False, "approval_limit": None}) == []
    assert [e.code for e in services.approval_settings_errors(limited, {"approval_limit": Decimal("1")}, row=4)] == [
        "permission_denied"
    ]
    org = org_factory(approval_required=True, approval_limit=Decimal("500.00"))
    # Unchanged values are no change; a changed one is.
    assert services.approval_settings_errors(limited, {"approval_required": True}, current=org) == []
    assert services.approval_settings_errors(limited, {"approval_limit": Decimal("500")}, current=org) == []
    assert len(services.approval_settings_errors(limited, {"approval_required": False}, current=org)) == 1
    admin = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    assert services.approval_settings_errors(admin, {"approval_required": False}, current=org) == []


@pytest.mark.django_db
def test_the_group_rules_for_a_new_organization(make_staff, as_actor, group_factory):
    north, south = group_factory(name="N"), group_factory(name="S")
    kam = as_actor(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[north, south]))
    assert [e.code for e in services.new_organization_group_errors(kam, [])] == ["required"]
    assert [e.code for e in services.new_organization_group_errors(kam, [north, south])] == ["required"]
    assert services.new_organization_group_errors(kam, [north]) == []
    support = as_actor(make_staff(StaffRole.GLOBAL_SUPPORT_ADMIN))
    assert [e.code for e in services.new_organization_group_errors(support, [north, south])] == ["too_many_groups"]
    admin = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    assert services.new_organization_group_errors(admin, [north, south]) == []


def test_a_new_organizations_defaults():
    today = dt.date(2026, 12, 1)
    values = dict(
        zip(services.ORGANIZATION_FIELDS, services.new_organization_values({"name": "A"}, today), strict=True)
    )
    assert (values["name"], values["billing_start_date"], values["approval_required"], values["country"]) == (
        "A",
        today,
        False,
        "",
    )
    given = services.new_organization_values({"billing_start_date": dt.date(2027, 1, 1)}, today)
    assert given[services.ORGANIZATION_FIELDS.index("billing_start_date")] == dt.date(2027, 1, 1)
