"""tokenapi's token generator: ``int_to_base36(days) + "-" + salted_hmac(…).hexdigest()[::2]``
over ``str(pk) + password + str(days)``, days counted in ``TIME_ZONE`` from 2001-01-01.

Reads ``SECRET_KEY``, ``SECRET_KEY_FALLBACKS`` and ``TOKEN_TIMEOUT_DAYS`` at every call, as
tokenapi reads its settings; ``_today()`` and ``_num_days()`` are tokenapi's, so code that
patches them keeps working.
"""

import functools
from datetime import date

from django.conf import settings

from djtoken import _djtoken as _native

__all__ = ["PasswordResetTokenGenerator", "token_generator"]

_CACHE: dict = {}


def _generator():
    secret = settings.SECRET_KEY
    fallbacks = getattr(settings, "SECRET_KEY_FALLBACKS", ())
    timeout = getattr(settings, "TOKEN_TIMEOUT_DAYS", 7)
    key = (secret, tuple(fallbacks), timeout)
    generator = _CACHE.get(key)
    if generator is None:
        if len(_CACHE) > 64:
            _CACHE.clear()
        generator = _CACHE[key] = _native.TokenapiGenerator(secret, list(fallbacks), timeout)
    return generator


class PasswordResetTokenGenerator:
    """Same name and methods as tokenapi's class (it kept the name of Django's).

    While ``_today`` and ``_num_days`` are this class's own, ``make_token`` and
    ``check_token`` are one native call each (settings, today's date in ``TIME_ZONE``, HMAC);
    a subclass that overrides them, or an instance whose ``_today`` is patched, gets the
    methods below, which call them as tokenapi does.
    """

    def __init__(self):
        if type(self)._today is _today and type(self)._num_days is _num_days:
            # The native path: bound to the settings object, called without a Python frame.
            object.__setattr__(self, "make_token", functools.partial(_native.tokenapi_make_token, settings))
            object.__setattr__(self, "check_token", functools.partial(_native.tokenapi_check_token, settings))

    def __setattr__(self, name, value):
        if name in ("_today", "_num_days"):
            # Patched clock: back to the methods below, which call it.
            self.__dict__.pop("make_token", None)
            self.__dict__.pop("check_token", None)
        object.__setattr__(self, name, value)

    def make_token(self, user):
        return self._make_token_with_timestamp(user, self._num_days(self._today()))

    def _make_token_with_timestamp(self, user, timestamp):
        return _generator().make(str(user.pk), user.password, timestamp)

    def check_token(self, user, token):
        if user is None or not isinstance(token, str):
            return False
        today = self._num_days(self._today())
        return _generator().check(str(user.pk), user.password, token, today) == "valid"

    def _num_days(self, dt):
        return (dt - date(2001, 1, 1)).days

    def _today(self):
        return date.today()


_today = PasswordResetTokenGenerator._today
_num_days = PasswordResetTokenGenerator._num_days
token_generator = PasswordResetTokenGenerator()
