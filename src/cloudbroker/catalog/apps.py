from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "cloudbroker.catalog"
    label = "catalog"
    verbose_name = "Catalog and price lists"
