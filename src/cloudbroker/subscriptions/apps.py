from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "cloudbroker.subscriptions"
    label = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        from cloudbroker.organizations.services import register_delete_guard
        from cloudbroker.subscriptions.services import subscriptions_block_deletion

        register_delete_guard(subscriptions_block_deletion)
