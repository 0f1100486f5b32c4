from django.apps import AppConfig


class TokenapiConfig(AppConfig):
    name = "djtoken.tokenapi"
    # Not "tokenapi": both apps may be installed side by side while migrating.
    label = "djtoken_tokenapi"
    verbose_name = "djtoken tokenapi"
