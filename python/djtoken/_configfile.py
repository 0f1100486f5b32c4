"""Reading a ``djtoken.toml`` for the parts of the package that work without Django
(``djtoken.sessions``, ``djtoken.gate`` and its middleware): one reading for all of them."""

from __future__ import annotations

import os
from typing import Any, Optional


def configuration(
    config: Optional[str],
    secret_key: Any,
    secret_key_fallbacks: Any,
    text: Optional[str],
) -> tuple[str, str, Any, Optional[list[Any]]]:
    """The configuration's text, the folder its relative paths are relative to, and the
    secret key and fallbacks that replace the key files it names (None: the files).

    ``config`` is the path of a ``djtoken.toml`` (default: ``$DJTOKEN_CONFIG``, else
    ``./djtoken.toml``); ``text`` (Django's own settings exported) replaces the file. As for
    the djtoken command, ``$DJTOKEN_SECRET_KEY`` (and ``$DJTOKEN_SECRET_KEY_FALLBACKS``, one
    per line) outrank the file's key files when no key is given."""
    if text is None:
        path = config or os.environ.get("DJTOKEN_CONFIG") or "djtoken.toml"
        with open(path, encoding="utf-8") as f:
            text = f.read()
        base = os.path.dirname(os.path.abspath(path))
    else:
        base = os.getcwd()
    if secret_key is None and os.environ.get("DJTOKEN_SECRET_KEY"):
        secret_key = os.environ["DJTOKEN_SECRET_KEY"]
        if secret_key_fallbacks is None and os.environ.get("DJTOKEN_SECRET_KEY_FALLBACKS"):
            secret_key_fallbacks = os.environ["DJTOKEN_SECRET_KEY_FALLBACKS"].splitlines()
    fallbacks = None if secret_key_fallbacks is None else list(secret_key_fallbacks)
    return text, base, secret_key, fallbacks


def django_configuration() -> dict[str, Any]:
    """The running Django project's settings as ``manage.py djtoken_config`` exports them,
    with its ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``: keyword arguments of ``Sessions``
    and ``Gate``."""
    from django.conf import settings

    from .config.export import export

    return {
        "secret_key": settings.SECRET_KEY,
        "secret_key_fallbacks": list(getattr(settings, "SECRET_KEY_FALLBACKS", []) or []),
        "_text": export(settings).text,
    }
