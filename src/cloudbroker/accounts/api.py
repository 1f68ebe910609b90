import uuid

from django.db.models import Q
from ninja import Router, Status
from ninja.pagination import paginate

from cloudbroker.accounts import mfa, services, signin
from cloudbroker.accounts.models import ApiToken, User
from cloudbroker.accounts.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenOut,
    StaffCreate,
    StaffOut,
    StaffUpdate,
    UnlockOut,
)
from cloudbroker.core.api import OWN_THINGS, actor_of, requires
from cloudbroker.core.pagination import Pagination
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404

staff_router = Router(tags=["staff users"])
tokens_router = Router(tags=["API tokens"])


def _staff(actor):
    return User.objects.visible_to(actor).prefetch_related("assigned_groups")


@staff_router.get("/", response=list[StaffOut], summary="List staff users (administrators)")
@paginate(Pagination, page_size=100)
@requires(Perm.STAFF_VIEW)
def list_staff(request, q: str = "", role: str = ""):
    actor = actor_of(request)
    qs = _staff(actor)
    if q:
        qs = qs.filter(Q(email__icontains=q) | Q(last_name__icontains=q) | Q(first_name__icontains=q))
    if role:
        qs = qs.filter(staff_role=role)
    return qs


@staff_router.post("/", response={201: StaffOut}, summary="Create a staff user")
@requires(Perm.STAFF_MANAGE)
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
@requires(OWN_THINGS)
def me(request):
    actor = actor_of(request)
    return get_visible_or_404(_staff(actor), actor, actor.user_id)


@staff_router.get("/{user_id}", response=StaffOut, summary="Get a staff user")
@requires(OWN_THINGS)  # visible_to: every staff user for roles with staff.view, else only oneself
def get_staff(request, user_id: uuid.UUID):
    actor = actor_of(request)
    return get_visible_or_404(_staff(actor), actor, user_id)


@staff_router.get("/{user_id}/tokens", response=list[ApiTokenOut], summary="A staff user's API tokens")
@requires(Perm.STAFF_MANAGE, lookup=(User.objects, "user_id"))
def list_staff_tokens(request, user_id: uuid.UUID):
    actor = actor_of(request)
    user = get_visible_or_404(User.objects, actor, user_id)
    return ApiToken.objects.visible_to(actor).filter(user=user)


@staff_router.post("/{user_id}/unlock", response=UnlockOut, summary="Unlock an account locked by failed log-ins")
@requires(Perm.ACCOUNT_UNLOCK, lookup=(User.objects, "user_id"))
def unlock_staff(request, user_id: uuid.UUID):
    actor = actor_of(request)
    user = get_visible_or_404(User.objects, actor, user_id)
    return {"cleared_attempts": signin.unlock_account(actor=actor, user=user)}


@staff_router.post("/{user_id}/reset-two-factor", response={204: None}, summary="Remove a staff user's second factor")
@requires(Perm.ACCOUNT_UNLOCK, lookup=(User.objects, "user_id"))
def reset_staff_two_factor(request, user_id: uuid.UUID):
    actor = actor_of(request)
    mfa.reset_for(actor=actor, user=get_visible_or_404(User.objects, actor, user_id))
    return Status(204, None)


@staff_router.patch("/{user_id}", response=StaffOut, summary="Change role, groups or status")
@requires(Perm.STAFF_MANAGE, lookup=(User.objects, "user_id"))
def update_staff(request, user_id: uuid.UUID, payload: StaffUpdate):
    actor = actor_of(request)
    user = get_visible_or_404(User.objects, actor, user_id)
    user = services.change_staff_user(actor=actor, user=user, data=payload.dict(exclude_unset=True))
    return _staff(actor).get(pk=user.pk)


@tokens_router.get("/", response=list[ApiTokenOut], summary="My API tokens")
@requires(OWN_THINGS)
def list_tokens(request):
    return ApiToken.objects.owned_by(actor_of(request))


@tokens_router.post("/", response={201: ApiTokenCreated}, summary="Create an API token (shown once)")
@requires(OWN_THINGS)
def create_token(request, payload: ApiTokenCreate):
    token, raw = services.create_api_token(actor=actor_of(request), name=payload.name, expires_at=payload.expires_at)
    out = ApiTokenOut.from_orm(token).dict()
    return Status(201, {**out, "token": raw})


@tokens_router.delete(
    "/{token_id}", response={204: None}, summary="Revoke an API token (one's own; staff managers also others')"
)
@requires(OWN_THINGS)
def revoke_token(request, token_id: uuid.UUID):
    actor = actor_of(request)
    token = get_visible_or_404(ApiToken.objects, actor, token_id)
    services.revoke_api_token(actor=actor, token=token)
    return Status(204, None)
