from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "cloudbroker.imports"
    label = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        from cloudbroker.imports import services  # noqa: F401  (registers the job runners)
