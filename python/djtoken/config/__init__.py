"""``djtoken.config``: write a ``djtoken.toml`` from the running Django project's settings.

Add ``"djtoken.config"`` to ``INSTALLED_APPS``, then::

    python manage.py djtoken_config --output djtoken.toml --secret-key-file djtoken-secret-key

The file says which Django it is (``DJANGO_VERSION``), the ``default`` database as a URL,
``TIME_ZONE``/``USE_TZ``, ``PASSWORD_HASHERS`` with each hasher's effective work factors (a
subclass that raises ``iterations`` is reproduced), ``TOKEN_TIMEOUT_DAYS``,
``PASSWORD_RESET_TIMEOUT`` and the user model's table and columns, so that ``djtoken serve
--config djtoken.toml`` speaks exactly as the project does. Secret values never go into it:
the secret key (and fallbacks) are written to files of their own, mode 0600, only when asked;
otherwise the file says which environment variables to set. Whatever djtoken cannot honour is
reported, never silently dropped.
"""

from typing import TYPE_CHECKING, Any

__all__ = ["Export", "export"]

if TYPE_CHECKING:
    from .export import Export, export


def __getattr__(name: str) -> Any:
    # Not at import: Django imports this app at every start, and the extension is needed only
    # when the command runs.
    if name not in __all__:
        raise AttributeError("module 'djtoken.config' has no attribute %r" % name)
    from . import export as module

    return getattr(module, name)
