from django.db import models

__all__ = ["ImportJobKind", "ImportKind", "ImportPhase", "ImportStatus"]


class ImportKind(models.TextChoices):
    """What a file imports: each kind has its importer (``cloudbroker.core.imports.registry``)."""

    ORGANIZATIONS = "organizations", "Organizations"
    PRICE_LIST = "price_list", "Price list"


class ImportStatus(models.TextChoices):
    PREVIEWING = "previewing", "Reading the file"
    PREVIEWED = "previewed", "Ready to import"
    REFUSED = "refused", "File refused"
    IMPORTING = "importing", "Importing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class ImportPhase(models.TextChoices):
    """When an issue of a row was found."""

    PREVIEW = "preview", "Preview"
    IMPORT = "import", "Import"


class ImportJobKind(models.TextChoices):
    """The jobs of an import run."""

    PREVIEW = "imports.preview", "Read and preview an import file"
    APPLY = "imports.apply", "Import a previewed file"
