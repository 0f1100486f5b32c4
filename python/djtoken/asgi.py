"""ASGI middleware (FastAPI, Starlette, any ASGI app): every request's credentials decided
as ``djtoken serve``'s ``/auth`` decides them (:mod:`djtoken.gate`), the user in
``scope["user"]`` -- which is Starlette's ``request.user``::

    from fastapi import FastAPI, Request
    from djtoken.asgi import AuthenticationMiddleware

    app = FastAPI()
    app.add_middleware(AuthenticationMiddleware, config="djtoken.toml")

    @app.get("/whoami")
    async def whoami(request: Request):
        return {"pk": request.user.pk} if request.user.is_authenticated else {"pk": None}

Without ``required`` a request without usable credentials passes on with
``scope["user"]`` the anonymous user (``is_authenticated`` false) and the refusal in
``scope["djtoken.refusal"]``; with ``required=True`` it gets ``/auth``'s answer (status,
``WWW-Authenticate``, JSON body, ``no-store``). A WebSocket handshake is decided from its
cookie and headers the way Channels' ``AuthMiddlewareStack`` decides Django's sessions; with
``required=True`` a refused handshake is closed before it is accepted (HTTP 403). With
``check_origin=True`` a handshake its session cookie authenticates must also come from a page
of the site, as Channels' ``AllowedHostsOriginValidator`` decides it: an ``Origin`` naming a
host of ``ALLOWED_HOSTS`` (a browser sends the cookie to a handshake any page opens; a token
it does not send on its own needs no such check).

An unsafe request's urlencoded or multipart body (tokenapi's fields, Django's
``csrfmiddlewaretoken``) is read -- at most the configured ``serve.body_limit``, else 413 --
and handed on unchanged. Nothing here needs Django.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, MutableMapping, Optional, Union

from .gate import ANONYMOUS, DjangoUser, Gate, Refusal

__all__ = ["AuthenticationMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class AuthenticationMiddleware:
    """The gate in front of an ASGI app."""

    def __init__(
        self,
        app: App,
        config: Optional[str] = None,
        *,
        required: bool = False,
        check_origin: bool = False,
        gate: Optional[Gate] = None,
        secret_key: Any = None,
        secret_key_fallbacks: Any = None,
    ) -> None:
        """``config``: a ``djtoken.toml`` (see :class:`djtoken.gate.Gate`), or ``gate``: one
        already built (one per process: it holds the database pool)."""
        self.app = app
        self.gate = gate or Gate(config, secret_key=secret_key, secret_key_fallbacks=secret_key_fallbacks)
        self.required = required
        self.check_origin = check_origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers") or []
        # A handshake is a GET.
        method = scope.get("method", "GET") if kind == "http" else "GET"
        body = None
        if kind == "http":
            content_type = _header(headers, b"content-type")
            if content_type is not None and self.gate.wants_body(method, content_type):
                read = await _read_body(self.gate, headers, receive)
                if read is None:  # the client went away
                    return
                if isinstance(read, Refusal):
                    await _respond(send, read)
                    return
                body, receive = read
        verdict: Union[DjangoUser, Refusal] = await self.gate.decide(
            method, scope.get("path", ""), scope.get("query_string", b""), headers, body
        )
        if (
            kind == "websocket"
            and self.check_origin
            and isinstance(verdict, DjangoUser)
            and verdict.method == "session"
        ):
            verdict = self.gate.origin_refusal(_header(headers, b"origin")) or verdict
        scope = dict(scope)
        # For djtoken.fastapi's login, logout and CSRF token (and the form body they read
        # Django's csrfmiddlewaretoken from).
        scope["djtoken.gate"] = self.gate
        if body is not None:
            scope["djtoken.body"] = body
        if isinstance(verdict, DjangoUser):
            scope["user"] = verdict
        elif self.required:
            if kind == "http":
                await _respond(send, verdict)
            else:
                await _deny(receive, send)
            return
        else:
            scope["user"] = ANONYMOUS
            scope["djtoken.refusal"] = verdict
        await self.app(scope, receive, send)


def _header(headers: Any, name: bytes) -> Optional[bytes]:
    for key, value in headers:
        if key.lower() == name:
            return bytes(value)
    return None


async def _read_body(gate: Gate, headers: Any, receive: Receive) -> Union[None, Refusal, tuple[bytes, Receive]]:
    """The whole body (at most ``gate.body_limit`` bytes), and a ``receive`` that hands it
    on; the 413 refusal for a larger one (without reading it when its length is announced);
    None when the client disconnected."""
    limit = gate.body_limit
    announced = _header(headers, b"content-length")
    if announced is not None and announced.isdigit() and int(announced) > limit:
        return gate.too_large()
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return gate.too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _respond(send: Send, refusal: Refusal) -> None:
    await send({"type": "http.response.start", "status": refusal.status, "headers": refusal.headers})
    await send({"type": "http.response.body", "body": refusal.body})


async def _deny(receive: Receive, send: Send) -> None:
    """Close a handshake before accepting it: the server answers HTTP 403."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 1008})
