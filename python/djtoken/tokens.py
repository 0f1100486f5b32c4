"""A Rust-backed ``PasswordResetTokenGenerator``, usable wherever Django's
``default_token_generator`` is (``PasswordResetView(token_generator=…)``, ``PasswordResetForm.save``,
``PasswordResetConfirmView``).

It subclasses Django's class and reads the same attributes and settings: ``key_salt``,
``algorithm``, ``secret``, ``secret_fallbacks`` (``SECRET_KEY_FALLBACKS``),
``PASSWORD_RESET_TIMEOUT`` and ``_now()`` (so ``TIME_ZONE``). A subclass that overrides
``_make_hash_value`` (an account-activation token, say) keeps working: its value is
computed in Python and only signed in Rust.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

import django
from django.contrib.auth.tokens import PasswordResetTokenGenerator as _DjangoGenerator
from django.utils.http import base36_to_int

from . import _djtoken as _native
from ._project import setting

__all__ = ["PasswordResetTokenGenerator", "default_token_generator"]

_LEGACY = django.VERSION < (4, 0)  # Django 3.2 still accepts 3.0/3.1 tokens
_Key = Union[str, bytes]
_CACHE: dict[tuple[Any, ...], _native.ResetGenerator] = {}


def _native_for(
    secret: _Key, fallbacks: Sequence[_Key], algorithm: str, key_salt: _Key, timeout: int
) -> _native.ResetGenerator:
    key = (secret, tuple(fallbacks), algorithm, key_salt, timeout)
    generator = _CACHE.get(key)
    if generator is None:
        if len(_CACHE) > 64:
            _CACHE.clear()
        generator = _CACHE[key] = _native.ResetGenerator(secret, list(fallbacks), algorithm, key_salt, timeout, _LEGACY)
    return generator


class PasswordResetTokenGenerator(_DjangoGenerator):
    def _algorithm(self) -> str:
        return self.algorithm or "sha256"

    def _fallbacks(self) -> Sequence[_Key]:
        return getattr(self, "secret_fallbacks", None) or []

    def _custom_value(self) -> bool:
        return type(self)._make_hash_value is not PasswordResetTokenGenerator._make_hash_value

    def _generator(
        self, secret: Optional[_Key] = None, fallbacks: Optional[Sequence[_Key]] = None
    ) -> _native.ResetGenerator:
        return _native_for(
            secret or self.secret,
            self._fallbacks() if fallbacks is None else fallbacks,
            self._algorithm(),
            self.key_salt,
            setting("PASSWORD_RESET_TIMEOUT"),
        )

    def make_token(self, user: Any) -> str:
        return self._make_token_with_timestamp(user, self._num_seconds(self._now()))

    def _make_token_with_timestamp(
        self, user: Any, timestamp: int, secret: Optional[_Key] = None, legacy: bool = False
    ) -> str:
        if legacy:
            # Django 3.2's legacy form is only ever checked, never made, by djtoken.
            return super()._make_token_with_timestamp(user, timestamp, legacy=True)
        generator = self._generator(secret, fallbacks=[])
        if self._custom_value():
            return generator.make_with_value(timestamp, self._make_hash_value(user, timestamp))
        email = getattr(user, user.get_email_field_name(), "") or ""
        return generator.make(str(user.pk), user.password, user.last_login, email, timestamp)

    def check_token(self, user: Any, token: object) -> bool:
        if not (user and token) or not isinstance(token, str):
            return False
        if self._custom_value():
            return self._check_custom(user, token)
        email = getattr(user, user.get_email_field_name(), "") or ""
        verdict = self._generator().check(str(user.pk), user.password, user.last_login, email, token, self._now())
        return verdict == "valid"

    def _check_custom(self, user: Any, token: str) -> bool:
        try:
            ts_b36, hash_ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if ts < 0 or ts >= 2**64:
            return False
        from django.utils.http import int_to_base36

        if int_to_base36(ts) != ts_b36:
            return False
        if not self._generator().verifies_value(hash_, self._make_hash_value(user, ts)):
            return False
        return (self._num_seconds(self._now()) - ts) <= setting("PASSWORD_RESET_TIMEOUT")


default_token_generator = PasswordResetTokenGenerator()
