"""What every server-rendered page shares: the actor, permission checks, domain errors on forms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views import View

from cloudbroker.core.actors import Actor, actor_for_user
from cloudbroker.core.errors import DomainError, PermissionDenied, ValidationFailed
from cloudbroker.core.models import Job
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.core.tables import Table

__all__ = [
    "ActorMixin",
    "Button",
    "JobDetailView",
    "LenientPaginator",
    "ObjectConfirmView",
    "ObjectDeleteView",
    "ObjectDetailView",
    "ObjectEditView",
    "ObjectListView",
    "ObjectMixin",
    "apply_errors",
]


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


# --- pages as declarations (ADR 0008) ------------------------------------------------------------
#
# A list page declares its model (or queryset), table and filters; an edit page its form and the one
# service call; a delete or another destructive action its question and the service call. The
# classes below do the rest: scoping through visible_to, sorting, the column chooser, page size,
# pagination that counts once, CSV/XLSX export, confirmation before a destructive POST.

PER_PAGE_CHOICES = (25, 50, 100, 250)
EXPORT_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class LenientPaginator(Paginator):
    """A page number that is no number means the first page, one past the end the last (no 404)."""

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except PageNotAnInteger:
            return 1
        except EmptyPage:
            return self.num_pages


@dataclass(frozen=True)
class Button:
    """A button in a page's heading, shown only to an actor holding ``perm``."""

    label: str
    url_name: str
    perm: Perm | None = None
    primary: bool = False
    icon: str = ""

    def allowed(self, actor) -> bool:
        return self.perm is None or actor.has(self.perm)


class ObjectMixin(ActorMixin):
    """The page's object from the URL's ``pk``, through ``visible_to`` (404 if out of scope)."""

    model: Any = None
    object: Any

    def get_scoped_queryset(self):
        return self.model.objects

    kwargs: dict[str, Any]

    def check_object_scope(self) -> None:
        self.object = get_visible_or_404(self.get_scoped_queryset(), self.actor, self.kwargs["pk"])


class ObjectListView(ActorMixin, View):
    """A list page: ``model`` (or ``get_queryset``), ``table``, optional ``filterset``, ``title``.

    Sorting (``?sort=``), page size (``?per_page=``) and the shown columns (``?columns=``) are read
    from the query; the last two are remembered in the session per table. ``?export=csv|xlsx``
    downloads every row of the filtered, sorted list with the shown columns.
    """

    model: Any = None
    table: type[Table]
    filterset: Any = None  # a django_filters.FilterSet class
    template_name = "core/object_list.html"
    title = ""
    default_sort = ""
    per_page = 50
    export_formats: tuple[str, ...] = ("csv", "xlsx")
    buttons: tuple[Button, ...] = ()
    empty_text = "Nothing here yet."
    empty_filtered_text = "Nothing matches."
    search_placeholder = "Search"

    def get_queryset(self):
        return self.model.objects.visible_to(self.actor)

    # -- preferences ---------------------------------------------------------------------------

    def _pref_key(self) -> str:
        return f"table:{self.table.__name__}"

    def preferences(self, request) -> dict:
        stored = dict(request.session.get(self._pref_key(), {}))
        changed = False
        if "columns_reset" in request.GET:
            stored.pop("columns", None)
            changed = True
        elif "columns" in request.GET:
            stored["columns"] = request.GET.getlist("columns")
            changed = True
        per_page = request.GET.get("per_page")
        if per_page and per_page.isdigit() and int(per_page) in PER_PAGE_CHOICES:
            changed = changed or stored.get("per_page") != int(per_page)
            stored["per_page"] = int(per_page)
        if changed:
            request.session[self._pref_key()] = stored
        return stored

    # -- the page -------------------------------------------------------------------------------

    def filtered(self, request):
        qs = self.get_queryset()
        filters = None
        if self.filterset is not None:
            filters = self.filterset(request.GET, queryset=qs, request=request)
            qs = filters.qs
        return qs, filters

    def build_table(self, request, qs, prefs) -> Table:
        table = self.table(qs, actor=self.actor, columns=prefs.get("columns"), order_by=request.GET.get("sort"))
        if not table.order_by and self.default_sort:
            table.order_by = self.default_sort
        return table

    def get(self, request, *args, **kwargs):
        qs, filters = self.filtered(request)
        prefs = self.preferences(request)
        table = self.build_table(request, qs, prefs)
        export = request.GET.get("export")
        if export:
            if export not in self.export_formats:
                raise Http404("This list is exported as " + " or ".join(self.export_formats).upper() + ".")
            return self.export(table, export)
        per_page = prefs.get("per_page", self.per_page)
        table.paginate(paginator_class=LenientPaginator, per_page=per_page, page=request.GET.get("page") or 1)
        records = [row.record for row in table.page.object_list]
        page = Page(records, table.page.number, table.paginator)
        filtered = filters is not None and any(
            v not in (None, "", []) for v in getattr(filters.form, "cleaned_data", {}).values()
        )
        context = {
            "title": self.title,
            "table": table,
            "page": page,
            "filters": filters,
            "filtered": filtered,
            "buttons": [b for b in self.buttons if b.allowed(self.actor)],
            "per_page": per_page,
            "per_page_choices": PER_PAGE_CHOICES,
            "export_links": [(fmt.upper(), self.export_url(request, fmt)) for fmt in self.export_formats],
            "empty_text": self.empty_filtered_text if filtered else self.empty_text,
            "search_placeholder": self.search_placeholder,
            **self.get_extra_context(),
        }
        return render(request, self.template_name, context)

    def get_extra_context(self) -> dict:
        return {}

    def export_url(self, request, fmt: str) -> str:
        query = request.GET.copy()
        for key in ("page", "per_page", "columns", "columns_reset"):
            query.pop(key, None)
        query["export"] = fmt
        return f"?{query.urlencode()}"

    def export(self, table: Table, fmt: str):
        from cloudbroker.core.imports import iter_csv, xlsx_bytes

        qs = table.data.data  # filtered and sorted; iterator() keeps memory flat (prefetches per chunk)
        columns, rows = table.export_rows(qs.iterator(chunk_size=2000))
        filename = f"{slugify(self.title) or 'export'}.{fmt}"
        response: HttpResponse | StreamingHttpResponse
        if fmt == "csv":
            response = StreamingHttpResponse(iter_csv(columns, rows), content_type=EXPORT_CONTENT_TYPES[fmt])
        else:
            response = HttpResponse(
                xlsx_bytes(columns, rows, sheet_name=self.title or "Export"), content_type=EXPORT_CONTENT_TYPES[fmt]
            )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ObjectDetailView(ObjectMixin, View):
    """An object's page: ``model``, ``template_name``; ``get_context_data`` adds what it shows."""

    template_name = ""

    def get_context_data(self) -> dict:
        return {"object": self.object}

    def get(self, request, *args, **kwargs):
        return render(request, self.template_name, self.get_context_data())


