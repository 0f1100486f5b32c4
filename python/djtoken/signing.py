"""``django.core.signing``, with the signatures made and checked in Rust.

The same API and exceptions as Django's module, for a service beside a Django site that has no
Django installed (give ``key``), or inside a Django project (``key``, ``SECRET_KEY_FALLBACKS``
and the version's rules come from its settings)::

    >>> from djtoken import signing
    >>> value = signing.dumps({"user": 42}, key="test-secret", salt="my.salt")
    >>> signing.loads(value, key="test-secret", salt="my.salt")
    {'user': 42}

Without Django the rules are those of the latest Django djtoken speaks (fallback keys are
read, sha256 only). Objects are serialised by the serializer, Django's ``JSONSerializer`` by
default, so the JSON is exactly Python's; only the signing, base64 and zlib are in Rust.
"""

from __future__ import annotations

import datetime
import functools
import json
import time
from typing import Any, Optional, Union

from . import _djtoken as _native

BadSignature = _native.BadSignature
SignatureExpired = _native.SignatureExpired

__all__ = [
    "BadSignature",
    "JSONSerializer",
    "SignatureExpired",
    "Signer",
    "TimestampSigner",
    "b62_decode",
    "b62_encode",
    "dumps",
    "loads",
]

BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
Key = Union[str, bytes]


def b62_encode(s: int) -> str:
    """Django's ``b62_encode``."""
    if s == 0:
        return "0"
    sign = "-" if s < 0 else ""
    s = abs(s)
    encoded = ""
    while s > 0:
        s, remainder = divmod(s, 62)
        encoded = BASE62_ALPHABET[remainder] + encoded
    return sign + encoded


def b62_decode(s: str) -> int:
    """Django's ``b62_decode`` (``ValueError`` for a character outside the alphabet)."""
    if s == "0":
        return 0
    sign = 1
    if s[0] == "-":
        s = s[1:]
        sign = -1
    decoded = 0
    for digit in s:
        decoded = decoded * 62 + BASE62_ALPHABET.index(digit)
    return sign * decoded


class JSONSerializer:
    """Django's: compact JSON, ASCII only, as latin-1 bytes."""

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode("latin-1")

    def loads(self, data: bytes) -> Any:
        return json.loads(data.decode("latin-1"))


_SETTINGS: list = []  # django.conf.settings once configured (or None without Django)


def _django_settings():
    """Django's settings when Django is installed and configured, else ``None``."""
    if _SETTINGS:
        return _SETTINGS[0]
    try:
        from django.conf import settings
    except ImportError:
        _SETTINGS.append(None)
        return None
    if not settings.configured:
        return None  # not remembered: the project may configure them later
    _SETTINGS.append(settings)
    return settings


@functools.cache
def _django_version() -> str:
    """The installed Django's series (it cannot change in a process), else the latest."""
    try:
        import django
    except ImportError:
        return _native.LATEST_DJANGO_VERSION
    series = "%d.%d" % django.VERSION[:2]
    return series if series in _native.django_versions() else _native.LATEST_DJANGO_VERSION


@functools.lru_cache(maxsize=256)
def _native_signer(key, fallback_keys, version, salt, sep, algorithm, sha1_mode, timestamped):
    # A signer derives one HMAC key per secret; the same arguments give the same signer.
    return _native.Signer(key, fallback_keys, version, salt, sep, algorithm, sha1_mode, timestamped)


