"""Refusals of the organizations app that callers may want to tell apart."""

from cloudbroker.core.errors import Conflict

__all__ = ["OrganizationInUse"]


class OrganizationInUse(Conflict):
    """The organization cannot be deleted while something still depends on it."""

    code = "organization_in_use"
