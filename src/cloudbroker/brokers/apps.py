from django.apps import AppConfig


class BrokersConfig(AppConfig):
    name = "cloudbroker.brokers"
    label = "brokers"
    verbose_name = "Brokers"
