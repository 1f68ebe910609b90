from django.urls import path

from cloudbroker.brokers import views

urlpatterns = [
    path("reseller-properties/", views.BrokerPropertiesView.as_view(), name="broker_properties"),
]
