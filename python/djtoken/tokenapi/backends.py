"""tokenapi's ``TokenBackend``: ``authenticate(pk=…, token=…)``.

Where tokenapi lets the lookup raise (an id the pk field refuses: ``"abc"``, ``"1.5"``, more
than 4300 digits, a malformed UUID, a NUL on PostgreSQL), this answers ``None``: no such user.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from djtoken.tokenapi.tokens import token_generator

__all__ = ["TokenBackend"]


class TokenBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None = None, pk: Any = None, token: Any = None) -> Any:
        if pk is None or token is None:
            return None
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(pk=pk)
        except (user_model.DoesNotExist, ValueError, TypeError, OverflowError, ValidationError):
            return None

        # As tokenapi: users with is_active False are refused; models without the field are not.
        is_active = getattr(user, "is_active", None)
        if (is_active or is_active is None) and token_generator.check_token(user, token):
            return user
        return None
