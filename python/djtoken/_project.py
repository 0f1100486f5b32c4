"""The running Django project, as djtoken's functions follow it when called inside one (and
as ``manage.py djtoken_config`` exports it). With Django installed this imports
``django.conf`` (which configures nothing); without it, nothing here is called."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Optional

from . import _djtoken as _native

try:
    from django.conf import settings as _settings
except ImportError:  # djtoken without Django: nothing here is called then
    _settings = None
    _READ: dict[str, Any] = {}
else:
    # LazySettings keeps what it has read, and `_wrapped`, in this dict (the same object for
    # the life of the process): reaching it through the lazy object costs a Python-level
    # __getattribute__ per access.
    _READ = object.__getattribute__(_settings, "__dict__")

# The work factors of each algorithm, by the hasher class attribute that holds them.
WORK_FACTORS = {
    "pbkdf2_sha256": ("iterations",),
    "pbkdf2_sha1": ("iterations",),
    "argon2": ("time_cost", "memory_cost", "parallelism"),
    "bcrypt_sha256": ("rounds",),
    "bcrypt": ("rounds",),
    "scrypt": ("work_factor", "block_size", "parallelism"),
}


#: ``setting(name, default=None)``: ``getattr(settings, name, default)`` without what it costs
#: per call. Django's ``LazySettings`` reaches every setting through Python-level attribute
#: hooks, and answers one the project does not have by raising and catching an
#: ``AttributeError`` (microseconds, at every token check). Here it is a few dict lookups in
#: Rust: what ``LazySettings`` has read (a value found is kept there, as its ``__getattr__``
#: keeps it, and dropped by the same changes: ``override_settings``, assignment, ``del``),
#: else the settings object behind it and its defaults. Before the settings are configured,
#: the ordinary lookup (which configures them).
setting = _native.setting
if _settings is not None:
    _native.use_settings(_READ, _settings)


def configured_settings() -> Any:
    """Django's settings when Django is installed and they are configured, else ``None``."""
    return _settings if _settings is not None and _settings.configured else None


def django_series() -> Optional[str]:
    """The installed Django's series, when djtoken speaks it."""
    try:
        import django
    except ImportError:
        return None
    series = "%d.%d" % django.VERSION[:2]
    return series if series in _native.django_versions() else None


def supported_algorithms() -> set[str]:
    return {a for v in _native.django_versions() for a in _native.profile(v)["available"]}


def password_hashers(
    hashers: Sequence[Any], paths: Sequence[str], problems: Optional[list[str]] = None
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """``PASSWORD_HASHERS`` as djtoken reads them: the algorithm names, preferred first, and
    the work factors of each class (``PASSWORD_HASHER_PARAMS``), from Django's hasher
    instances (``get_hashers()``) and their class paths. A class djtoken does not implement is
    left out (and reported in ``problems``)."""
    supported = supported_algorithms()
    names: list[str] = []
    params: dict[str, dict[str, Any]] = {}
    for path, hasher in zip(paths, hashers, strict=False):
        algorithm = hasher.algorithm
        if algorithm not in supported:
            if problems is not None:
                problems.append("PASSWORD_HASHERS: %s (algorithm %r) is not one djtoken implements" % (path, algorithm))
            continue
        if algorithm in names:
            continue  # Django's get_hasher(algorithm) finds the first one too.
        names.append(algorithm)
        factors = {a: getattr(hasher, a) for a in WORK_FACTORS.get(algorithm, ()) if hasattr(hasher, a)}
        if factors:
            params[algorithm] = factors
    return names, params


#: The project's hashers, with the list get_hashers() returned when they were made: Django
#: caches that list and makes a new one when PASSWORD_HASHERS changes (setting_changed).
_PROJECT: list[Any] = [None, None]


def project_hashers() -> Optional[_native.Hashers]:
    """The native ``Hashers`` of the running project (its Django series, ``PASSWORD_HASHERS``
    and their work factors), or ``None`` outside a configured Django project."""
    settings = configured_settings()
    series = django_series()
    if settings is None or series is None:
        return None
    from django.contrib.auth.hashers import get_hashers

    hashers = get_hashers()
    if _PROJECT[0] is hashers:
        return _PROJECT[1]
    names, params = password_hashers(hashers, settings.PASSWORD_HASHERS)
    native = _native.Hashers(series, names, None, json.dumps(params))
    _PROJECT[:] = [hashers, native]
    return native
