"""``django.core.signing``, with the signatures made and checked in Rust.

The same API and exceptions as Django's module, for a service beside a Django site that has no
Django installed (give ``key``), or inside a Django project (``key``, ``SECRET_KEY_FALLBACKS``
and the version's rules come from its settings)::

    >>> from djtoken import signing
    >>> value = signing.dumps({"user": 42}, key="test-secret", salt="my.salt")
    >>> signing.loads(value, key="test-secret", salt="my.salt")
    {'user': 42}

With Django installed, ``BadSignature``, ``SignatureExpired`` and ``InvalidAlgorithm`` are
Django's own classes (``except django.core.signing.BadSignature`` catches djtoken's), and the
API follows the installed release: positional arguments to ``Signer`` where it takes them
(with its deprecation warning on 4.2 and 5.0), ``base64_hmac``'s default algorithm and 6.1's
warning about it, 3.2's ``DEFAULT_HASHING_ALGORITHM``. Without Django the rules are those of
the latest Django djtoken speaks. Objects are serialised by the serializer, Django's
``JSONSerializer`` by default, so the JSON is exactly Python's; the signing, base64 and zlib
are in Rust, and so is reading JSON for ``loads`` where Python's ``json`` would read the same.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import time
import warnings
from collections.abc import Iterable
from typing import Any, Optional, Union

from . import _djtoken as _native
from ._project import setting

try:  # Django's classes inside a project, so that its handlers catch djtoken's refusals.
    from django.core.signing import BadSignature, SignatureExpired
except ImportError:
    BadSignature = _native.BadSignature
    SignatureExpired = _native.SignatureExpired
else:
    _native.use_exceptions(BadSignature, SignatureExpired)

try:
    from django.utils.crypto import InvalidAlgorithm
except ImportError:

    class InvalidAlgorithm(ValueError):  # type: ignore[no-redef]  # Django absent
        """Algorithm is not supported by hashlib (``django.utils.crypto.InvalidAlgorithm``)."""


__all__ = [
    "BadSignature",
    "InvalidAlgorithm",
    "JSONSerializer",
    "SignatureExpired",
    "Signer",
    "TimestampSigner",
    "b62_decode",
    "b62_encode",
    "b64_decode",
    "b64_encode",
    "base64_hmac",
    "dumps",
    "get_cookie_signer",
    "loads",
]

BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
Key = Union[str, bytes]
_SEP_UNSAFE = re.compile(r"^[A-z0-9-_=]*$")
_ALGORITHMS = frozenset(_native.SALTED_HMAC_ALGORITHMS)


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


def b64_encode(s: bytes) -> bytes:
    """Django's ``b64_encode``: URL-safe base64 without its padding."""
    return _native.b64_encode(s)


def b64_decode(s: bytes) -> bytes:
    """Django's ``b64_decode``: padded back, read as CPython's ``urlsafe_b64decode`` reads it
    (``binascii.Error`` where it raises)."""
    return _native.b64_decode(s)


def _check_algorithm(algorithm: str) -> None:
    """``InvalidAlgorithm`` where Django's ``salted_hmac`` raises it (``getattr(hashlib,
    algorithm)`` fails); the SHAKEs, which ``hashlib`` has, fail there as they do in Django."""
    if algorithm in _ALGORITHMS:
        return
    if algorithm in ("shake_128", "shake_256"):
        raise TypeError("digest() missing required argument 'length' (pos 1)")
    raise InvalidAlgorithm("%r is not an algorithm accepted by the hashlib module." % algorithm)


def _base64_hmac(salt: Key, value: Key, key: Key, algorithm: str) -> str:
    _check_algorithm(algorithm)
    return _native.b64_encode(_native.salted_hmac_digest(salt, value, key, algorithm)).decode()


_DEFAULT = object()


