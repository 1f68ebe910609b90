from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cloudbroker.accounts"
    label = "accounts"
    verbose_name = "Accounts"
