"""tokenapi's token generator: ``int_to_base36(days) + "-" + salted_hmac(…).hexdigest()[::2]``
over ``str(pk) + password + str(days)``, days counted in ``TIME_ZONE`` from 2001-01-01.

Reads ``SECRET_KEY``, ``SECRET_KEY_FALLBACKS`` and ``TOKEN_TIMEOUT_DAYS`` at every call, as
tokenapi reads its settings (``override_settings``, assignment and ``del`` take effect at
once), each for the cost of a dict lookup, and keeps the native generator while they are the
same objects; ``_today()`` and ``_num_days()`` are tokenapi's, so code that patches them keeps
working.
"""

from datetime import date
from typing import Any

from djtoken import _djtoken as _native
from djtoken import _project  # noqa: F401  (the settings the native calls read)

__all__ = ["PasswordResetTokenGenerator", "token_generator"]


class PasswordResetTokenGenerator(_native.TokenapiDropIn):
    """Same name and methods as tokenapi's class (it kept the name of Django's).

    ``make_token`` and ``check_token`` are one native call each (the settings read, today's
    date counted and the token made or checked in Rust) while ``_today``, ``_num_days`` and
    ``_make_token_with_timestamp`` are this class's own. Replace any of them (on the class, a
    subclass or an instance) and they call ``_make_token`` and ``_check_token`` below, which
    call what replaced them, as tokenapi does.
    """

    def _make_token(self, user: Any) -> str:
        return self._make_token_with_timestamp(user, self._num_days(self._today()))

    def _make_token_with_timestamp(self, user: Any, timestamp: int) -> str:
        return _native.tokenapi_generator().make(str(user.pk), user.password, timestamp)

    def _check_token(self, user: Any, token: object) -> bool:
        if user is None or not isinstance(token, str):
            return False
        today = self._num_days(self._today())
        return _native.tokenapi_generator().check(str(user.pk), user.password, token, today) == "valid"

    def _num_days(self, dt: date) -> int:
        return (dt - date(2001, 1, 1)).days

    def _today(self) -> date:
        return date.today()


_native.tokenapi_drop_in(PasswordResetTokenGenerator)
token_generator = PasswordResetTokenGenerator()
