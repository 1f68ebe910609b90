from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "cloudbroker.catalog"
    label = "catalog"
    verbose_name = "Catalog and price lists"

    def ready(self) -> None:
        from cloudbroker.catalog.views import organization_panel
        from cloudbroker.organizations.views import register_detail_panel

        register_detail_panel(organization_panel)
