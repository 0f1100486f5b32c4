"""The running Django project, as djtoken's functions follow it when called inside one (and
as ``manage.py djtoken_config`` exports it). Nothing here imports Django unless it is
installed and its settings are configured."""

from __future__ import annotations

import json
from typing import Optional

from . import _djtoken as _native

# The work factors of each algorithm, by the hasher class attribute that holds them.
WORK_FACTORS = {
    "pbkdf2_sha256": ("iterations",),
    "pbkdf2_sha1": ("iterations",),
    "argon2": ("time_cost", "memory_cost", "parallelism"),
    "bcrypt_sha256": ("rounds",),
    "bcrypt": ("rounds",),
    "scrypt": ("work_factor", "block_size", "parallelism"),
}


def configured_settings():
    """Django's settings when Django is installed and they are configured, else ``None``."""
    try:
        from django.conf import settings
    except ImportError:
        return None
    return settings if settings.configured else None


def django_series() -> Optional[str]:
    """The installed Django's series, when djtoken speaks it."""
    try:
        import django
    except ImportError:
        return None
    series = "%d.%d" % django.VERSION[:2]
    return series if series in _native.django_versions() else None


def supported_algorithms() -> set:
    return {a for v in _native.django_versions() for a in _native.profile(v)["available"]}


def password_hashers(hashers, paths, problems: Optional[list] = None):
    """``PASSWORD_HASHERS`` as djtoken reads them: the algorithm names, preferred first, and
    the work factors of each class (``PASSWORD_HASHER_PARAMS``), from Django's hasher
    instances (``get_hashers()``) and their class paths. A class djtoken does not implement is
    left out (and reported in ``problems``)."""
    supported = supported_algorithms()
    names, params = [], {}
    for path, hasher in zip(paths, hashers):
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
_PROJECT: list = [None, None]


def project_hashers():
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
