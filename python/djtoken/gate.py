"""The gate: who a request's credentials name, decided exactly as ``djtoken serve``'s
``/auth`` decides (the same Rust code): the project's ``AUTHENTICATION_METHODS`` in order --
tokenapi, Django's session cookie (with Django's CSRF check for unsafe methods), DRF's
``Token``, knox, simplejwt -- the first that finds its kind of credentials decides.

It needs no Django: point it at the ``djtoken.toml`` the project's ``manage.py
djtoken_config`` wrote. ``djtoken.asgi`` and ``djtoken.wsgi`` are middleware around it::

    from djtoken.gate import Gate

    gate = Gate("djtoken.toml")                  # SECRET_KEY from the file it names
    user = await gate.decide("GET", "/api/", b"", [(b"authorization", b"Token 9944b0...")])
    if user.is_authenticated: ...                # else a Refusal: /auth's status and body

The database, the session store and the password hashing run on djtoken's own runtime,
without the interpreter lock; a decision that waits for them is awaited, and never blocks
the event loop.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Union

from . import _djtoken as _native
from ._configfile import configuration, django_configuration

__all__ = [
    "ANONYMOUS",
    "AnonymousUser",
    "CsrfToken",
    "DjangoUser",
    "Gate",
    "Headers",
    "LoggedIn",
    "LoggedOut",
    "Refusal",
]

#: Request or response headers as ASGI carries them: (name, value) byte strings.
Headers = list[tuple[bytes, bytes]]


class DjangoUser:
    """The user a request's credentials name (what ``/auth`` answers in ``X-Auth-*``).

    It has what Starlette's ``request.user`` offers (``is_authenticated``, ``display_name``,
    ``identity``), and Django's ``pk``, ``username`` and ``email``."""

    __slots__ = ("email", "method", "pk", "session_key", "username")
    is_authenticated = True
    is_anonymous = False

    def __init__(
        self, pk: Union[int, str], username: str, email: str, method: str, session_key: Optional[str] = None
    ) -> None:
        #: ``user.pk``: an ``int`` for an integer key, else its text (a UUID's hyphenated form).
        self.pk = pk
        #: The ``USERNAME_FIELD`` value.
        self.username = username
        #: The ``EMAIL_FIELD`` value (``""`` when the model has none).
        self.email = email
        #: The method that decided: ``tokenapi``, ``session``, ``drf-token``, ``knox`` or
        #: ``simplejwt``.
        self.method = method
        #: The session's key, for the ``session`` method.
        self.session_key = session_key

    @property
    def display_name(self) -> str:
        return self.username

    @property
    def identity(self) -> str:
        return str(self.pk)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DjangoUser) and (self.pk, self.username, self.method) == (
            other.pk,
            other.username,
            other.method,
        )

    def __hash__(self) -> int:
        return hash((self.pk, self.method))

    def __repr__(self) -> str:
        # The session key is a credential: never in a repr (or a log line made from one).
        return "DjangoUser(pk=%r, username=%r, method=%r)" % (self.pk, self.username, self.method)


class AnonymousUser:
    """No credentials, or refused ones (with the middleware not ``required``)."""

    __slots__ = ()
    is_authenticated = False
    is_anonymous = True
    pk = None
    username = ""
    email = ""
    method = None
    session_key = None
    display_name = ""
    identity = ""

    def __repr__(self) -> str:
        return "AnonymousUser()"


#: The one anonymous user.
ANONYMOUS = AnonymousUser()


class Refusal(NamedTuple):
    """``/auth``'s answer to a request it refuses: 401 with the deciding method's
    ``WWW-Authenticate``, 403, or 503 with ``Retry-After`` while the database is down; always
    JSON and ``Cache-Control: no-store``."""

    status: int
    headers: Headers
    body: bytes

    @property
    def is_authenticated(self) -> bool:
        return False


class LoggedIn(NamedTuple):
    """A login: the user, a token of the rotated CSRF secret (for the next form), and the
    ``Set-Cookie`` values to send (the session's, and the CSRF cookie's unless
    ``CSRF_USE_SESSIONS``)."""

    user: DjangoUser
    csrf_token: str
    cookies: list[str]


class LoggedOut(NamedTuple):
    """A logout: the ``Set-Cookie`` deleting the session cookie (none when none was sent)."""

    cookies: list[str]


