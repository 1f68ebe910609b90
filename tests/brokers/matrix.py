"""The broker's routes in the permission matrix (tests/test_permission_matrix.py runs them): the
reseller properties, through the API and the portal."""

from __future__ import annotations

from cloudbroker.core.permissions import Perm
from tests.permission_matrix import MINE, Kind, Route, anyone

KINDS = [
    # The caller's own broker: there is no other one to reach (another broker's is never addressed).
    Kind("broker", lambda w: {MINE: w.broker}, anyone),
]


ROUTES = [
    Route("api broker get", "GET", "broker", Perm.BROKER_VIEW, lambda w, o: "/api/v1/broker/"),
    Route(
        "api broker patch",
        "PATCH",
        "broker",
        Perm.BROKER_CHANGE,
        lambda w, o: "/api/v1/broker/",
        lambda w, o: {"support_email": "help@broker.test"},
    ),
    Route("broker_properties", "GET", "broker", Perm.BROKER_VIEW, lambda w, o: "/reseller-properties/", api=False),
    Route(
        "broker_properties post",
        "POST",
        "broker",
        Perm.BROKER_CHANGE,
        lambda w, o: "/reseller-properties/",
        lambda w, o: {
            "name": "Renamed",
            "notification_email": "a@b.test",
            "support_email": "s@b.test",
            "currency": "SEK",
            "market": "SE",
            "offer_monthly_billing": "on",
            "offer_annual_billing": "on",
            "offer_term_p1y": "on",
        },
        (302,),
        api=False,
    ),
]
