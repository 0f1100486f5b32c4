"""WSGI middleware (Flask, any WSGI app): every request's credentials decided as ``djtoken
serve``'s ``/auth`` decides them (:mod:`djtoken.gate`), the user in
``environ["djtoken.user"]``::

    from flask import Flask, request
    from djtoken.wsgi import AuthenticationMiddleware

    app = Flask(__name__)
    app.wsgi_app = AuthenticationMiddleware(app.wsgi_app, config="djtoken.toml")

    @app.get("/whoami")
    def whoami():
        user = request.environ["djtoken.user"]
        return {"pk": user.pk if user.is_authenticated else None}

Without ``required`` a request without usable credentials passes on with the anonymous
user (``is_authenticated`` false) and the refusal in ``environ["djtoken.refusal"]``; with
``required=True`` it gets ``/auth``'s answer (status, ``WWW-Authenticate``, JSON body,
``no-store``). An unsafe request's urlencoded or multipart body is read (at most
``serve.body_limit``, else 413) and handed on unchanged. The worker thread waits for the
database without the interpreter lock. Nothing here needs Django.
"""

from __future__ import annotations

import io
from http import HTTPStatus
from typing import Any, Callable, Iterable, Optional

from .gate import ANONYMOUS, DjangoUser, Gate, Headers, Refusal

__all__ = ["AuthenticationMiddleware"]

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
App = Callable[[Environ, StartResponse], Iterable[bytes]]


def _headers(environ: Environ) -> Headers:
    """The request's headers as the client sent them, from WSGI's ``HTTP_*`` keys (latin-1
    text, as PEP 3333 carries bytes)."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if not value:
                continue
            name = key
        else:
            continue
        headers.append(
            (name.replace("_", "-").lower().encode("latin-1", "replace"), str(value).encode("latin-1", "replace"))
        )
    return headers


def _respond(start_response: StartResponse, refusal: Refusal) -> list[bytes]:
    try:
        reason = HTTPStatus(refusal.status).phrase
    except ValueError:
        reason = "Unknown"
    start_response(
        "%d %s" % (refusal.status, reason),
        [(name.decode("latin-1"), value.decode("latin-1")) for name, value in refusal.headers],
    )
    return [refusal.body]


class AuthenticationMiddleware:
    """The gate in front of a WSGI app."""

    def __init__(
        self,
        app: App,
        config: Optional[str] = None,
        *,
        required: bool = False,
        gate: Optional[Gate] = None,
        secret_key: Any = None,
        secret_key_fallbacks: Any = None,
    ) -> None:
        """``config``: a ``djtoken.toml`` (see :class:`djtoken.gate.Gate`), or ``gate``: one
        already built (one per process: it holds the database pool)."""
        self.app = app
        self.gate = gate or Gate(config, secret_key=secret_key, secret_key_fallbacks=secret_key_fallbacks)
        self.required = required

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        headers = _headers(environ)
        body = None
        content_type = environ.get("CONTENT_TYPE")
        if content_type and self.gate.wants_body(method, content_type.encode("latin-1", "replace")):
            limit = self.gate.body_limit
            length = environ.get("CONTENT_LENGTH") or ""
            if length.isdigit() and int(length) > limit:
                return _respond(start_response, self.gate.too_large())
            stream = environ["wsgi.input"]
            body = stream.read(int(length)) if length.isdigit() else stream.read(limit + 1)
            if len(body) > limit:
                return _respond(start_response, self.gate.too_large())
            environ["wsgi.input"] = io.BytesIO(body)
        query = environ.get("QUERY_STRING", "").encode("latin-1", "replace")
        verdict = self.gate.decide_blocking(method, environ.get("PATH_INFO", ""), query, headers, body)
        if isinstance(verdict, DjangoUser):
            environ["djtoken.user"] = verdict
        elif self.required:
            return _respond(start_response, verdict)
        else:
            environ["djtoken.user"] = ANONYMOUS
            environ["djtoken.refusal"] = verdict
        return self.app(environ, start_response)
