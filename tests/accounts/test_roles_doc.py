from pathlib import Path

from django.conf import settings

from cloudbroker.accounts.management.commands.roles_doc import PERM_TEXT, render
from cloudbroker.core.permissions import STAFF_ROLE_PERMISSIONS, Perm, StaffRole


def test_roles_doc_matches_the_permission_table():
    doc = Path(settings.CLOUDBROKER_BASE_DIR, "docs", "roles.md").read_text()
    assert doc == render(), "docs/roles.md is stale: run `manage.py roles_doc`"


def test_every_permission_is_described_and_every_role_has_a_row():
    assert set(PERM_TEXT) == set(Perm)
    assert set(STAFF_ROLE_PERMISSIONS) == set(StaffRole)


def test_role_rules_from_the_seeds():
    perms = STAFF_ROLE_PERMISSIONS
    kam, lkam, sa = (
        perms[StaffRole.KEY_ACCOUNT_MANAGER],
        perms[StaffRole.LIMITED_KEY_ACCOUNT_MANAGER],
        perms[StaffRole.SALES_AGENT],
    )
    # Limited KAM = KAM minus approval settings; Sales Agent = Limited KAM minus cost/margin, and so
    # minus setting prices (a price is set against the cost, and a sale below cost must be confirmed).
    assert Perm.APPROVAL_SETTINGS_CHANGE in kam
    assert Perm.APPROVAL_SETTINGS_CHANGE not in lkam
    assert lkam - sa == {Perm.COST_VIEW, Perm.CUSTOMER_PRICE_CHANGE}
    assert Perm.PRICE_VIEW in sa
    # Key Account View Only = read-only: no create/change/delete of anything.
    writes = {p for p in Perm if p.value.split(".")[1] in {"create", "change", "delete", "manage", "multi_group"}}
    assert not perms[StaffRole.KEY_ACCOUNT_VIEW_ONLY_MANAGER] & writes
    assert not perms[StaffRole.GLOBAL_VIEW_ONLY_ADMIN] & writes
    # Global Support Admin: no pricing or billing.
    assert not perms[StaffRole.GLOBAL_SUPPORT_ADMIN] & {Perm.COST_VIEW, Perm.BILLING_VIEW}
    # Only the Super Admin changes reseller properties.
    assert [r for r in StaffRole if Perm.BROKER_CHANGE in perms[r]] == [StaffRole.SUPER_ADMIN]
