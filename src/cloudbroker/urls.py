from django.http import JsonResponse
from django.urls import include, path

from cloudbroker.api import api


def health(request):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("api/v1/", api.urls),
    path("health/", health, name="health"),
    path("", include("cloudbroker.portal.urls")),
]

handler403 = "cloudbroker.portal.errors.permission_denied"
handler404 = "cloudbroker.portal.errors.not_found"
