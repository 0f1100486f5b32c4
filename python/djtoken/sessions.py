"""Django's sessions outside Django: read who is logged in, log users in and out, for every
``SESSION_ENGINE`` a service can share (``db`` on SQLite and PostgreSQL, ``cache`` and
``cached_db`` on Redis, ``file``, ``signed_cookies``), exactly as the project's Django does.

Without Django (a FastAPI or Flask service beside a Django site), point it at the
``djtoken.toml`` the project's ``manage.py djtoken_config`` wrote::

    from djtoken.sessions import Sessions

    sessions = Sessions("djtoken.toml")          # SECRET_KEY from the file it names, or
    user = sessions.get_user(request.cookies["sessionid"])   # secret_key="..."
    if user.user_id is not None: ...              # the pk, as text

Inside a Django project, ``Sessions.from_django()`` reads the project's own settings.
The work (database, cache, files, signatures, pickles) is done in Rust without the
interpreter lock; session data is read and written with Python's ``json``, as Django's
``JSONSerializer`` does.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, Optional

from . import _djtoken as _native
from ._configfile import configuration, django_configuration

#: The store (database, cache or directory) could not answer: a ``ConnectionError``.
SessionStoreUnavailable = _native.SessionStoreUnavailable

__all__ = ["SessionStoreUnavailable", "SessionUser", "Sessions"]


class SessionUser(NamedTuple):
    """What ``get_user`` decided for a session cookie."""

    #: The user's pk as text (``str(user.pk)``), or None for an anonymous session.
    user_id: Optional[str]
    #: Why the session is anonymous (None when it is logged in).
    reason: Optional[str]
    #: The session's key: a new one when Django would move the session (a hash made with a
    #: ``SECRET_KEY_FALLBACKS`` key) and ``apply`` did.
    session_key: str
    #: Whether Django cycles the key for this session.
    cycled: bool

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None


class Sessions:
    """One project's sessions, configured as its ``djtoken.toml`` says."""

    def __init__(
        self,
        config: Optional[str] = None,
        *,
        secret_key: Any = None,
        secret_key_fallbacks: Any = None,
        _text: Optional[str] = None,
    ) -> None:
        """``config``: the path of a ``djtoken.toml`` (default: ``$DJTOKEN_CONFIG``, else
        ``./djtoken.toml``); its relative paths are relative to it. ``secret_key`` (and
        ``secret_key_fallbacks``) replace the key files it names; without them and without
        files there, ``$DJTOKEN_SECRET_KEY`` is used."""
        self._native = _native.Sessions(*configuration(config, secret_key, secret_key_fallbacks, _text))

    @classmethod
    def from_django(cls) -> Sessions:
        """The running Django project's sessions: its settings as ``manage.py
        djtoken_config`` exports them, with its ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``."""
        return cls(**django_configuration())

    def load(self, session_key: str) -> Optional[dict[str, Any]]:
        """``SessionStore(session_key).load()``: the data, or None where Django finds no
        session (unknown key, expired, bad signature)."""
        text = self._native.load(session_key)
        return None if text is None else json.loads(text)

    def get_user(self, session_key: str, *, apply: bool = False) -> SessionUser:
        """Who the session cookie belongs to, as ``django.contrib.auth.get_user`` decides.
        With ``apply``, the session is changed as Django changes it (deleted on a stale
        hash, moved to a new key on a fallback key's hash); without, nothing is written."""
        return SessionUser(*self._native.get_user(session_key, apply))

    def login(self, username: str, backend: Optional[str] = None) -> str:
        """``login()`` of the user ``username`` (no password check: that is the caller's):
        the new session cookie's value."""
        return self._native.login(username, backend)

    def logout(self, session_key: str) -> None:
        """``logout()``: the session is deleted (clear the cookie too)."""
        self._native.logout(session_key)

    def save(self, session_key: Optional[str], data: dict[str, Any]) -> str:
        """Save ``data`` under ``session_key`` (None: a new session): the session's key (for
        ``signed_cookies``, the new cookie value)."""
        return self._native.save(session_key, json.dumps(data, separators=(",", ":")))
