"""A drop-in for the ``tokenapi`` Django app (django-tokenapi 2.1.1), Rust-backed.

Migrating is replacing ``tokenapi`` with ``djtoken.tokenapi`` in ``INSTALLED_APPS``,
``AUTHENTICATION_BACKENDS`` (``djtoken.tokenapi.backends.TokenBackend``), the URLconf
(``include("djtoken.tokenapi.urls")``) and imports. Tokens, URLs, URL names and JSON answers
are tokenapi's; the differences are on purpose:

- input tokenapi crashes on (an id ``int()`` refuses, a NUL in a username on PostgreSQL…)
  gets tokenapi's 4xx answer for bad credentials instead of a 500;
- ``SECRET_KEY_FALLBACKS`` are honoured, so rotating the key logs nobody out;
- ``@token_required`` also decorates methods of class-based views.
"""

default_app_config = "djtoken.tokenapi.apps.TokenapiConfig"
