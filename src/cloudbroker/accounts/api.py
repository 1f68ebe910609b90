import uuid

from django.db import transaction
from django.db.models import Q
from ninja import Router, Status
from ninja.pagination import paginate

from cloudbroker.accounts import services
from cloudbroker.accounts.models import ApiToken, User
from cloudbroker.accounts.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenOut,
    StaffCreate,
    StaffOut,
    StaffUpdate,
)
from cloudbroker.core.api import actor_of
from cloudbroker.core.pagination import Pagination
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404

staff_router = Router(tags=["staff users"])
tokens_router = Router(tags=["API tokens"])


def _staff(actor):
    return User.objects.visible_to(actor).prefetch_related("assigned_groups")


@staff_router.get("/", response=list[StaffOut], summary="List staff users (administrators)")
@paginate(Pagination, page_size=100)
def list_staff(request, q: str = "", role: str = ""):
    actor = actor_of(request)
    actor.require(Perm.STAFF_VIEW)
    qs = _staff(actor)
    if q:
        qs = qs.filter(Q(email__icontains=q) | Q(last_name__icontains=q) | Q(first_name__icontains=q))
    if role:
        qs = qs.filter(staff_role=role)
    return qs


@staff_router.post("/", response={201: StaffOut}, summary="Create a staff user")
def create_staff(request, payload: StaffCreate):
    actor = actor_of(request)
    user = services.create_staff_user(
        actor=actor,
        data=payload.dict(exclude={"password", "groups"}),
        password=payload.password,
        group_ids=payload.groups,
    )
    return Status(201, _staff(actor).get(pk=user.pk))


@staff_router.get("/me", response=StaffOut, summary="The calling staff user")
def me(request):
    actor = actor_of(request)
    return get_visible_or_404(_staff(actor), actor, actor.user_id)


@staff_router.get("/{user_id}", response=StaffOut, summary="Get a staff user")
def get_staff(request, user_id: uuid.UUID):
    actor = actor_of(request)
    return get_visible_or_404(_staff(actor), actor, user_id)


@staff_router.patch("/{user_id}", response=StaffOut, summary="Change role, groups or status")
def update_staff(request, user_id: uuid.UUID, payload: StaffUpdate):
    actor = actor_of(request)
    user = get_visible_or_404(User.objects, actor, user_id)
    data = payload.dict(exclude_unset=True)
    actor.require(Perm.STAFF_MANAGE)
    with transaction.atomic():
        if "is_active" in data:
            user = services.set_staff_active(actor=actor, user=user, active=data.pop("is_active"))
        groups = data.pop("groups", None)
        if data or groups is not None:
            user = services.update_staff_user(actor=actor, user=user, data=data, group_ids=groups)
    return _staff(actor).get(pk=user.pk)


@tokens_router.get("/", response=list[ApiTokenOut], summary="My API tokens")
def list_tokens(request):
    return ApiToken.objects.visible_to(actor_of(request))


@tokens_router.post("/", response={201: ApiTokenCreated}, summary="Create an API token (shown once)")
def create_token(request, payload: ApiTokenCreate):
    token, raw = services.create_api_token(actor=actor_of(request), name=payload.name, expires_at=payload.expires_at)
    out = ApiTokenOut.from_orm(token).dict()
    return Status(201, {**out, "token": raw})


@tokens_router.delete("/{token_id}", response={204: None}, summary="Revoke an API token")
def revoke_token(request, token_id: uuid.UUID):
    actor = actor_of(request)
    token = get_visible_or_404(ApiToken.objects, actor, token_id)
    services.revoke_api_token(actor=actor, token=token)
    return Status(204, None)