class Signer:
    """``django.core.signing.Signer`` (keyword arguments, as Django 5.1+ requires)."""

    _timestamped = False

    def __init__(
        self,
        *,
        key: Optional[Key] = None,
        sep: str = ":",
        salt: Optional[str] = None,
        algorithm: Optional[str] = None,
        fallback_keys: Optional[list] = None,
    ) -> None:
        settings = _wrapped_settings()
        key, fallback_keys = _keys(settings, key, fallback_keys)
        version = _django_version()
        # Django 3.2's transitional DEFAULT_HASHING_ALGORITHM = "sha1".
        sha1_mode = version == "3.2" and getattr(settings, "DEFAULT_HASHING_ALGORITHM", "sha256") == "sha1"
        self.key = key
        self.fallback_keys = list(fallback_keys)
        self.sep = sep
        self.salt = salt or self._default_salt()
        self.algorithm = algorithm or ("sha1" if sha1_mode else "sha256")
        self._native = _native_signer(
            key, tuple(fallback_keys), version, self.salt, sep, algorithm, sha1_mode, self._timestamped
        )

    def _default_salt(self) -> str:
        # Django's default is the class path; djtoken's own classes stand in for Django's.
        cls = type(self)
        if cls in (Signer, TimestampSigner):
            return "django.core.signing.%s" % cls.__name__
        return "%s.%s" % (cls.__module__, cls.__name__)

    def sign(self, value: Any) -> str:
        return self._native.sign("%s" % (value,), int(time.time()))

    def unsign(self, value: str) -> str:
        return self._native.unsign(value, None, time.time())

    def sign_object(self, obj: Any, serializer: type = JSONSerializer, compress: bool = False) -> str:
        return self._native.sign_payload(serializer().dumps(obj), compress, int(time.time()))

    def unsign_object(self, signed_obj: str, serializer: type = JSONSerializer, **kwargs: Any) -> Any:
        max_age = _seconds(kwargs.get("max_age"))
        return serializer().loads(self._native.unsign_payload(signed_obj, max_age, time.time()))


class TimestampSigner(Signer):
    """``django.core.signing.TimestampSigner``."""

    _timestamped = True

    def timestamp(self) -> str:
        return b62_encode(int(time.time()))

    def unsign(self, value: str, max_age: Union[None, int, float, datetime.timedelta] = None) -> str:
        return self._native.unsign(value, _seconds(max_age), time.time())


def _seconds(max_age: Union[None, int, float, datetime.timedelta]) -> Optional[float]:
    if isinstance(max_age, datetime.timedelta):
        return max_age.total_seconds()
    return None if max_age is None else float(max_age)


def dumps(
    obj: Any,
    key: Optional[Key] = None,
    salt: str = "django.core.signing",
    serializer: type = JSONSerializer,
    compress: bool = False,
) -> str:
    """``django.core.signing.dumps``."""
    return TimestampSigner(key=key, salt=salt).sign_object(obj, serializer=serializer, compress=compress)


def loads(
    s: str,
    key: Optional[Key] = None,
    salt: str = "django.core.signing",
    serializer: type = JSONSerializer,
    max_age: Union[None, int, float, datetime.timedelta] = None,
    fallback_keys: Optional[list] = None,
) -> Any:
    """``django.core.signing.loads``."""
    if serializer is not JSONSerializer:
        signer = TimestampSigner(key=key, salt=salt, fallback_keys=fallback_keys)
        return signer.unsign_object(s, serializer=serializer, max_age=max_age)
    # Django's own serializer: the JSON is read in Rust too, unless only Python reads it.
    settings = _wrapped_settings()
    key, fallback_keys = _keys(settings, key, fallback_keys)
    # Django 3.2's DEFAULT_HASHING_ALGORITHM (read only there: a missing setting is slow to miss).
    version = _django_version()
    sha1_mode = version == "3.2" and getattr(settings, "DEFAULT_HASHING_ALGORITHM", "sha256") == "sha1"
    wanted = (key, tuple(fallback_keys), salt, sha1_mode)
    native = _LOADERS.get(wanted)
    if native is None:
        native = _native_signer(key, wanted[1], version, salt, ":", None, sha1_mode, True)
        if len(_LOADERS) >= 256:
            _LOADERS.clear()
        _LOADERS[wanted] = native
    value, raw = native.unsign_json(s, None if max_age is None else _seconds(max_age), time.time())
    return value if raw is None else json.loads(raw.decode("latin-1"))


#: loads' signers, by key, fallback keys, salt and sha1 mode.
_LOADERS: dict = {}


def _keys(settings, key, fallback_keys):
    """The key and fallback keys given, else the project's ``SECRET_KEY`` and
    ``SECRET_KEY_FALLBACKS``."""
    if key is None:
        if settings is None:
            raise ValueError("no key: pass key=..., or use djtoken.signing inside a configured Django project")
        key = settings.SECRET_KEY
    if fallback_keys is None:
        fallback_keys = getattr(settings, "SECRET_KEY_FALLBACKS", None) or ()
    return key, fallback_keys


def _wrapped_settings():
    """The object behind Django's lazy settings (``override_settings`` swaps it), without the
    cost of ``LazyObject``'s attribute hook on every read; ``None`` without Django."""
    settings = _django_settings()
    return None if settings is None else object.__getattribute__(settings, "_wrapped")
