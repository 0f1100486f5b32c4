"""tokenapi's ``@token_required``: ``user`` and ``token`` from POST, then GET, then
``Authorization: Basic base64(user:token)``; 401 without them, 403 when they do not match.

Also decorates methods of class-based views (``def get(self, request, …)``). A class-based
view that takes POSTs is exempted from CSRF on its ``dispatch`` as usual.
"""

import binascii
from base64 import b64decode
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from djtoken.tokenapi.http import JsonResponseBadRequest, JsonResponseForbidden, JsonResponseUnauthorized

__all__ = ["token_required"]


def _request_of(args: tuple[Any, ...]) -> HttpRequest:
    for arg in args[:2]:
        if isinstance(arg, HttpRequest):
            return arg
    raise TypeError("token_required: the view received no HttpRequest")


def token_required(view_func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let the view run only for a valid user and token pair; ``request.user`` is that user."""

    @csrf_exempt
    @wraps(view_func)
    def _wrapped_view(*args: Any, **kwargs: Any) -> HttpResponse:
        request = _request_of(args)
        basic_auth = request.META.get("HTTP_AUTHORIZATION")

        user = request.POST.get("user", request.GET.get("user"))
        token = request.POST.get("token", request.GET.get("token"))

        if not (user and token) and basic_auth:
            try:
                auth_method, auth_string = basic_auth.split(" ", 1)
            except ValueError:
                return JsonResponseBadRequest("Invalid Authorization header format.")

            if auth_method.lower() == "basic":
                try:
                    auth_string = b64decode(auth_string.strip())
                    user, token = auth_string.decode().split(":", 1)
                except (binascii.Error, ValueError):
                    return JsonResponseBadRequest("Invalid Basic auth encoding.")

        if not (user and token):
            return JsonResponseUnauthorized("Must include 'user' and 'token' parameters with request.")

        user = authenticate(pk=user, token=token)
        if user:
            request.user = user
            return view_func(*args, **kwargs)

        return JsonResponseForbidden("Incorrect user and token pair.")

    return _wrapped_view