def base64_hmac(salt: Key, value: Key, key: Key, algorithm: Any = _DEFAULT) -> str:
    """Django's ``base64_hmac``: ``salted_hmac`` in URL-safe base64. Its default algorithm is
    sha1; Django 6.1 warns that the default will change."""
    if algorithm is _DEFAULT or (algorithm is None and _series() >= (6, 1)):
        if _series() >= (6, 1):
            from django.utils.deprecation import RemovedInDjango2028Warning

            warnings.warn(
                "The default argument for algorithm in base64_hmac() will change "
                "from 'sha1' to 'sha256' in Django 2028. Pass an explicit "
                "algorithm to silence this warning.",
                category=RemovedInDjango2028Warning,
                stacklevel=2,
            )
        algorithm = "sha1"
    return _base64_hmac(salt, value, key, algorithm)


class JSONSerializer:
    """Django's: compact JSON, ASCII only, as latin-1 bytes."""

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode("latin-1")

    def loads(self, data: bytes) -> Any:
        return json.loads(data.decode("latin-1"))


_SETTINGS: list[Any] = []  # django.conf.settings once configured (or None without Django)


def _django_settings() -> Any:
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


_native.use_django_version(_django_version())


@functools.cache
def _series() -> tuple[int, ...]:
    return tuple(int(part) for part in _django_version().split("."))


@functools.lru_cache(maxsize=256)
def _native_signer(
    key: Key,
    fallback_keys: tuple[Key, ...],
    version: str,
    salt: str,
    sep: str,
    algorithm: Optional[str],
    sha1_mode: bool,
    timestamped: bool,
) -> _native.Signer:
    # A signer derives one HMAC key per secret; the same arguments give the same signer.
    return _native.Signer(key, fallback_keys, version, salt, sep, algorithm, sha1_mode, timestamped)


def _positional(signer: Signer, args: tuple[Any, ...]) -> dict[str, Any]:
    """Django's handling of positional arguments to ``Signer``: its parameters up to 4.1,
    deprecated with a warning on 4.2 and 5.0, refused from 5.1 (and without Django)."""
    series = _series()
    names = ["key", "sep", "salt", "algorithm", "fallback_keys"]
    if series >= (5, 1):
        raise TypeError(
            "%s.__init__() takes 1 positional argument but %d were given" % (type(signer).__name__, len(args) + 1)
        )
    if series >= (4, 2):
        from django.utils.deprecation import RemovedInDjango51Warning

        warnings.warn(
            "Passing positional arguments to %s is deprecated." % type(signer).__name__,
            RemovedInDjango51Warning,
            stacklevel=3,
        )
        # Django sets an argument only when it is truthy (the separator always).
        return {name: arg for arg, name in zip(args, names, strict=False) if arg or name == "sep"}
    if series < (4, 1):
        names = names[:4]
    if len(args) > len(names):
        raise TypeError(
            "%s.__init__() takes from 1 to %d positional arguments but %d were given"
            % (type(signer).__name__, len(names) + 1, len(args) + 1)
        )
    return dict(zip(names, args, strict=False))


