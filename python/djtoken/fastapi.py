"""FastAPI: the user as a dependency, and Django's login, logout and CSRF token, behind
:class:`djtoken.asgi.AuthenticationMiddleware`::

    from typing import Annotated
    from fastapi import Depends, FastAPI, Form, Request, Response
    from djtoken.asgi import AuthenticationMiddleware
    from djtoken.fastapi import django_user, login, logout
    from djtoken.gate import DjangoUser

    app = FastAPI()
    app.add_middleware(AuthenticationMiddleware, config="djtoken.toml")

    @app.get("/whoami")
    async def whoami(user: Annotated[DjangoUser, Depends(django_user)]):
        return {"pk": user.pk, "username": user.username}

    @app.post("/login")
    async def log_in(request: Request, response: Response,
                     username: Annotated[str, Form()], password: Annotated[str, Form()]):
        done = await login(request, response, username, password)
        return {"pk": done.user.pk, "csrf_token": done.csrf_token}

A refusal is raised as FastAPI's ``HTTPException``: ``/auth``'s status, its message as the
``detail``, and its headers (``WWW-Authenticate``, ``Retry-After``, ``Cache-Control``).
"""

from __future__ import annotations

import json
from typing import Optional

from fastapi import HTTPException, Request, Response

from .gate import CsrfToken, DjangoUser, Gate, LoggedIn, LoggedOut, Refusal

__all__ = ["csrf_token", "django_user", "login", "logout", "optional_django_user"]


def refused(refusal: Refusal) -> HTTPException:
    """A refusal as FastAPI's exception."""
    try:
        detail = json.loads(refusal.body).get("errors")
    except ValueError:
        detail = refusal.body.decode("utf-8", "replace")
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in refusal.headers}
    headers.pop("content-type", None)
    return HTTPException(refusal.status, detail=detail, headers=headers)


def _gate(request: Request) -> Gate:
    gate = request.scope.get("djtoken.gate")
    if not isinstance(gate, Gate):
        raise RuntimeError("djtoken.fastapi needs djtoken.asgi.AuthenticationMiddleware in front of the app")
    return gate


async def django_user(request: Request) -> DjangoUser:
    """The user the middleware found; else its refusal, raised (401 with the challenge for
    missing credentials, 403 for wrong ones, 503 while the database is down)."""
    user = request.scope.get("user")
    if isinstance(user, DjangoUser):
        return user
    _gate(request)
    refusal = request.scope.get("djtoken.refusal")
    if isinstance(refusal, Refusal):
        raise refused(refusal)
    # The middleware with required=True answered already; nothing else gets here.
    raise RuntimeError("no user and no refusal in the request's scope")


async def optional_django_user(request: Request) -> Optional[DjangoUser]:
    """The user the middleware found, or None."""
    user = request.scope.get("user")
    return user if isinstance(user, DjangoUser) else None


def _set_cookies(response: Response, cookies: list[str]) -> None:
    for cookie in cookies:
        response.headers.append("set-cookie", cookie)
    # An answer that sets a session is about one browser: never cached, and it depends on
    # the Cookie header.
    response.headers.append("vary", "Cookie")
    if "cache-control" not in response.headers:
        response.headers["cache-control"] = "no-store"


def _form_body(request: Request) -> Optional[bytes]:
    """The form body the middleware read for its credentials (``csrfmiddlewaretoken``), if
    any: a handler's ``Form()`` fields have consumed the stream by now."""
    body = request.scope.get("djtoken.body")
    return body if isinstance(body, bytes) else None


async def login(request: Request, response: Response, username: str, password: str) -> LoggedIn:
    """Django's ``authenticate()`` and ``login()`` for this browser (``/session/login/``'s
    rules: the CSRF check first, the login throttle and django-axes, the configured
    hashers), the session and CSRF cookies set on ``response``."""
    gate = _gate(request)
    body = _form_body(request)
    client = request.client.host if request.client else None
    done = await gate.login(request.method, request.scope["headers"], body, client, username, password)
    if isinstance(done, Refusal):
        raise refused(done)
    _set_cookies(response, done.cookies)
    return done


async def logout(request: Request, response: Response) -> LoggedOut:
    """Django's ``logout()`` for this browser (the CSRF check first), the session cookie
    deleted on ``response``."""
    gate = _gate(request)
    done = await gate.logout(request.method, request.scope["headers"], _form_body(request))
    if isinstance(done, Refusal):
        raise refused(done)
    _set_cookies(response, done.cookies)
    return done


async def csrf_token(request: Request, response: Response) -> CsrfToken:
    """Django's ``get_token()``: a token for this browser's next form, its cookie set on
    ``response``."""
    done = await _gate(request).csrf_token(request.scope["headers"])
    if isinstance(done, Refusal):
        raise refused(done)
    for cookie in done.cookies:
        response.headers.append("set-cookie", cookie)
    response.headers.append("vary", "Cookie")
    return done
