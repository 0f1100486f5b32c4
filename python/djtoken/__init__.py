"""djtoken: Django's authentication dialect, in Rust.

Tokens of django-tokenapi and of Django's ``PasswordResetTokenGenerator``, and every Django
password hasher, byte for byte, for Django 3.2 to 6.1 -- usable without Django::

    >>> import djtoken
    >>> gen = djtoken.TokenapiTokenGenerator("test-secret")
    >>> gen.make_token_for(1, "pbkdf2_sha256$260000$abcdefghijklmnopqrstuv$" + "A" * 43 + "=", days=9000)
    '6y0-a438a0c8937197581e32'

Inside a Django project, ``djtoken.tokenapi`` replaces the ``tokenapi`` app,
``djtoken.hashers`` holds ``PASSWORD_HASHERS`` classes and ``djtoken.tokens`` a
``PasswordResetTokenGenerator``; all of them read Django's settings.
"""

# The extension is loaded at the first use of the API, not when the package is imported:
# "djtoken.config" in INSTALLED_APPS imports it at every start of the Django project, and
# needs the extension only when `manage.py djtoken_config` runs.

from typing import TYPE_CHECKING, Any

__all__ = [
    "LATEST_DJANGO_VERSION",
    "Hashers",
    "PasswordCheck",
    "PasswordResetTokenGenerator",
    "SaltedHmac",
    "TokenapiTokenGenerator",
    "Verdict",
    "base36_to_int",
    "check_password",
    "django_versions",
    "identify_hasher",
    "int_to_base36",
    "is_password_usable",
    "make_password",
    "profile",
    "salted_hmac",
]

if TYPE_CHECKING:
    from ._api import (  # noqa: F401
        LATEST_DJANGO_VERSION,
        Hashers,
        PasswordCheck,
        PasswordResetTokenGenerator,
        SaltedHmac,
        Text,
        TokenapiTokenGenerator,
        Verdict,
        __version__,
        base36_to_int,
        check_password,
        django_versions,
        identify_hasher,
        int_to_base36,
        is_password_usable,
        make_password,
        profile,
        salted_hmac,
    )

_LAZY = frozenset(__all__) | {"__version__", "Text"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError("module 'djtoken' has no attribute %r" % name)
    from . import _api

    value = getattr(_api, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)
