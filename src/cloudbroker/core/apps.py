from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cloudbroker.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from cloudbroker.core import tasks  # noqa: F401  (registers the huey tasks)
