"""tokenapi's token generator: ``int_to_base36(days) + "-" + salted_hmac(…).hexdigest()[::2]``
over ``str(pk) + password + str(days)``, days counted in ``TIME_ZONE`` from 2001-01-01.

Reads ``SECRET_KEY``, ``SECRET_KEY_FALLBACKS`` and ``TOKEN_TIMEOUT_DAYS`` at every call, as
tokenapi reads its settings (``override_settings``, assignment and ``del`` take effect at
once), each for the cost of a dict lookup, and keeps the native generator while they are the
same objects; ``_today()`` and ``_num_days()`` are tokenapi's, so code that patches them keeps
working.
"""

from datetime import date

from djtoken import _djtoken as _native
from djtoken._project import setting

__all__ = ["PasswordResetTokenGenerator", "token_generator"]

_CACHE: dict = {}
#: The last settings read and their generator: (secret, fallbacks, timeout, generator).
_LAST: tuple = (None, (), None, None)


def _generator():
    secret = setting("SECRET_KEY")
    fallbacks = tuple(setting("SECRET_KEY_FALLBACKS", ()))
    timeout = setting("TOKEN_TIMEOUT_DAYS", 7)
    last = _LAST
    if last[0] is secret and last[2] is timeout and last[1] == fallbacks:
        return last[3]
    return _remember(secret, fallbacks, timeout)


def _remember(secret, fallbacks, timeout):
    global _LAST
    key = (secret, fallbacks, timeout)
    generator = _CACHE.get(key)
    if generator is None:
        if len(_CACHE) > 64:
            _CACHE.clear()
        generator = _CACHE[key] = _native.TokenapiGenerator(secret, list(fallbacks), timeout)
    _LAST = (secret, fallbacks, timeout, generator)
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
