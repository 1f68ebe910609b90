"""Settings for the import benchmark: the product's, plus django-import-export for the comparison."""

from cloudbroker.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "import_export"]  # noqa: F405
