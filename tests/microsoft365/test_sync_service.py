"""Starting a sync goes through one service (audited, one at a time, a clear 409 when one is
running), and the tenant list filters by organization only among organizations the caller sees."""

from __future__ import annotations

import pytest

from cloudbroker.core.choices import JobStatus
from cloudbroker.core.models import AuditEvent, Job
from cloudbroker.core.permissions import StaffRole
from cloudbroker.microsoft365.choices import JobKind
from cloudbroker.microsoft365.tasks import due_syncs
from tests.factories import MicrosoftTenantFactory, PartnerCenterConnectionFactory

pytestmark = pytest.mark.django_db

SYNC = "/api/v1/partner-center/sync"


def test_a_second_sync_while_one_runs_is_a_clear_409(broker, make_staff, api_client_for):
    PartnerCenterConnectionFactory(broker=broker)
    client = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN))
    first = client.post(SYNC)
    assert first.status_code == 202
    job_id = first.json()["job_id"]
    again = client.post(SYNC)
    assert again.status_code == 409
    assert (again.json()["code"], again.json()["details"]["job_id"]) == ("sync_already_running", job_id)
    assert "already queued" in again.json()["message"]
    assert Job.objects.filter(kind=JobKind.SYNC).count() == 1
    started = AuditEvent.objects.get(action="partner_center.sync_started")
    assert started.after == {"job_id": job_id}

    # The periodic sync leaves a broker alone while its sync is unfinished, and starts one after.
    assert due_syncs() == []
    Job.objects.filter(pk=job_id).update(status=JobStatus.SUCCEEDED)
    assert client.post(SYNC).status_code == 202


def test_a_sync_needs_a_connection(broker, make_staff, api_client_for):
    response = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN)).post(SYNC)
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    assert not Job.objects.exists()


def test_the_tenant_list_filters_only_by_an_organization_the_caller_sees(
    broker, make_staff, api_client_for, org_factory, group_factory
):
    mine, theirs = group_factory(), group_factory()
    inside, outside = org_factory(groups=[mine]), org_factory(groups=[theirs])
    tenant = MicrosoftTenantFactory(organization=inside)
    MicrosoftTenantFactory(organization=outside)
    kam = api_client_for(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine]))

    listed = kam.get(f"/api/v1/tenants/?organization={inside.pk}").json()["items"]
    assert [t["id"] for t in listed] == [str(tenant.pk)]
    assert kam.get(f"/api/v1/tenants/?organization={outside.pk}").status_code == 404
