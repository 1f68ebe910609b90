from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "cloudbroker.organizations"
    label = "organizations"
    verbose_name = "Organizations"

    def ready(self) -> None:
        from cloudbroker.core.scoping import register_organization_scope
        from cloudbroker.organizations.models import Organization

        # Everything that hangs off an organization is seen by whoever sees the organization.
        register_organization_scope(lambda actor: Organization.objects.visible_to(actor).values("pk"))