class ObjectEditView(ActorMixin, View):
    """A form page that creates or changes one object through one service call.

    Declare ``form_class`` and ``template_name``; ``get_form_kwargs`` and ``get_initial`` feed the
    form; ``save(form)`` is the service call (a ``DomainError`` lands on the form's fields);
    ``success(obj)`` answers with a message and a redirect.
    """

    form_class: Any = None
    template_name = ""

    def get_initial(self) -> dict:
        return {}

    def get_form_kwargs(self) -> dict:
        return {}

    def get_form(self, data=None):
        return self.form_class(data, initial=self.get_initial(), **self.get_form_kwargs())

    def get_context_data(self, form) -> dict:
        return {"form": form}

    def save(self, form):  # pragma: no cover - every page declares it
        raise NotImplementedError

    def success(self, obj):  # pragma: no cover - every page declares it
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return render(request, self.template_name, self.get_context_data(self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                obj = self.save(form)
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                return self.success(obj)
        return render(request, self.template_name, self.get_context_data(form), status=422)


class ObjectConfirmView(ObjectMixin, View):
    """A destructive (or weighty) action on one object: GET asks, POST does it.

    Declare ``question`` (a format string over ``object``), ``button_label``, optionally ``warning``
    and ``danger``; ``perform(obj)`` is the one service call; ``done_message`` and
    ``get_success_url`` answer it. A ``DomainError`` comes back as a message on ``get_cancel_url``.
    """

    template_name = "core/confirm.html"
    question = "Are you sure?"
    button_label = "Confirm"
    warning = ""
    danger = True
    done_message = "Done."

    def get_question(self) -> str:
        return self.question.format(object=self.object)

    def get_warning(self) -> str:
        return self.warning

    def get_done_message(self) -> str:
        return self.done_message.format(object=self.object)

    def get_cancel_url(self) -> str:
        return self.get_success_url()

    def get_success_url(self) -> str:  # pragma: no cover - every page declares it
        raise NotImplementedError

    def get_fields(self) -> dict:
        """Hidden fields the POST carries (e.g. ``{"active": "0"}``)."""
        return {}

    def perform(self, obj) -> None:  # pragma: no cover - every page declares it
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return render(
            request,
            self.template_name,
            {
                "object": self.object,
                "question": self.get_question(),
                "warning": self.get_warning(),
                "button_label": self.button_label,
                "danger": self.danger,
                "fields": self.get_fields(),
                "cancel_url": self.get_cancel_url(),
            },
        )

    def post(self, request, *args, **kwargs):
        try:
            self.perform(self.object)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(self.get_cancel_url())
        messages.success(request, self.get_done_message())
        return redirect(self.get_success_url())


class ObjectDeleteView(ObjectConfirmView):
    """Delete one object after confirmation: declare ``kind``, ``perform`` (the service) and URLs."""

    kind = "object"
    button_label = "Delete"
    done_message = "{object} was deleted."

    def get_question(self) -> str:
        return f"Delete {self.kind} “{self.object}”?"
