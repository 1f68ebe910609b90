"""The portal's own page: the dashboard. Every other page belongs to its app."""

from __future__ import annotations

from django.shortcuts import render
from django.views import View

from cloudbroker.core.views import ActorMixin
from cloudbroker.organizations.models import Organization, OrganizationGroup


class DashboardView(ActorMixin, View):
    def get(self, request):
        organizations = Organization.objects.visible_to(self.actor)
        return render(
            request,
            "portal/dashboard.html",
            {
                "organization_count": organizations.count(),
                "group_count": OrganizationGroup.objects.visible_to(self.actor).count(),
                "recent": organizations.order_by("-created_at")[:8],
            },
        )
