"""Every API operation declares what it needs (``@requires``), as every page declares ``required_perm``."""

from __future__ import annotations

from cloudbroker.core.api import OWN_THINGS
from cloudbroker.core.permissions import Perm


def _operations():
    from cloudbroker.api import api

    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                yield f"{'/'.join(operation.methods)} {prefix}{path}", operation.view_func


def test_every_api_operation_declares_its_permission():
    undeclared = [name for name, view in _operations() if not hasattr(view, "required_perm")]
    assert not undeclared, f"API operations without @requires: {undeclared}"


def test_declarations_are_permissions_or_own_things():
    declared = {name: view.required_perm for name, view in _operations()}
    assert all(isinstance(p, Perm) or p == OWN_THINGS for p in declared.values())
    # The operations open to every staff member are exactly these (their own profile, tokens, imports).
    assert sorted(name for name, p in declared.items() if p == OWN_THINGS) == [
        "DELETE /tokens/{token_id}",
        "GET /imports/{run_id}",
        "GET /imports/{run_id}/errors.csv",
        "GET /imports/{run_id}/issues",
        "GET /staff/me",
        "GET /staff/{user_id}",
        "GET /tokens/",
        "POST /tokens/",
    ]
