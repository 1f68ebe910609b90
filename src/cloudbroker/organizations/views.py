"""Portal pages for organizations and organization groups."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from cloudbroker.core.errors import DomainError, ValidationFailed
from cloudbroker.core.permissions import GROUP_SCOPED_ROLES, Perm
from cloudbroker.core.scoping import get_visible_or_404, parse_uuid
from cloudbroker.core.views import (
    ActorMixin,
    Button,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    apply_errors,
)
from cloudbroker.organizations import services
from cloudbroker.organizations.forms import (
    BULK_ROW_CHOICES,
    GroupFilterSet,
    GroupForm,
    OrganizationFilterSet,
    OrganizationForm,
)
from cloudbroker.organizations.models import Organization, OrganizationDomain, OrganizationGroup
from cloudbroker.organizations.querysets import (
    SORTS,
    group_list_queryset,
    organization_list_queryset,
    visible_history,
)
from cloudbroker.organizations.tables import GroupTable, OrganizationTable
from cloudbroker.organizations.validation import FIELD_LABELS, MANDATORY_FIELDS, ORGANIZATION_FIELDS

PAGE_SIZE = 50


def _display(value):
    """Dates as the seeds write them (DD/MM/YYYY); everything else as it is."""
    return value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else value


class OrganizationObjectMixin(ActorMixin):
    def check_object_scope(self) -> None:
        self.organization = get_visible_or_404(Organization.objects, self.actor, self.kwargs["pk"])


class OrganizationListView(ObjectListView):
    required_perm = Perm.ORGANIZATION_VIEW
    title = "Organizations"
    table = OrganizationTable
    filterset = OrganizationFilterSet
    default_sort = "name"
    empty_text = "No organizations yet."
    empty_filtered_text = "No organization matches."
    buttons = (
        Button("New organization", "portal:organization_create", Perm.ORGANIZATION_CREATE, primary=True, icon="plus"),
        Button("Create multiple organizations", "portal:organization_bulk_create", Perm.ORGANIZATION_CREATE),
        Button("Import from a file", "portal:organization_import", Perm.ORGANIZATION_CREATE, icon="arrow-up-tray"),
    )

    def get_queryset(self):
        return organization_list_queryset(self.actor)

    def export_url(self, request, fmt: str) -> str:
        # The import's own columns (a file exported here imports again unchanged).
        query = QueryDict(mutable=True)
        query.update({k: request.GET.get(k, "") for k in ("q", "group", "sort")})
        return f"{reverse('portal:organization_export', args=[fmt])}?{query.urlencode()}"


class OrganizationCreateView(ObjectEditView):
    required_perm = Perm.ORGANIZATION_CREATE
    form_class = OrganizationForm
    template_name = "organizations/organization_form.html"

    def get_form_kwargs(self) -> dict:
        return {"actor": self.actor, "creating": True}

    def get_context_data(self, form) -> dict:
        return {"form": form, "creating": True, "more_open": form.is_bound}

    def save(self, form):
        return services.create_organization(actor=self.actor, data=form.service_data(), group_ids=form.group_ids())

    def success(self, org):
        messages.success(self.request, f"Organization {org.name} was created.")
        return redirect("portal:organization_detail", pk=org.pk)


class OrganizationBulkCreateView(ActorMixin, View):
    """'Create multiple organizations': generate rows, fill them in, create all or none."""

    required_perm = Perm.ORGANIZATION_CREATE
    template = "organizations/organization_bulk_form.html"
    columns = ORGANIZATION_FIELDS

    def context(self, rows: list[dict], errors: dict | None = None, summary=None):
        errors = errors or {}
        groups = list(OrganizationGroup.objects.visible_to(self.actor).only("id", "name"))
        for row in rows:
            row_errors = errors.get(row["index"], {})
            row["cells"] = [
                {"key": c, "label": FIELD_LABELS[c], "value": row["values"].get(c, ""), "error": row_errors.get(c, "")}
                for c in self.columns
            ]
            row["group_error"] = row_errors.get("groups", "")
        return {
            "rows": rows,
            "columns": [(c, FIELD_LABELS[c], c in MANDATORY_FIELDS) for c in self.columns],
            "row_choices": BULK_ROW_CHOICES,
            "summary": summary or [],
            "groups": groups,
            "can_approval": self.actor.has(Perm.APPROVAL_SETTINGS_CHANGE),
        }

    def get(self, request):
        try:
            count = int(request.GET.get("rows", 3))
        except ValueError:
            count = 3
        count = max(1, min(count, max(BULK_ROW_CHOICES)))
        rows = [{"index": i, "values": {}, "group": ""} for i in range(1, count + 1)]
        return render(request, self.template, self.context(rows))

    def post(self, request):
        try:
            count = int(request.POST.get("row_count", 0))
        except ValueError:
            count = 0
        count = max(0, min(count, max(BULK_ROW_CHOICES)))
        rows, data = [], []
        for i in range(1, count + 1):
            values = {c: request.POST.get(f"rows-{i}-{c}", "").strip() for c in self.columns}
            group = request.POST.get(f"rows-{i}-group", "")
            rows.append({"index": i, "values": values, "group": group})
            if any(v for k, v in values.items() if k != "approval_required" or v == "TRUE"):
                data.append((i, values, [group] if group else []))
        if not data:
            messages.error(request, "Fill in at least one row.")
            return render(request, self.template, self.context(rows), status=422)
        try:
            orgs = services.create_organizations(
                actor=self.actor,
                rows=[d for _, d, _ in data],
                group_ids=[g for _, _, g in data],
                row_numbers=[i for i, _, _ in data],  # errors name the grid's own row numbers
            )
        except ValidationFailed as exc:
            errors, summary = {}, []
            for err in exc.errors:
                row = err.row
                errors.setdefault(row, {})[err.field] = err.message
                summary.append(
                    f"Row {row}, {FIELD_LABELS.get(err.field, err.field.replace('_', ' ').capitalize())}: {err.message}"
                )
            return render(request, self.template, self.context(rows, errors, summary), status=422)
        except DomainError as exc:
            messages.error(request, exc.message)
            return render(request, self.template, self.context(rows), status=exc.status)
        messages.success(request, f"{len(orgs)} organizations were created.")
        return redirect(reverse("portal:organization_list") + "?sort=-created")


#: Panels that apps above organizations add to an organization's page (the Microsoft 365 tenant,
#: later subscriptions): ``panel(actor, organization) -> (template, context) | None``.
_DETAIL_PANELS: list = []


def register_detail_panel(panel) -> None:
    """Called by apps above organizations in their ``ready()``; organizations names none of them."""
    if panel not in _DETAIL_PANELS:
        _DETAIL_PANELS.append(panel)


class OrganizationDetailView(OrganizationObjectMixin, ObjectDetailView):
    required_perm = Perm.ORGANIZATION_VIEW
    template_name = "organizations/organization_detail.html"

    def get_context_data(self) -> dict:
        org = self.organization
        history = []
        if self.actor.has(Perm.AUDIT_VIEW):
            history = readable_history(self.actor, visible_history(self.actor, org)[:50])
        return {
            "org": org,
            "groups": OrganizationGroup.objects.visible_to(self.actor).filter(organizations=org).order_by("name"),
            "domains": org.domains.all(),
            "history": history,
            "fields": [(FIELD_LABELS[f], _display(getattr(org, f))) for f in ORGANIZATION_FIELDS],
            "panels": [shown for panel in _DETAIL_PANELS if (shown := panel(self.actor, org)) is not None],
        }


def _readable(value):
    """A stored audit value as the pages write it: Yes/No, dates DD/MM/YYYY, nothing as None."""
    if value is True or value is False:
        return "Yes" if value else "No"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return None if value in ("", [], {}) else value


def readable_history(actor, events) -> list:
    """The events with their changes as people read them: group ids become the names of the groups
    the viewer may see; groups outside their sight are left out, and so is an event about one."""
    events = list(events)
    ids = set()
    for e in events:
        for side in (e.before or {}, e.after or {}):
            ids.update(str(g) for g in side.get("groups") or [])
            if side.get("group"):
                ids.add(str(side["group"]))
    names = {}
    if ids:
        names = {
            str(pk): name
            for pk, name in OrganizationGroup.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", "name")
        }
    shown = []
    for e in events:
        group = (e.after or {}).get("group") or (e.before or {}).get("group")
        if group and str(group) not in names:
            continue  # membership of a group the viewer may not see
        rows = []
        for field, before, after in e.changes:
            if field == "groups":
                before = ", ".join(sorted(names[str(g)] for g in before or [] if str(g) in names)) or None
                after = ", ".join(sorted(names[str(g)] for g in after or [] if str(g) in names)) or None
                if before == after:
                    continue
            elif field == "group":
                before = names.get(str(before)) if before else None
                after = names.get(str(after)) if after else None
            elif field == "group_name":
                continue  # the name as it was; "group" shows it as it is
            label = {"groups": "Groups", "group": "Group"}.get(field) or FIELD_LABELS.get(field, field)
            rows.append((label, _readable(before), _readable(after)))
        e.readable_changes = rows
        shown.append(e)
    return shown


class OrganizationEditView(OrganizationObjectMixin, ObjectEditView):
    required_perm = Perm.ORGANIZATION_CHANGE
    form_class = OrganizationForm
    template_name = "organizations/organization_form.html"

    def get_initial(self) -> dict:
        org = self.organization
        data = {f: getattr(org, f) for f in ORGANIZATION_FIELDS}
        data["country"] = org.country.code or ""
        data["billing_start_date"] = org.billing_start_date.strftime("%d/%m/%Y")
        data["approval_limit"] = "" if org.approval_limit is None else str(org.approval_limit)
        return data

    def get_form_kwargs(self) -> dict:
        return {"actor": self.actor, "creating": False}

    def get_context_data(self, form) -> dict:
        return {"form": form, "org": self.organization, "more_open": True}

    def save(self, form):
        return services.update_organization(actor=self.actor, organization=self.organization, data=form.service_data())

    def success(self, org):
        messages.success(self.request, "The organization was updated.")
        return redirect("portal:organization_detail", pk=self.organization.pk)


class OrganizationDeleteView(OrganizationObjectMixin, ObjectDeleteView):
    required_perm = Perm.ORGANIZATION_DELETE
    kind = "organization"
    done_message = "Organization {object.name} was deleted."
    warning = (
        "Keep an organization for 60 days after it stops being a customer, so late credits and "
        "charges still have a record to land on."
    )

    def check_object_scope(self) -> None:
        super().check_object_scope()
        self.object = self.organization

    def perform(self, obj) -> None:
        services.delete_organization(actor=self.actor, organization=obj)

    def get_cancel_url(self) -> str:
        return reverse("portal:organization_detail", args=[self.object.pk])

    def get_success_url(self) -> str:
        return reverse("portal:organization_list")


class OrganizationDomainAddView(OrganizationObjectMixin, View):
    required_perm = Perm.ORGANIZATION_CHANGE

    def post(self, request, pk):
        try:
            services.add_domain(actor=self.actor, organization=self.organization, domain=request.POST.get("domain", ""))
        except DomainError as exc:
            messages.error(request, str(exc.errors[0].message) if isinstance(exc, ValidationFailed) else exc.message)
        else:
            messages.success(request, "The domain was added.")
        return redirect("portal:organization_detail", pk=pk)


class OrganizationDomainRemoveView(OrganizationObjectMixin, View):
    required_perm = Perm.ORGANIZATION_CHANGE

    def post(self, request, pk, domain_pk):
        domain = get_object_or_404(OrganizationDomain, organization=self.organization, pk=domain_pk)
        services.remove_domain(actor=self.actor, domain=domain)
        messages.success(request, f"The domain {domain.domain} was removed.")
        return redirect("portal:organization_detail", pk=pk)


# --- groups -----------------------------------------------------------------------------------------


class GroupObjectMixin(ActorMixin):
    def check_object_scope(self) -> None:
        self.group = get_visible_or_404(OrganizationGroup.objects, self.actor, self.kwargs["pk"])


class GroupListView(ObjectListView):
    required_perm = Perm.GROUP_VIEW
    title = "Organization groups"
    table = GroupTable
    filterset = GroupFilterSet
    default_sort = "name"
    empty_text = "No groups."
    empty_filtered_text = "No groups match."
    buttons = (Button("New group", "portal:group_create", Perm.GROUP_MANAGE, primary=True, icon="plus"),)

    def get_queryset(self):
        return group_list_queryset(self.actor)


class GroupCreateView(ObjectEditView):
    required_perm = Perm.GROUP_MANAGE
    form_class = GroupForm
    template_name = "organizations/group_form.html"

    def save(self, form):
        return services.create_group(actor=self.actor, data=form.cleaned_data)

    def success(self, group):
        messages.success(self.request, f"Group {group.name} was created. Now choose its members.")
        return redirect("portal:group_members", pk=group.pk)


class GroupEditView(GroupObjectMixin, View):
    required_perm = Perm.GROUP_MANAGE

    def get(self, request, pk):
        form = GroupForm(initial={"name": self.group.name, "description": self.group.description})
        return render(
            request,
            "organizations/group_form.html",
            {"form": form, "group": self.group, "users_form": self._users_context()},
        )

    def _users_context(self):
        candidates = (
            get_user_model().objects.visible_to(self.actor).filter(staff_role__in=GROUP_SCOPED_ROLES, is_active=True)
        )
        assigned = set(self.group.users.values_list("pk", flat=True))
        return [(u, u.pk in assigned) for u in candidates]

    def post(self, request, pk):
        form = GroupForm(request.POST)
        if form.is_valid():
            try:
                users = request.POST.getlist("users") if "users_submitted" in request.POST else None
                services.change_group(actor=self.actor, group=self.group, data=form.cleaned_data, user_ids=users)
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "The group was updated.")
                return redirect("portal:group_list")
        return render(
            request,
            "organizations/group_form.html",
            {"form": form, "group": self.group, "users_form": self._users_context()},
            status=422,
        )


class GroupDeleteView(GroupObjectMixin, ObjectDeleteView):
    required_perm = Perm.GROUP_MANAGE
    kind = "organization group"
    done_message = "Group {object.name} was deleted."
    warning = (
        "The organizations stay; only the group and its assignments go. Account managers assigned "
        "to it lose sight of its organizations at once."
    )

    def check_object_scope(self) -> None:
        super().check_object_scope()
        self.object = self.group

    def perform(self, obj) -> None:
        services.delete_group(actor=self.actor, group=obj)

    def get_success_url(self) -> str:
        return reverse("portal:group_list")


class GroupMembersView(GroupObjectMixin, View):
    """Members: the group's organizations (remove) and a search to find more (add)."""

    required_perm = Perm.GROUP_VIEW
    post_perm = Perm.GROUP_MANAGE

    def get(self, request, pk):
        q = request.GET.get("q", "").strip()
        members = organization_list_queryset(self.actor, group=self.group.pk)
        page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
        candidates = []
        if self.actor.has(Perm.GROUP_MANAGE):  # shown at once; a search narrows them
            candidates = list(
                Organization.objects.visible_to(self.actor)
                .search(q)
                .exclude(groups=self.group)
                .order_by("name", "id")[:PAGE_SIZE]
            )
        return render(
            request,
            "organizations/group_members.html",
            {"group": self.group, "page": page, "q": q, "candidates": candidates, "page_size": PAGE_SIZE},
        )

    def post(self, request, pk):
        action = request.POST.get("action")
        ids = request.POST.getlist("organizations")
        try:
            if action == "add":
                n = services.add_group_members(actor=self.actor, group=self.group, organization_ids=ids)
                messages.success(request, f"{n} organizations were added to {self.group.name}.")
            elif action == "remove":
                n = services.remove_group_members(actor=self.actor, group=self.group, organization_ids=ids)
                messages.success(request, f"{n} organizations were removed from {self.group.name}.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("portal:group_members", pk=pk)


class OrganizationExportView(ActorMixin, View):
    """The organization list as CSV or XLSX, with the list's current search, group and sort."""

    required_perm = Perm.ORGANIZATION_VIEW

    def get(self, request, file_format):
        from django.http import Http404, HttpResponse, StreamingHttpResponse

        if file_format not in ("csv", "xlsx"):
            raise Http404("Organizations are exported as CSV or XLSX.")
        from cloudbroker.core.imports import iter_csv, xlsx_bytes
        from cloudbroker.organizations.imports import ORGANIZATION_SPEC

        sort = request.GET.get("sort", "name")
        group_id = parse_uuid(request.GET.get("group"))  # a broken or foreign id is ignored, as on the list
        if group_id and not OrganizationGroup.objects.visible_to(self.actor).filter(pk=group_id).exists():
            group_id = None
        qs = organization_list_queryset(
            self.actor, q=request.GET.get("q", ""), group=group_id, sort=sort if sort in SORTS else "name"
        )
        columns = list(ORGANIZATION_SPEC.columns)

        def rows():
            for org in qs.iterator(chunk_size=2000):
                row = {f: getattr(org, f) for f in ORGANIZATION_FIELDS}
                row["country"] = org.country.code or ""
                row["approval_required"] = "TRUE" if org.approval_required else "FALSE"
                row["billing_start_date"] = org.billing_start_date.strftime("%d/%m/%Y")
                row["groups"] = "; ".join(g.name for g in org.groups.all())
                yield row

        filename = f"organizations.{file_format}"
        if file_format == "csv":
            response = StreamingHttpResponse(iter_csv(columns, rows()), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(
                xlsx_bytes(columns, rows(), sheet_name="Organizations"),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
