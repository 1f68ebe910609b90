"""Jobs' routes in the permission matrix (tests/test_permission_matrix.py runs them)."""

from __future__ import annotations

from cloudbroker.core.permissions import Perm
from tests.factories import JobFactory
from tests.permission_matrix import SCOPES, Kind, Route, mine_or_broker_wide

KINDS = [
    # Started by me, by a colleague (outside my groups), by a stranger of another broker.
    Kind(
        "job",
        lambda w: {scope: JobFactory(broker=w.broker_of(scope), created_by=w.owner(scope)) for scope in SCOPES},
        mine_or_broker_wide,
    ),
]


ROUTES = [
    Route("api job get", "GET", "job", Perm.JOB_VIEW, lambda w, o: f"/api/v1/jobs/{o.pk}"),
    Route("job_detail", "GET", "job", Perm.JOB_VIEW, lambda w, o: f"/jobs/{o.pk}/", api=False),
]
