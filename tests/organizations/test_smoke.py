from cloudbroker.core.permissions import StaffRole


def test_global_admin_lists_only_own_broker(api_client_for, make_staff, org_factory, other_broker):
    admin = make_staff(StaffRole.GLOBAL_ADMIN)
    mine = org_factory()
    org_factory(broker=other_broker)
    resp = api_client_for(admin).get("/api/v1/organizations/")
    assert resp.status_code == 200, resp.content
    assert [o["id"] for o in resp.json()["items"]] == [str(mine.pk)]
