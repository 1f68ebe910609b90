from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "cloudbroker.portal"
    label = "portal"
    verbose_name = "Portal"
