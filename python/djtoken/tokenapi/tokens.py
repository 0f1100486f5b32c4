"""tokenapi's token generator: ``int_to_base36(days) + "-" + salted_hmac(…).hexdigest()[::2]``
over ``str(pk) + password + str(days)``, days counted in ``TIME_ZONE`` from 2001-01-01.

Reads ``SECRET_KEY``, ``SECRET_KEY_FALLBACKS`` and ``TOKEN_TIMEOUT_DAYS`` at every call, as
tokenapi reads its settings; ``_today()`` and ``_num_days()`` are tokenapi's, so code that
patches them keeps working.
"""

from datetime import date

from django.conf import settings

from djtoken import _djtoken as _native

__all__ = ["PasswordResetTokenGenerator", "token_generator"]

_CACHE: dict = {}


_MISSING = object()


def _setting(known, name, default):
    # LazySettings keeps each setting it has read in its __dict__ and drops it when settings
    # change (override_settings, assignment); reading it there skips LazyObject's Python-level
    # __getattribute__. Anything not there is read the ordinary way.
    value = known.get(name, _MISSING)
    return getattr(settings, name, default) if value is _MISSING else value


def _generator():
    known = settings.__dict__
    secret = _setting(known, "SECRET_KEY", None)
    fallbacks = _setting(known, "SECRET_KEY_FALLBACKS", ())
    timeout = _setting(known, "TOKEN_TIMEOUT_DAYS", 7)
    key = (secret, tuple(fallbacks), timeout)
    generator = _CACHE.get(key)
    if generator is None:
        if len(_CACHE) > 64:
            _CACHE.clear()
        generator = _CACHE[key] = _native.TokenapiGenerator(secret, list(fallbacks), timeout)
    return generator


class PasswordResetTokenGenerator:
    """Same name and methods as tokenapi's class (it kept the name of Django's).

    While ``_today``, ``_num_days`` and ``_make_token_with_timestamp`` are this class's own,
    ``make_token`` and ``check_token`` go to the native generator, which counts today's date
    itself. Patch or override any of them (on the class, a subclass or an instance) and the
    methods below call them, as tokenapi does.
    """

    def _native_clock(self):
        cls = type(self)
        return (
            cls._today is _today
            and cls._num_days is _num_days
            and cls._make_token_with_timestamp is _make_token_with_timestamp
            and not self.__dict__
        )

    def make_token(self, user):
        if self._native_clock():
            return _generator().make_token(user)
        return self._make_token_with_timestamp(user, self._num_days(self._today()))

    def _make_token_with_timestamp(self, user, timestamp):
        return _generator().make(str(user.pk), user.password, timestamp)

    def check_token(self, user, token):
        if self._native_clock():
            return _generator().check_token(user, token)
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
_make_token_with_timestamp = PasswordResetTokenGenerator._make_token_with_timestamp
token_generator = PasswordResetTokenGenerator()
