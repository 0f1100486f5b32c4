from django.apps import AppConfig


class DjtokenConfigConfig(AppConfig):
    name = "djtoken.config"
    label = "djtoken_config"
    verbose_name = "djtoken configuration"
