from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "cloudbroker.imports"
    label = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("imports")  # each app's imports.py registers its importer
        from cloudbroker.imports import services  # noqa: F401  (registers the job runners)
