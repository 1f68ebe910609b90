"""The scoped-queryset base: a model declares its scope path; visible_to follows it."""

from __future__ import annotations

import pytest

from cloudbroker.core.actors import Actor, actor_for_user
from cloudbroker.core.audit import record_event
from cloudbroker.core.models import AuditEvent, Job
from cloudbroker.core.permissions import StaffRole
from tests.factories import BrokerFactory, GroupFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_groups():
    broker = BrokerFactory()
    mine, theirs = GroupFactory(broker=broker), GroupFactory(broker=broker)
    inside, outside = OrganizationFactory(broker=broker), OrganizationFactory(broker=broker)
    mine.organizations.add(inside)
    theirs.organizations.add(outside)
    kam = UserFactory(broker=broker, staff_role=StaffRole.KEY_ACCOUNT_MANAGER)
    kam.assigned_groups.set([mine])
    return broker, inside, outside, kam


def _event(broker, org):
    return record_event(actor=Actor.system(broker), action="organization.updated", obj=org, organization_id=org.pk)


def test_history_follows_the_organizations_visibility(two_groups):
    broker, inside, outside, kam = two_groups
    seen, hidden = _event(broker, inside), _event(broker, outside)
    other = OrganizationFactory()
    _event(other.broker, other)

    kam_actor = actor_for_user(kam)
    assert list(AuditEvent.objects.visible_to(kam_actor)) == [seen]
    assert set(AuditEvent.objects.visible_to(Actor.system(broker))) == {seen, hidden}
    assert list(AuditEvent.objects.for_organization(outside)) == [hidden]


def test_jobs_of_group_scoped_roles_are_their_own(two_groups):
    broker, _inside, _outside, kam = two_groups
    admin = UserFactory(broker=broker, staff_role=StaffRole.GLOBAL_ADMIN)
    own = Job.objects.create(broker=broker, kind="k", created_by=kam)
    someone_elses = Job.objects.create(broker=broker, kind="k", created_by=admin)
    Job.objects.create(broker=BrokerFactory(), kind="k", created_by=None)

    assert list(Job.objects.visible_to(actor_for_user(kam))) == [own]
    assert set(Job.objects.visible_to(actor_for_user(admin))) == {own, someone_elses}
