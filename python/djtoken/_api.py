"""What ``import djtoken`` gives (``djtoken/__init__.py`` loads it, and the extension, at
the first use of one of these names)."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable
from typing import Any, NamedTuple, Optional, Union

from . import _djtoken as _native

__version__: str = _native.__version__
#: The newest Django series djtoken speaks for: the default ``django_version``.
LATEST_DJANGO_VERSION: str = _native.LATEST_DJANGO_VERSION


Text = Union[str, bytes]


class Verdict(enum.Enum):
    """The outcome of a token check."""

    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"
    MALFORMED = "malformed"

    def __bool__(self) -> bool:
        return self is Verdict.VALID


_VERDICTS = {v.value: v for v in Verdict}


class SaltedHmac:
    """What ``salted_hmac`` returns: the ``digest()`` / ``hexdigest()`` of Django's HMAC."""

    __slots__ = ("_digest",)

    def __init__(self, digest: bytes) -> None:
        self._digest = digest

    def digest(self) -> bytes:
        return self._digest

    def hexdigest(self) -> str:
        return self._digest.hex()


def _secret(secret: Optional[Text]) -> Text:
    if secret is not None:
        return secret
    try:
        from django.conf import settings

        return settings.SECRET_KEY
    except Exception as e:  # noqa: BLE001 - no Django, or no settings
        raise TypeError("secret is required outside a configured Django project") from e


def salted_hmac(key_salt: Text, value: Text, secret: Optional[Text] = None, *, algorithm: str = "sha1") -> SaltedHmac:
    """``django.utils.crypto.salted_hmac``: HMAC keyed with ``H(key_salt + secret)``.

    ``algorithm`` is one of ``sha1`` (Django's default), ``sha256``, ``sha512``.
    """
    return SaltedHmac(_native.salted_hmac_digest(key_salt, value, _secret(secret), algorithm))


def int_to_base36(i: int) -> str:
    """``django.utils.http.int_to_base36``."""
    if not isinstance(i, int) or isinstance(i, bool):
        raise TypeError("int_to_base36 takes an int, not %s" % type(i).__name__)
    if i < 0:
        raise ValueError("Negative base36 conversion input.")
    return _native.int_to_base36(i)


def base36_to_int(s: str) -> int:
    """``django.utils.http.base36_to_int``: at most 13 characters, then ``int(s, 36)``."""
    if len(s) > 13:
        raise ValueError("Base36 input too large")
    return int(s, 36)


def _local_now(time_zone: str) -> datetime.datetime:
    if time_zone == "UTC":
        return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    from zoneinfo import ZoneInfo

    return datetime.datetime.now(ZoneInfo(time_zone)).replace(tzinfo=None)


def _email(user: Any) -> str:
    field = user.get_email_field_name() if hasattr(user, "get_email_field_name") else "email"
    return getattr(user, field, "") or ""


class TokenapiTokenGenerator:
    """django-tokenapi's tokens, without Django: days since 2001-01-01 in ``time_zone``,
    HMAC-SHA1 of ``str(pk) + password + str(days)``.

    ``fallbacks`` are accepted on check (tokenapi itself ignores ``SECRET_KEY_FALLBACKS``).
    """

    def __init__(
        self, secret: Text, *, fallbacks: Iterable[Text] = (), timeout_days: int = 7, time_zone: str = "UTC"
    ) -> None:
        self.time_zone = time_zone
        self.timeout_days = timeout_days
        self._native = _native.TokenapiGenerator(secret, list(fallbacks), timeout_days)

    def today(self) -> int:
        """Days since 2001-01-01, today in ``time_zone``."""
        return _native.days_since_2001(self.time_zone)

    def make_token_for(self, pk: Any, password: str, days: Optional[int] = None) -> str:
        return self._native.make(str(pk), password, self.today() if days is None else days)

    def make_token(self, user: Any) -> str:
        """A token for ``user`` (anything with ``pk`` and ``password``)."""
        return self.make_token_for(user.pk, user.password)

    def verify(self, user: Any, token: str, *, today: Optional[int] = None) -> Verdict:
        if not isinstance(token, str):
            return Verdict.MALFORMED
        day = self.today() if today is None else today
        return _VERDICTS[self._native.check(str(user.pk), user.password, token, day)]

    def check_token(self, user: Any, token: str) -> bool:
        """tokenapi's ``check_token``."""
        return self.verify(user, token) is Verdict.VALID


class PasswordResetTokenGenerator:
    """Django's ``PasswordResetTokenGenerator``, without Django: seconds since 2001-01-01 in
    ``time_zone``; ``pk``, password hash, ``last_login`` and email in the HMAC."""

    def __init__(
        self,
        secret: Text,
        *,
        fallbacks: Iterable[Text] = (),
        algorithm: str = "sha256",
        key_salt: str = "django.contrib.auth.tokens.PasswordResetTokenGenerator",
        timeout: int = 259200,
        time_zone: str = "UTC",
        legacy_tokens: bool = False,
    ) -> None:
        self.time_zone = time_zone
        self._native = _native.ResetGenerator(secret, list(fallbacks), algorithm, key_salt, timeout, legacy_tokens)

    def now(self) -> datetime.datetime:
        return _local_now(self.time_zone)

    def make_token(self, user: Any, *, timestamp: Optional[int] = None) -> str:
        if timestamp is None:
            timestamp = _native.seconds_since_2001(self.time_zone)
        return self._native.make(str(user.pk), user.password, user.last_login, _email(user), timestamp)

    def verify(self, user: Any, token: str, *, now: Optional[datetime.datetime] = None) -> Verdict:
        if not (user and isinstance(token, str) and token):
            return Verdict.MALFORMED
        verdict = self._native.check(
            str(user.pk), user.password, user.last_login, _email(user), token, now or self.now()
        )
        return _VERDICTS[verdict]

    def check_token(self, user: Any, token: str) -> bool:
        """Django's ``check_token``."""
        return self.verify(user, token) is Verdict.VALID