class Signer:
    """``django.core.signing.Signer``."""

    _timestamped = False

    def __init__(
        self,
        *args: Any,
        key: Optional[Key] = None,
        sep: str = ":",
        salt: Optional[str] = None,
        algorithm: Optional[str] = None,
        fallback_keys: Optional[list[Key]] = None,
    ) -> None:
        given: dict[str, Any] = {
            "key": key,
            "sep": sep,
            "salt": salt,
            "algorithm": algorithm,
            "fallback_keys": fallback_keys,
        }
        if args:
            positional = _positional(self, args)
            if _series() >= (4, 2):
                # After the defaults, as Django applies them.
                given.update(positional)
            else:
                duplicated = [name for name in positional if name != "sep" and given[name] is not None]
                if duplicated:
                    raise TypeError(
                        "%s.__init__() got multiple values for argument %r" % (type(self).__name__, duplicated[0])
                    )
                given.update(positional)
        settings = _django_settings()
        key, fallbacks = _keys(settings, given["key"], given["fallback_keys"])
        version = _django_version()
        # Django 3.2's transitional DEFAULT_HASHING_ALGORITHM = "sha1".
        self._sha1_mode = settings is not None and version == "3.2" and setting("DEFAULT_HASHING_ALGORITHM") == "sha1"
        self.key = key
        self.fallback_keys = list(fallbacks)
        self.sep = given["sep"]
        self.salt = given["salt"] or self._default_salt()
        self.algorithm = given["algorithm"] or ("sha1" if self._sha1_mode else "sha256")
        if _SEP_UNSAFE.match(self.sep):
            raise ValueError(
                "Unsafe Signer separator: %r (cannot be empty or consist of only A-z0-9-_=)" % given["sep"]
            )
        self._version = version
        self._explicit_algorithm = given["algorithm"]

    def _default_salt(self) -> str:
        # Django's default is the class path; djtoken's own classes stand in for Django's.
        cls = type(self)
        if cls in (Signer, TimestampSigner):
            return "django.core.signing.%s" % cls.__name__
        return "%s.%s" % (cls.__module__, cls.__name__)

    @property
    def _native(self) -> _native.Signer:
        """The signer in Rust, made at first use: Django checks the algorithm only when it
        signs (``InvalidAlgorithm``)."""
        _check_algorithm(self.algorithm)
        return _native_signer(
            self.key,
            tuple(self.fallback_keys),
            self._version,
            self.salt,
            self.sep,
            self._explicit_algorithm,
            self._sha1_mode,
            self._timestamped,
        )

    def signature(self, value: Any, key: Optional[Key] = None) -> str:
        """``signature(value, key=None)``: ``base64_hmac`` of the value under this signer's salt."""
        return _base64_hmac(self.salt + "signer", value, key or self.key, self.algorithm)

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


def _seconds(max_age: Union[None, int, float, datetime.timedelta]) -> Union[None, int, float]:
    # As Django: a timedelta in seconds; a number as given (its message prints it).
    if isinstance(max_age, datetime.timedelta):
        return max_age.total_seconds()
    return max_age


def get_cookie_signer(salt: str = "django.core.signing.get_cookie_signer") -> Signer:
    """Django's ``get_cookie_signer``: ``SIGNING_BACKEND`` (djtoken's ``TimestampSigner`` for
    Django's default) over ``django.http.cookies`` + ``SECRET_KEY`` (and the fallback keys
    from 4.1)."""
    from django.conf import settings
    from django.utils.encoding import force_bytes
    from django.utils.module_loading import import_string

    backend = settings.SIGNING_BACKEND
    signer = TimestampSigner if backend == "django.core.signing.TimestampSigner" else import_string(backend)

    def cookie_key(key: Key) -> bytes:
        return b"django.http.cookies" + force_bytes(key)

    if _series() < (4, 1):
        return signer(key=cookie_key(settings.SECRET_KEY), salt=salt, fallback_keys=[])
    return signer(
        key=cookie_key(settings.SECRET_KEY),
        fallback_keys=list(map(cookie_key, settings.SECRET_KEY_FALLBACKS)),
        salt=salt,
    )


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
    fallback_keys: Optional[list[Key]] = None,
) -> Any:
    """``django.core.signing.loads``."""
    if serializer is not JSONSerializer:
        signer = TimestampSigner(key=key, salt=salt, fallback_keys=fallback_keys)
        return signer.unsign_object(s, serializer=serializer, max_age=max_age)
    # Django's own serializer: one native call (keys, signer, time and JSON).
    if isinstance(max_age, datetime.timedelta):
        max_age = max_age.total_seconds()
    # Django's TimestampSigner falls back to its class path for an empty salt.
    return _native.loads(s, key, salt or "django.core.signing.TimestampSigner", fallback_keys, max_age)


def _keys(settings: Any, key: Optional[Key], fallback_keys: Optional[Iterable[Key]]) -> tuple[Key, Iterable[Key]]:
    """The key and fallback keys given, else the project's ``SECRET_KEY`` and
    ``SECRET_KEY_FALLBACKS``."""
    if not key:
        if settings is None:
            raise ValueError("no key: pass key=..., or use djtoken.signing inside a configured Django project")
        key = setting("SECRET_KEY")
    if fallback_keys is None:
        fallback_keys = (setting("SECRET_KEY_FALLBACKS", ()) if settings is not None else None) or ()
    return key, fallback_keys
