"""``djtoken.config``: write a ``djtoken.toml`` from the running Django project's settings.

Add ``"djtoken.config"`` to ``INSTALLED_APPS``, then::

    python manage.py djtoken_config --output djtoken.toml --secret-key-file /etc/myproject/djtoken-key

The file says which Django it is (``DJANGO_VERSION``), the ``default`` database as a URL,
``TIME_ZONE``/``USE_TZ``, ``PASSWORD_HASHERS`` with each hasher's effective work factors (a
subclass that raises ``iterations`` is reproduced), ``TOKEN_TIMEOUT_DAYS``,
``PASSWORD_RESET_TIMEOUT`` and the user model's table and columns, so that ``djtoken serve
--config djtoken.toml`` speaks exactly as the project does. Secret values never go into it:
the secret key (and fallbacks) are written to files of their own, mode 0600, only when asked;
otherwise the file says which environment variables to set. Whatever djtoken cannot honour is
reported, never silently dropped.
"""

from .export import Export, export

__all__ = ["Export", "export"]
