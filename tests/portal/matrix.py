"""The portal's own pages in the permission matrix (tests/test_permission_matrix.py runs them)."""

from __future__ import annotations

from tests.permission_matrix import Route

ROUTES = [
    Route("dashboard", "GET", "none", None, lambda w, o: "/", api=False),
]
