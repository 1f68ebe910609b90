from django.apps import AppConfig


class Microsoft365Config(AppConfig):
    name = "cloudbroker.microsoft365"
    label = "microsoft365"
    verbose_name = "Microsoft 365 tenants"

    def ready(self) -> None:
        from cloudbroker.microsoft365 import provisioning, sync, tasks  # noqa: F401  (outbox handlers, job runners)
