"""The broker's own pages: reseller properties."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views import View

from cloudbroker.brokers import services
from cloudbroker.brokers.forms import BrokerPropertiesForm
from cloudbroker.brokers.models import Broker
from cloudbroker.core.errors import DomainError
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.core.views import ActorMixin, apply_errors


class BrokerPropertiesView(ActorMixin, View):
    """Reseller properties: shown to roles that may see them, editable by a Super Admin."""

    required_perm = Perm.BROKER_VIEW
    post_perm = Perm.BROKER_CHANGE
    template = "brokers/broker_properties.html"

    def check_object_scope(self) -> None:
        self.broker = get_visible_or_404(Broker.objects, self.actor, self.actor.broker_id)

    def get(self, request):
        form = BrokerPropertiesForm(initial={f: getattr(self.broker, f) for f in services.BROKER_PROPERTY_FIELDS})
        return render(request, self.template, {"form": form, "can_edit": self.actor.has(Perm.BROKER_CHANGE)})

    def post(self, request):
        form = BrokerPropertiesForm(request.POST)
        if form.is_valid():
            try:
                services.update_broker_properties(actor=self.actor, broker=self.broker, data=form.cleaned_data)
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "The reseller properties were updated.")
                return redirect("portal:broker_properties")
        return render(request, self.template, {"form": form, "can_edit": True}, status=422)