class CsrfToken(NamedTuple):
    """``get_token()``: a masked token for a form's ``csrfmiddlewaretoken`` (or the
    ``X-CSRFToken`` header), and the ``Set-Cookie`` holding its secret."""

    token: str
    cookies: list[str]


def _read(verdict: tuple[Any, ...]) -> Union[DjangoUser, Refusal]:
    if verdict[0]:
        return DjangoUser(*verdict[1:])
    return Refusal(*verdict[1:])


class Gate:
    """One project's gate, configured as its ``djtoken.toml`` says: build one per process
    (it holds the database pool and the session store) and share it."""

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
        self._native = _native.Gate(*configuration(config, secret_key, secret_key_fallbacks, _text))

    @classmethod
    def from_django(cls) -> Gate:
        """The running Django project's gate: its settings as ``manage.py djtoken_config``
        exports them, with its ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``."""
        return cls(**django_configuration())

    @property
    def body_limit(self) -> int:
        """``serve.body_limit``: the largest form body read for its credentials."""
        return int(self._native.body_limit)

    def wants_body(self, method: str, content_type: Optional[bytes]) -> bool:
        """Whether a request's body holds credentials: an unsafe request's urlencoded or
        multipart form (tokenapi's ``user`` and ``token``, Django's ``csrfmiddlewaretoken``)."""
        return bool(self._native.wants_body(method, content_type))

    def origin_refusal(self, origin: Optional[bytes]) -> Optional[Refusal]:
        """Channels' ``AllowedHostsOriginValidator`` for a WebSocket handshake its session
        cookie authenticates: None when its ``Origin`` header names a host of the project's
        ``ALLOWED_HOSTS``, else a 403 refusal (a handshake without one is refused)."""
        refused = self._native.origin_refusal(origin)
        return None if refused is None else Refusal(*refused[1:])

    def too_large(self) -> Refusal:
        """The answer to a body larger than :attr:`body_limit` (413)."""
        return Refusal(*self._native.too_large()[1:])

    async def decide(
        self,
        method: Optional[str],
        path: str,
        query: bytes,
        headers: Headers,
        body: Optional[bytes] = None,
    ) -> Union[DjangoUser, Refusal]:
        """The user the request's credentials name, or ``/auth``'s refusal. ``method``
        ``None`` counts as unsafe; ``path`` is what the refusal's log line names; ``body``
        the form body when :meth:`wants_body` says so."""
        verdict = self._native.decide(method, path, query, headers, body)
        if type(verdict) is not tuple:
            verdict = await verdict
        return _read(verdict)

    def decide_blocking(
        self,
        method: Optional[str],
        path: str,
        query: bytes,
        headers: Headers,
        body: Optional[bytes] = None,
    ) -> Union[DjangoUser, Refusal]:
        """:meth:`decide`, waited for (for WSGI): the thread waits without the interpreter
        lock."""
        return _read(self._native.decide_blocking(method, path, query, headers, body))

    async def login(
        self,
        method: str,
        headers: Headers,
        body: Optional[bytes],
        client: Optional[str],
        username: str,
        password: str,
    ) -> Union[LoggedIn, Refusal]:
        """Django's ``authenticate()`` then ``login()``, as ``/session/login/`` does them for
        a browser's request: its CSRF check first (the token from ``X-CSRFToken`` or the form
        ``body``'s ``csrfmiddlewaretoken``), djtoken's login throttle and django-axes (by the
        ``client`` address), the password through the configured hashers (rehashed as
        Django would), then the session cycled, ``last_login`` and a rotated CSRF secret."""
        done = await self._native.login(method, headers, body, client, username, password)
        if not done[0]:
            return Refusal(*done[1:])
        return LoggedIn(DjangoUser(*done[1]), done[2], list(done[3]))

    async def logout(self, method: str, headers: Headers, body: Optional[bytes] = None) -> Union[LoggedOut, Refusal]:
        """Django's ``logout()`` for a browser's request, its CSRF check first."""
        done = await self._native.logout(method, headers, body)
        return LoggedOut(list(done[1])) if done[0] else Refusal(*done[1:])

    async def csrf_token(self, headers: Headers) -> Union[CsrfToken, Refusal]:
        """Django's ``get_token()``: a token for the request's browser, and its cookie."""
        done = await self._native.csrf_token(headers)
        return CsrfToken(done[1], list(done[2])) if done[0] else Refusal(*done[1:])
