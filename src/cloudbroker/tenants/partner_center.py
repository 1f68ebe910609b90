"""The one place the tenants app gets a Partner Center client for a broker."""

from __future__ import annotations

from django.core.cache import cache

from cloudbroker.core.errors import Conflict, ExternalServiceError
from cloudbroker.tenants.models import PartnerCenterConnection

__all__ = ["client_for", "connection_for"]


def connection_for(broker_id) -> PartnerCenterConnection:
    connection = PartnerCenterConnection.objects.filter(broker_id=broker_id).first()
    if connection is None:
        raise Conflict("Enter the Partner Center credentials first (Partner Center connection page).")
    return connection


def client_for(broker_id, **overrides):
    """A Partner Center client for the broker, sharing its throttling pause with every worker."""
    connection = connection_for(broker_id)
    try:
        from cloudbroker.connectors.partner_center.client import PartnerCenterClient
        from cloudbroker.connectors.partner_center.throttle import CachePauseStore
    except ImportError as exc:  # the connector package is built separately
        raise ExternalServiceError("The Partner Center connector is not available in this installation.") from exc

    options = {
        "base_url": connection.api_base_url,
        "authority": connection.authority,
        "client_id": connection.client_id,
        "client_secret": connection.client_secret,
        "scope": connection.scope,
        "pause_store": CachePauseStore(cache),
        "partner_key": str(broker_id),
    }
    options.update(overrides)
    try:
        return PartnerCenterClient(**options)
    except (ValueError, TypeError) as exc:  # e.g. an address httpx cannot use
        raise ExternalServiceError(f"The Partner Center connection settings cannot be used: {exc}") from exc