class PasswordCheck(NamedTuple):
    """Django 5.0's ``verify_password`` pair."""

    is_correct: bool
    must_update: bool

    @property
    def needs_rehash(self) -> bool:
        return self.is_correct and self.must_update

    @property
    def verdict(self) -> str:
        """``match``, ``match-needs-rehash`` or ``mismatch``."""
        if not self.is_correct:
            return "mismatch"
        return "match-needs-rehash" if self.must_update else "match"


class Hashers:
    """``PASSWORD_HASHERS`` of one Django version: class paths or algorithm names, preferred
    first (default: that version's list). Hashing releases the interpreter lock."""

    def __init__(
        self,
        django_version: str = LATEST_DJANGO_VERSION,
        password_hashers: Optional[Iterable[str]] = None,
        *,
        pbkdf2_iterations: Optional[int] = None,
    ) -> None:
        hashers = None if password_hashers is None else list(password_hashers)
        self._native = _native.Hashers(django_version, hashers, pbkdf2_iterations)
        self.django_version: Optional[str] = django_version

    @classmethod
    def _wrap(cls, native: _native.Hashers) -> Hashers:
        hashers = cls.__new__(cls)
        hashers._native = native
        hashers.django_version = None
        return hashers

    @property
    def algorithms(self) -> list[str]:
        return self._native.algorithms()

    def make_password(self, password: Optional[Text], salt: Optional[str] = None, hasher: str = "default") -> str:
        if password is None:
            return "!" + _native_random_suffix()
        if not isinstance(password, (str, bytes)):
            raise TypeError("Password must be a string or bytes, got %s." % type(password).__qualname__)
        return self._native.make_password(password, salt or None, None if hasher == "default" else hasher)

    def check_password(self, password: Optional[Text], encoded: str) -> PasswordCheck:
        if encoded is None:
            raise TypeError("encoded must be a string, not None")
        if password is None:
            if not encoded.startswith("!"):
                self._native.run_fake_runtime()
            return PasswordCheck(False, False)
        return PasswordCheck(*self._native.check_password(password, encoded))

    def identify_hasher(self, encoded: str) -> str:
        return self._native.identify_hasher(encoded)

    def must_update(self, encoded: str) -> bool:
        return self._native.must_update(encoded)

    def safe_summary(self, encoded: str) -> dict[str, str]:
        return dict(self._native.safe_summary(encoded))


def _native_random_suffix() -> str:
    import secrets
    import string

    alphabet = string.ascii_lowercase + string.ascii_uppercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(40))


_HASHERS: dict[tuple[str, Optional[tuple[str, ...]]], Hashers] = {}


def _hashers(django_version: Optional[str], password_hashers: Optional[Iterable[str]]) -> Hashers:
    """The hashers asked for; with neither a version nor a list, the running Django project's
    (its series, its ``PASSWORD_HASHERS`` with their classes' work factors), and outside one
    the latest version's defaults."""
    if django_version is None and password_hashers is None:
        from ._project import project_hashers

        native = project_hashers()
        if native is not None:
            return Hashers._wrap(native)
    key = (django_version or LATEST_DJANGO_VERSION, None if password_hashers is None else tuple(password_hashers))
    hashers = _HASHERS.get(key)
    if hashers is None:
        hashers = _HASHERS[key] = Hashers(*key)
    return hashers


def make_password(
    password: Optional[Text],
    salt: Optional[str] = None,
    hasher: str = "default",
    *,
    django_version: Optional[str] = None,
    password_hashers: Optional[Iterable[str]] = None,
) -> str:
    """``make_password`` as Django ``django_version`` writes it (default: the running
    project's, else the latest)."""
    return _hashers(django_version, password_hashers).make_password(password, salt, hasher)


def check_password(
    password: Optional[Text],
    encoded: str,
    *,
    django_version: Optional[str] = None,
    password_hashers: Optional[Iterable[str]] = None,
) -> PasswordCheck:
    """Whether ``password`` matches ``encoded``, and whether Django ``django_version`` would
    rehash it: inside a Django project, by default its own ``PASSWORD_HASHERS`` and their work
    factors decide, as its ``check_password`` does; elsewhere the latest version's defaults.
    A corrupt hash with a known prefix raises ``ValueError``."""
    return _hashers(django_version, password_hashers).check_password(password, encoded)


def identify_hasher(
    encoded: str, *, django_version: Optional[str] = None, password_hashers: Optional[Iterable[str]] = None
) -> str:
    """The algorithm of ``encoded`` (``ValueError`` if it is not in ``PASSWORD_HASHERS``)."""
    return _hashers(django_version, password_hashers).identify_hasher(encoded)


def is_password_usable(encoded: Optional[str]) -> bool:
    """``is_password_usable``: ``None`` and ``""`` are usable, ``!…`` is not."""
    return encoded is None or not encoded.startswith("!")


def django_versions() -> list[str]:
    """The Django series djtoken speaks for."""
    return _native.django_versions()


def profile(version: str) -> dict[str, Any]:
    """A Django version's hasher defaults: iterations, work factors, ``PASSWORD_HASHERS``."""
    return _native.profile(version)
