from cloudbroker.core.permissions import Perm


def portal(request):
    actor = getattr(request, "actor", None)
    perms = {p.name: (actor is not None and actor.has(p)) for p in Perm}
    return {"actor": actor, "perms_": perms}
