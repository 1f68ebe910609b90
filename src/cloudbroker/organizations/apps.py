from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "cloudbroker.organizations"
    label = "organizations"
    verbose_name = "Organizations"
