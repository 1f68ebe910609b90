from django.urls import path

from cloudbroker.core import views

urlpatterns = [
    path("jobs/<uuid:pk>/", views.JobDetailView.as_view(), name="job_detail"),
]
