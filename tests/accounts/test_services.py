"""Staff users and API tokens: who may create and change whom, the Super Admin safeguards,
passwords by policy, and tokens that are shown once and stored hashed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cloudbroker.accounts import services
from cloudbroker.accounts.models import ApiToken, User, hash_token
from cloudbroker.core.errors import Conflict, PermissionDenied, ValidationFailed
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from tests.factories import PASSWORD

GOOD_PASSWORD = "Tr0ub4dor&3-horse"


def new(email="new.person@staff.test", role=StaffRole.GLOBAL_ADMIN, **extra):
    return {"email": email, "first_name": "Nova", "last_name": "Berg", "staff_role": role, **extra}


@pytest.fixture
def sa(super_admin, as_actor):
    return as_actor(super_admin)


@pytest.fixture
def ga_user(make_staff):
    return make_staff(StaffRole.GLOBAL_ADMIN)


@pytest.fixture
def ga(ga_user, as_actor):
    return as_actor(ga_user)


# --- create -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in StaffRole if r != StaffRole.SUPER_ADMIN])
def test_global_admin_creates_staff_of_every_role_but_super_admin(ga, role, broker):
    user = services.create_staff_user(actor=ga, data=new(role=role), password=GOOD_PASSWORD)
    user.refresh_from_db()
    assert (user.staff_role, user.broker_id, user.is_active) == (role, broker.pk, True)
    assert user.check_password(GOOD_PASSWORD)
    event = AuditEvent.objects.get(action="staff.created")
    assert event.object_id == str(user.pk)
    assert event.after["staff_role"] == role
    assert "password" not in event.after


def test_create_lowercases_the_email_and_allows_no_password(ga):
    user = services.create_staff_user(actor=ga, data=new(email=" New.Person@STAFF.test "))
    assert user.email == "new.person@staff.test"
    assert not user.has_usable_password()


def test_only_a_super_admin_creates_a_super_admin(ga, sa):
    with pytest.raises(PermissionDenied):
        services.create_staff_user(actor=ga, data=new(role=StaffRole.SUPER_ADMIN), password=GOOD_PASSWORD)
    assert not User.objects.filter(email="new.person@staff.test").exists()
    user = services.create_staff_user(actor=sa, data=new(role=StaffRole.SUPER_ADMIN), password=GOOD_PASSWORD)
    assert user.staff_role == StaffRole.SUPER_ADMIN


def test_unknown_role_is_refused(ga):
    with pytest.raises(ValidationFailed) as exc:
        services.create_staff_user(actor=ga, data=new(role="emperor"))
    assert [e.field for e in exc.value.errors] == ["staff_role"]


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("Sh0rt!", "at least 8 characters"),
        ("alllower#123", "an upper-case letter"),
        ("NoDigitsHere!", "a digit"),
        ("NoSymbols123x", "a non-word character"),
        ("Nova#2026xyz", "parts of your name"),
        ("Berg#2026xyz", "parts of your name"),
        ("Person#2026x", "parts of your name"),
    ],
)
def test_password_policy_errors_are_on_the_password_field(ga, password, fragment):
    with pytest.raises(ValidationFailed) as exc:
        services.create_staff_user(actor=ga, data=new(), password=password)
    assert {e.field for e in exc.value.errors} == {"password"}
    assert {e.code for e in exc.value.errors} == {"password_policy"}
    assert any(fragment in e.message for e in exc.value.errors)
    assert not User.objects.filter(email="new.person@staff.test").exists()


def test_duplicate_email_is_refused_case_insensitively(ga, make_staff):
    make_staff(StaffRole.SALES_AGENT, email="taken@staff.test")
    with pytest.raises(ValidationFailed) as exc:
        services.create_staff_user(actor=ga, data=new(email="TAKEN@staff.test"))
    assert [(e.field, e.code) for e in exc.value.errors] == [("email", "unique")]


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b"])
def test_bad_email_is_refused(ga, email):
    with pytest.raises(ValidationFailed) as exc:
        services.create_staff_user(actor=ga, data=new(email=email))
    assert "email" in [e.field for e in exc.value.errors]


def test_groups_only_for_group_scoped_roles(ga, group_factory, other_broker):
    from tests.factories import GroupFactory

    g = group_factory()
    with pytest.raises(ValidationFailed) as exc:
        services.create_staff_user(actor=ga, data=new(role=StaffRole.GLOBAL_SUPPORT_ADMIN), group_ids=[g.pk])
    assert [(e.field, e.code) for e in exc.value.errors] == [("groups", "not_group_role")]
    assert not User.objects.filter(email="new.person@staff.test").exists()  # rolled back
    foreign = GroupFactory(broker=other_broker)
    with pytest.raises(ValidationFailed) as exc:
        services.create_staff_user(actor=ga, data=new(role=StaffRole.SALES_AGENT), group_ids=[foreign.pk])
    assert [(e.field, e.code) for e in exc.value.errors] == [("groups", "not_found")]
    user = services.create_staff_user(actor=ga, data=new(role=StaffRole.SALES_AGENT), group_ids=[g.pk])
    assert list(user.assigned_groups.all()) == [g]
    assert AuditEvent.objects.get(action="staff.created").after["groups"] == [str(g.pk)]


@pytest.mark.parametrize(
    "role", [StaffRole.GLOBAL_VIEW_ONLY_ADMIN, StaffRole.KEY_ACCOUNT_MANAGER, StaffRole.GLOBAL_SUPPORT_ADMIN]
)
def test_roles_without_staff_management_cannot_create(make_staff, as_actor, role):
    with pytest.raises(PermissionDenied):
        services.create_staff_user(actor=as_actor(make_staff(role)), data=new())


# --- update -------------------------------------------------------------------------------------


def test_update_role_names_and_groups_records_the_change(ga, make_staff, group_factory):
    g = group_factory()
    user = make_staff(StaffRole.GLOBAL_SUPPORT_ADMIN, first_name="Old")
    services.update_staff_user(
        actor=ga, user=user, data={"staff_role": StaffRole.KEY_ACCOUNT_MANAGER, "first_name": "New"}, group_ids=[g.pk]
    )
    user.refresh_from_db()
    assert (user.staff_role, user.first_name) == (StaffRole.KEY_ACCOUNT_MANAGER, "New")
    assert list(user.assigned_groups.all()) == [g]
    event = AuditEvent.objects.get(action="staff.updated")
    assert event.before["staff_role"] == StaffRole.GLOBAL_SUPPORT_ADMIN
    assert event.after["staff_role"] == StaffRole.KEY_ACCOUNT_MANAGER
    assert event.after["groups"] == [str(g.pk)]
    # Moving to a broker-wide role drops the groups
    services.update_staff_user(actor=ga, user=user, data={"staff_role": StaffRole.GLOBAL_ADMIN})
    assert not user.assigned_groups.exists()


def test_update_without_changes_records_nothing(ga, make_staff):
    user = make_staff(StaffRole.SALES_AGENT, first_name="Same")
    services.update_staff_user(actor=ga, user=user, data={"first_name": "Same"})
    assert not AuditEvent.objects.filter(action="staff.updated").exists()


def test_no_one_changes_their_own_role(sa, ga, ga_user, super_admin):
    with pytest.raises(Conflict) as exc:
        services.update_staff_user(actor=ga, user=ga_user, data={"staff_role": StaffRole.SALES_AGENT})
    assert exc.value.field == "staff_role"
    with pytest.raises(Conflict):
        services.update_staff_user(actor=sa, user=super_admin, data={"staff_role": StaffRole.GLOBAL_ADMIN})
    ga_user.refresh_from_db()
    assert ga_user.staff_role == StaffRole.GLOBAL_ADMIN


def test_only_a_super_admin_changes_or_grants_super_admin(ga, sa, super_admin, make_staff):
    with pytest.raises(PermissionDenied):
        services.update_staff_user(actor=ga, user=super_admin, data={"first_name": "Hacked"})
    other = make_staff(StaffRole.SALES_AGENT)
    with pytest.raises(PermissionDenied):
        services.update_staff_user(actor=ga, user=other, data={"staff_role": StaffRole.SUPER_ADMIN})
    services.update_staff_user(actor=sa, user=other, data={"staff_role": StaffRole.SUPER_ADMIN})
    other.refresh_from_db()
    assert other.staff_role == StaffRole.SUPER_ADMIN
    super_admin.refresh_from_db()
    assert super_admin.first_name != "Hacked"


def test_the_last_active_super_admin_cannot_be_demoted_or_disabled(system_actor, super_admin, make_staff):
    # Given one active Super Admin and a disabled one
    make_staff(StaffRole.SUPER_ADMIN, is_active=False)
    with pytest.raises(Conflict):
        services.update_staff_user(actor=system_actor, user=super_admin, data={"staff_role": StaffRole.GLOBAL_ADMIN})
    with pytest.raises(Conflict):
        services.set_staff_active(actor=system_actor, user=super_admin, active=False)
    super_admin.refresh_from_db()
    assert (super_admin.staff_role, super_admin.is_active) == (StaffRole.SUPER_ADMIN, True)
    # With a second active Super Admin it is allowed
    make_staff(StaffRole.SUPER_ADMIN)
    services.set_staff_active(actor=system_actor, user=super_admin, active=False)
    super_admin.refresh_from_db()
    assert super_admin.is_active is False


def test_another_brokers_super_admin_does_not_count(system_actor, super_admin, make_staff, other_broker):
    make_staff(StaffRole.SUPER_ADMIN, broker_=other_broker)
    with pytest.raises(Conflict):
        services.set_staff_active(actor=system_actor, user=super_admin, active=False)


# --- disable ------------------------------------------------------------------------------------


def test_disabling_revokes_the_users_tokens_and_records_it(ga, make_staff, as_actor):
    user = make_staff(StaffRole.KEY_ACCOUNT_MANAGER)
    token, raw = services.create_api_token(actor=as_actor(user), name="script")
    assert services.authenticate_token(raw) == user
    services.set_staff_active(actor=ga, user=user, active=False)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert services.authenticate_token(raw) is None
    event = AuditEvent.objects.get(action="staff.disabled")
    assert (event.before, event.after) == ({"is_active": True}, {"is_active": False})
    # Enabling again does not bring the revoked token back
    services.set_staff_active(actor=ga, user=user, active=True)
    assert services.authenticate_token(raw) is None
    assert AuditEvent.objects.filter(action="staff.enabled").count() == 1


def test_no_one_disables_themselves(ga, ga_user):
    with pytest.raises(Conflict):
        services.set_staff_active(actor=ga, user=ga_user, active=False)
    ga_user.refresh_from_db()
    assert ga_user.is_active


def test_only_a_super_admin_disables_a_super_admin(ga, sa, make_staff):
    target = make_staff(StaffRole.SUPER_ADMIN)
    with pytest.raises(PermissionDenied):
        services.set_staff_active(actor=ga, user=target, active=False)
    target.refresh_from_db()
    assert target.is_active
    services.set_staff_active(actor=sa, user=target, active=False)
    target.refresh_from_db()
    assert not target.is_active


def test_only_a_super_admin_enables_a_super_admin(ga, sa, make_staff):
    target = make_staff(StaffRole.SUPER_ADMIN, is_active=False)
    with pytest.raises(PermissionDenied):
        services.set_staff_active(actor=ga, user=target, active=True)
    target.refresh_from_db()
    assert not target.is_active
    services.set_staff_active(actor=sa, user=target, active=True)
    target.refresh_from_db()
    assert target.is_active


def test_setting_the_same_state_is_a_no_op(ga, make_staff):
    user = make_staff(StaffRole.SALES_AGENT)
    services.set_staff_active(actor=ga, user=user, active=True)
    assert not AuditEvent.objects.exists()


# --- passwords ----------------------------------------------------------------------------------


def test_change_own_password_and_others_by_policy(make_staff, as_actor, ga):
    agent = make_staff(StaffRole.SALES_AGENT)
    services.change_password(actor=as_actor(agent), user=agent, password=GOOD_PASSWORD)
    agent.refresh_from_db()
    assert agent.check_password(GOOD_PASSWORD)
    with pytest.raises(ValidationFailed) as exc:
        services.change_password(actor=ga, user=agent, password="weak")
    assert {e.field for e in exc.value.errors} == {"password"}
    other = make_staff(StaffRole.SALES_AGENT)
    with pytest.raises(PermissionDenied):
        services.change_password(actor=as_actor(agent), user=other, password=GOOD_PASSWORD)
    assert other.check_password(PASSWORD)
    event = AuditEvent.objects.get(action="staff.password_changed")
    assert event.before is None
    assert event.after is None


# --- API tokens ---------------------------------------------------------------------------------


def test_token_is_returned_once_and_stored_only_as_a_hash(ga, ga_user):
    token, raw = services.create_api_token(actor=ga, name=" CI script ")
    assert raw.startswith("cb_")
    assert len(raw) > 40
    assert token.name == "CI script"
    assert token.key_hash == hash_token(raw)
    assert token.key_prefix == raw[:10]
    # Nothing stored contains the raw token
    for row in ApiToken.objects.values():
        assert raw not in [str(v) for v in row.values()]
    for event in AuditEvent.objects.all():
        assert raw not in str(event.after) + str(event.before)
    assert services.authenticate_token(raw) == ga_user


def test_token_needs_a_name(ga):
    with pytest.raises(ValidationFailed) as exc:
        services.create_api_token(actor=ga, name="  ")
    assert [e.field for e in exc.value.errors] == ["name"]


def test_system_actor_cannot_own_a_token(system_actor):
    with pytest.raises(PermissionDenied):
        services.create_api_token(actor=system_actor, name="x")


def test_revoked_expired_disabled_and_unknown_tokens_do_not_authenticate(ga, ga_user, make_staff, as_actor):
    revoked, raw_revoked = services.create_api_token(actor=ga, name="a")
    services.revoke_api_token(actor=ga, token=revoked)
    assert services.authenticate_token(raw_revoked) is None
    expiring, raw_expired = services.create_api_token(
        actor=ga, name="b", expires_at=timezone.now() + dt.timedelta(days=1)
    )
    ApiToken.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert services.authenticate_token(raw_expired) is None
    _, raw_future = services.create_api_token(actor=ga, name="c", expires_at=timezone.now() + dt.timedelta(days=1))
    assert services.authenticate_token(raw_future) == ga_user
    agent = make_staff(StaffRole.SALES_AGENT)
    _, raw_agent = services.create_api_token(actor=as_actor(agent), name="d")
    User.objects.filter(pk=agent.pk).update(is_active=False)
    assert services.authenticate_token(raw_agent) is None
    for raw in ("", "cb_nope", "xx_" + raw_future[3:], raw_future + "x"):
        assert services.authenticate_token(raw) is None


def test_revoking_someone_elses_token_needs_staff_management(make_staff, as_actor, ga):
    a = make_staff(StaffRole.SALES_AGENT)
    b = make_staff(StaffRole.SALES_AGENT)
    token, raw = services.create_api_token(actor=as_actor(a), name="a")
    with pytest.raises(PermissionDenied):
        services.revoke_api_token(actor=as_actor(b), token=token)
    assert services.authenticate_token(raw) == a
    services.revoke_api_token(actor=ga, token=token)
    assert services.authenticate_token(raw) is None
    # Revoking twice records one event
    services.revoke_api_token(actor=ga, token=token)
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1
