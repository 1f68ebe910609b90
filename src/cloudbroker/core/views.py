"""What every server-rendered page shares: the actor, permission checks, domain errors on forms."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.views import View

from cloudbroker.core.actors import Actor, actor_for_user
from cloudbroker.core.errors import DomainError, PermissionDenied, ValidationFailed
from cloudbroker.core.models import Job
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404

__all__ = ["ActorMixin", "JobDetailView", "apply_errors"]


class ActorMixin(LoginRequiredMixin):
    """Resolve the actor once; refuse the page (403) when the role lacks ``required_perm``."""

    required_perm: Perm | None = None
    post_perm: Perm | None = None  # an extra permission for POST on a page others may view
    actor: Actor

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        actor = actor_for_user(request.user)
        if actor is None or not actor.is_staff:
            logout(request)
            messages.error(request, "This account cannot use the broker portal.")
            return redirect("portal:login")
        self.actor = request.actor = actor
        self.check_object_scope()
        if self.required_perm is not None and not actor.has(self.required_perm):
            raise DjangoPermissionDenied(f"Your role does not allow this ({self.required_perm.value}).")
        if request.method == "POST" and self.post_perm is not None and not actor.has(self.post_perm):
            raise DjangoPermissionDenied(f"Your role does not allow this ({self.post_perm.value}).")
        return super().dispatch(request, *args, **kwargs)

    def check_object_scope(self) -> None:
        """Load the page's object through visible_to (404 if out of scope) before permissions."""


def apply_errors(form, exc: DomainError) -> None:
    """Show a domain error on the form: each field error on its field, the rest on top."""
    if isinstance(exc, PermissionDenied):
        raise DjangoPermissionDenied(exc.message)
    if isinstance(exc, ValidationFailed):
        for err in exc.errors:
            field = err.field if err.field in form.fields else None
            form.add_error(field, err.message if field else str(err))
        return
    form.add_error(None, exc.message)


class JobDetailView(ActorMixin, View):
    """A background job's progress; htmx polls the fragment until the job is finished."""

    required_perm = Perm.JOB_VIEW

    def check_object_scope(self) -> None:
        self.job = get_visible_or_404(Job.objects, self.actor, self.kwargs["pk"])

    def get(self, request, pk):
        template = "core/_job_progress.html" if request.htmx else "core/job_detail.html"
        return render(request, template, {"job": self.job})
