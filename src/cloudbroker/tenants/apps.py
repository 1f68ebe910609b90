from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "cloudbroker.tenants"
    label = "tenants"
    verbose_name = "Microsoft 365 tenants"

    def ready(self) -> None:
        from cloudbroker.tenants import provisioning, sync, tasks  # noqa: F401  (outbox handlers, job runners)
