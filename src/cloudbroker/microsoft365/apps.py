from django.apps import AppConfig


class Microsoft365Config(AppConfig):
    name = "cloudbroker.microsoft365"
    label = "microsoft365"
    verbose_name = "Microsoft 365 tenants"

    def ready(self) -> None:
        from cloudbroker.microsoft365 import catalog_sync, changes, ordering, provisioning, sync, tasks  # noqa: F401  (outbox handlers, job runners)
        from cloudbroker.microsoft365.services import tenant_blocks_deletion
        from cloudbroker.organizations.services import register_delete_guard

        register_delete_guard(tenant_blocks_deletion)

        from cloudbroker.microsoft365.views import organization_panel
        from cloudbroker.organizations.views import register_detail_panel

        register_detail_panel(organization_panel)
