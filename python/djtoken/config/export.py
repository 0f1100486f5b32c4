"""The running project's settings as the text of a ``djtoken.toml``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Optional

from .. import _djtoken as _native
from .._project import password_hashers

_PK_TYPES = {
    "AutoField": "integer",
    "SmallAutoField": "integer",
    "IntegerField": "integer",
    "SmallIntegerField": "integer",
    "PositiveIntegerField": "integer",
    "PositiveSmallIntegerField": "integer",
    "BigAutoField": "biginteger",
    "BigIntegerField": "biginteger",
    "PositiveBigIntegerField": "biginteger",
    "UUIDField": "uuid",
    "CharField": "string",
    "SlugField": "string",
    "EmailField": "string",
    "TextField": "string",
}


@dataclass
class Export:
    """The configuration text, and what djtoken cannot honour."""

    text: str
    problems: list[str] = field(default_factory=list)


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped, every other
    character as it is (JSON's writer escapes a character beyond the BMP as a surrogate pair,
    which TOML refuses). A lone surrogate has no TOML spelling: ``ValueError``."""
    out = ['"']
    for c in text:
        if c in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[c])
        elif c < " " or c == "\x7f":
            out.append("\\u%04x" % ord(c))
        elif "\ud800" <= c <= "\udfff":
            raise ValueError("%r holds a lone surrogate, which TOML cannot hold" % text)
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _q(value: Any) -> str:
    """A TOML value: a string, a boolean, a number, or an array of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # 1.0, 1e-05, inf, nan: each TOML's spelling too
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_q(v) for v in value) + "]"
    raise TypeError("no TOML spelling for %r" % (value,))


def write_private(path: str, text: str, force: bool = False) -> None:
    """Write ``text`` to ``path`` readable by its owner only."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


_PASSWORD_LEFT_OUT = (
    "the database password is not written (it is a secret): rerun with --database-password-file "
    "PATH to write it to a file only its owner can read, or set DJTOKEN_DATABASE_PASSWORD_FILE "
    "(or DJTOKEN_DATABASE, the full %s://user:password@host:port/name URL) where djtoken runs"
)
_CACHE_PASSWORD_LEFT_OUT = (
    "the session cache's password is not written (it is a secret): rerun with "
    "--cache-password-file PATH to write it to a file only its owner can read, or set "
    "DJTOKEN_SESSION_CACHE_PASSWORD_FILE where djtoken runs"
)


def database_password(settings: Any = None) -> str:
    """The default database's password (what ``--database-password-file`` writes)."""
    if settings is None:
        from django.conf import settings as project

        settings = project
    return str(settings.DATABASES["default"].get("PASSWORD") or "")


def _split_password(location: str) -> tuple[str, str]:
    """A Redis LOCATION without its password, and the password (percent-decoded)."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(location)
    if parts.password is None:
        return location, ""
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    netloc = ("%s@" % user if user else "") + host
    return urlunsplit(parts._replace(netloc=netloc)), unquote(parts.password)


def _cache_locations(cache: dict[str, Any]) -> list[str]:
    location = cache.get("LOCATION", "")
    if isinstance(location, str):
        location = [part for part in location.replace(";", ",").split(",") if part.strip()]
    return [part.strip() for part in location]


def cache_password(settings: Any = None) -> str:
    """The session cache's password, from its LOCATION or OPTIONS (what
    ``--cache-password-file`` writes); empty when it has none."""
    if settings is None:
        from django.conf import settings as project

        settings = project
    cache = settings.CACHES.get(getattr(settings, "SESSION_CACHE_ALIAS", "default")) or {}
    options = cache.get("OPTIONS") or {}
    for location in _cache_locations(cache):
        password = _split_password(location)[1]
        if password:
            return password
    return str(options.get("PASSWORD") or options.get("password") or "")


def _database_url(db: dict[str, Any], problems: list[str], password_in_file: bool = False) -> Optional[str]:
    from urllib.parse import quote

    engine = db.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        name = str(db.get("NAME", ""))
        if not name or name == ":memory:" or name.startswith("file:"):
            problems.append("the default database is an in-memory SQLite database, which djtoken cannot share")
            return None
        return "sqlite:" + os.path.abspath(name)
    if engine.endswith(("postgresql", "postgis", "postgresql_psycopg2")):
        user = quote(str(db.get("USER") or ""), safe="")
        host = str(db.get("HOST") or "")
        port = str(db.get("PORT") or "")
        if db.get("PASSWORD") and not password_in_file:
            problems.append(_PASSWORD_LEFT_OUT % "postgres")
        if host.startswith("/"):
            authority = "%s@" % user if user else ""
            query = "?host=" + quote(host, safe="/")
            host = ""
        else:
            authority = ("%s@" % user if user else "") + host + (":%s" % port if port else "")
            query = ""
        options = db.get("OPTIONS") or {}
        if options:
            problems.append(
                "the database OPTIONS %s are not carried over: add them to DATABASE_URL as "
                "?key=value where djtoken understands them" % sorted(options)
            )
        return "postgres://%s/%s%s" % (authority, quote(str(db.get("NAME", "")), safe=""), query)
    if engine.endswith("mysql"):
        return _mysql_url(db, problems, password_in_file)
    else:
        problems.append("the default database engine %s is not one djtoken speaks" % engine)
    return None


def _mysql_url(db: dict[str, Any], problems: list[str], password_in_file: bool = False) -> str:
    """mysql://user@host:port/name as dj-database-url writes it; a socket (a HOST that is a
    path, or OPTIONS unix_socket) as the percent-encoded host."""
    from urllib.parse import quote

    user = quote(str(db.get("USER") or ""), safe="")
    host = str(db.get("HOST") or "")
    port = str(db.get("PORT") or "")
    if db.get("PASSWORD") and not password_in_file:
        problems.append(_PASSWORD_LEFT_OUT % "mysql")
    options = dict(db.get("OPTIONS") or {})
    socket = options.pop("unix_socket", None) or (host if host.startswith("/") else None)
    charset = options.pop("charset", None)
    if charset and not str(charset).startswith("utf8"):
        problems.append("the database charset %r is not carried over: djtoken speaks utf8mb4" % charset)
    if options:
        problems.append(
            "the database OPTIONS %s are not carried over: add them to DATABASE_URL as "
            "?key=value where djtoken understands them" % sorted(options)
        )
    if socket:
        where = quote(str(socket), safe="")
    else:
        # mysqlclient reads an empty HOST or "localhost" as the server's default socket;
        # djtoken connects over TCP to localhost there.
        where = (host or "localhost") + (":%s" % port if port else "")
    return "mysql://%s%s/%s" % ("%s@" % user if user else "", where, quote(str(db.get("NAME", "")), safe=""))


def _hashers(settings: Any, problems: list[str]) -> tuple[list[str], dict[str, dict[str, Any]]]:
    from django.contrib.auth.hashers import get_hashers

    return password_hashers(get_hashers(), settings.PASSWORD_HASHERS, problems)


def _user_model(problems: list[str]) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.core.exceptions import FieldDoesNotExist

    model = get_user_model()
    meta = model._meta

    def column(name: str) -> Optional[str]:
        try:
            f = meta.get_field(name)
        except FieldDoesNotExist:
            return None
        return f.column if getattr(f, "concrete", False) else None

    pk = meta.pk
    pk_type = _PK_TYPES.get(pk.get_internal_type())
    if pk_type is None:
        problems.append("the user model's pk is a %s, which djtoken cannot read" % pk.get_internal_type())
        pk_type = "string"
    email_field = model.get_email_field_name() if hasattr(model, "get_email_field_name") else "email"
    mapping = {
        "TABLE": meta.db_table,
        "PK_COLUMN": pk.column,
        "PK_TYPE": pk_type,
        "USERNAME_FIELD": column(model.USERNAME_FIELD),
        "EMAIL_FIELD": column(email_field) or "none",
        "PASSWORD_COLUMN": column("password"),
        "LAST_LOGIN_COLUMN": column("last_login") or "none",
        "IS_ACTIVE_COLUMN": column("is_active") or "none",
    }
    for key in ("USERNAME_FIELD", "PASSWORD_COLUMN"):
        if mapping[key] is None:
            problems.append("the user model %s has no %s column" % (meta.label, key))
            mapping[key] = "none"
    return mapping


_AXES_DATABASE_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# axes settings djtoken does not apply: set to anything but their defaults, they are reported.
_AXES_UNHONOURED = {
    "AXES_USE_ATTEMPT_EXPIRATION": False,
    "AXES_USERNAME_CALLABLE": None,
    "AXES_CLIENT_IP_CALLABLE": None,
    "AXES_WHITELIST_CALLABLE": None,
    "AXES_LOCKOUT_CALLABLE": None,
    "AXES_NEVER_LOCKOUT_WHITELIST": False,
    "AXES_NEVER_LOCKOUT_GET": False,
    "AXES_ONLY_WHITELIST": False,
    "AXES_IP_WHITELIST": None,
    "AXES_IP_BLACKLIST": None,
}


def _axes(problems: list[str]) -> list[str]:
    """django-axes' lockout settings, when the project uses axes: djtoken reads its
    ``axes_accessattempt`` rows and refuses the logins axes would refuse."""
    from django.apps import apps

    if not apps.is_installed("axes"):
        return []
    from axes.conf import settings as axes

    enabled = axes.AXES_ENABLED is True and axes.AXES_HANDLER == _AXES_DATABASE_HANDLER
    if axes.AXES_HANDLER != _AXES_DATABASE_HANDLER:
        problems.append("AXES_HANDLER %s: djtoken reads the database handler's tables only" % axes.AXES_HANDLER)
    if axes.AXES_ONLY_ADMIN_SITE:
        # axes then never locks a login outside the admin site, and djtoken's are outside it.
        enabled = False
    lines = ["AXES_ENABLED = %s" % ("true" if enabled else "false")]
    if isinstance(axes.AXES_FAILURE_LIMIT, int):
        lines.append("AXES_FAILURE_LIMIT = %d" % axes.AXES_FAILURE_LIMIT)
    else:
        problems.append("AXES_FAILURE_LIMIT is a callable; djtoken uses 3")
    lines.append("AXES_LOCK_OUT_AT_FAILURE = %s" % ("true" if axes.AXES_LOCK_OUT_AT_FAILURE else "false"))
    cool_off = axes.AXES_COOLOFF_TIME
    if isinstance(cool_off, (int, float)) and not isinstance(cool_off, bool):
        lines.append("AXES_COOLOFF_TIME = %r" % float(cool_off))
    elif hasattr(cool_off, "total_seconds"):
        lines.append("AXES_COOLOFF_TIME = %r  # hours" % (cool_off.total_seconds() / 3600))
    elif cool_off is not None:
        problems.append("AXES_COOLOFF_TIME is a callable: failures are written as never expiring")
    parameters = axes.AXES_LOCKOUT_PARAMETERS
    if isinstance(parameters, (list, tuple)):
        lines.append("AXES_LOCKOUT_PARAMETERS = %s" % _q([p if isinstance(p, str) else list(p) for p in parameters]))
    else:
        problems.append('AXES_LOCKOUT_PARAMETERS is a callable; djtoken uses ["ip_address"]')
    for name, default in _AXES_UNHONOURED.items():
        if getattr(axes, name, default) not in (default, None, [], ()):
            problems.append("%s is set: djtoken does not apply it" % name)
    return lines


_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
    "django.contrib.sessions.backends.file",
    "django.contrib.sessions.backends.signed_cookies",
)
_DJANGO_REDIS = "django_redis.cache.RedisCache"
_DJANGO_REDIS_DEFAULTS = {
    "CLIENT_CLASS": "django_redis.client.DefaultClient",
    "SERIALIZER": "django_redis.serializers.pickle.PickleSerializer",
    "COMPRESSOR": "django_redis.compressors.identity.IdentityCompressor",
}


def _cache_url(alias: str, settings: Any, problems: list[str], password_file: Optional[str] = None) -> Optional[str]:
    """``CACHES[alias]`` as a ``SESSION_CACHE_URL`` without its password (a secret, reported
    unless ``password_file`` will hold it), or None (with the reason) when djtoken cannot
    read that cache."""
    import pickle
    from urllib.parse import quote

    cache = settings.CACHES.get(alias)
    if cache is None:
        problems.append("SESSION_CACHE_ALIAS %r is not in CACHES" % alias)
        return None
    backend = cache.get("BACKEND", "")
    options = cache.get("OPTIONS") or {}
    if backend == "django.core.cache.backends.redis.RedisCache":
        client, protocol = "django", pickle.HIGHEST_PROTOCOL
    elif backend == _DJANGO_REDIS:
        client = "django-redis"
        for option, default in _DJANGO_REDIS_DEFAULTS.items():
            if options.get(option, default) != default:
                what = "CACHES[%r] OPTIONS %s %s" % (alias, option, options[option])
                problems.append(what + ": djtoken reads django-redis' defaults only")
                return None
        protocol = options.get("PICKLE_VERSION", pickle.DEFAULT_PROTOCOL)
        if protocol == -1:
            protocol = pickle.HIGHEST_PROTOCOL
    else:
        problems.append("CACHES[%r] is %s: djtoken reads sessions from Redis caches only" % (alias, backend))
        return None
    if cache.get("KEY_FUNCTION"):
        problems.append("CACHES[%r] KEY_FUNCTION: djtoken builds keys as Django's default_key_func" % alias)
        return None
    split = [_split_password(part) for part in _cache_locations(cache)]
    if not split:
        problems.append("CACHES[%r] has no LOCATION" % alias)
        return None
    location = [part for part, _ in split]
    passwords = {p for _, p in split if p} | {str(options[k]) for k in ("PASSWORD", "password") if options.get(k)}
    if len(passwords) > 1:
        problems.append("CACHES[%r] has a password per location: djtoken takes one for all" % alias)
    if passwords and not password_file:
        problems.append(_CACHE_PASSWORD_LEFT_OUT)
    prefix = quote(cache.get("KEY_PREFIX", ""), safe="")
    query = "key_prefix=%s&version=%d&client=%s" % (prefix, int(cache.get("VERSION", 1)), client)
    if protocol in (4, 5):
        query += "&pickle_protocol=%d" % protocol
    first = location[0] + ("&" if "?" in location[0] else "?") + query
    return ",".join([first] + location[1:])


def _sessions(settings: Any, problems: list[str], cache_password_file: Optional[str] = None) -> list[str]:
    """SESSION_* and AUTHENTICATION_BACKENDS."""
    from importlib import import_module

    lines = ["AUTHENTICATION_BACKENDS = %s" % _q(list(settings.AUTHENTICATION_BACKENDS))]
    try:
        store = import_module(settings.SESSION_ENGINE).SessionStore
    except Exception as e:  # noqa: BLE001 - any import failure is reported, not raised
        problems.append("SESSION_ENGINE %s cannot be imported: %s" % (settings.SESSION_ENGINE, e))
        return lines
    # A project engine is read as the built-in engine its store class extends.
    bases = [c.__module__ for c in store.__mro__ if c.__module__ in _ENGINES and c.__name__ == "SessionStore"]
    base = bases[0] if bases else None
    if base is None:
        problems.append("SESSION_ENGINE %s does not extend one of Django's engines" % settings.SESSION_ENGINE)
        return lines
    if base != settings.SESSION_ENGINE:
        lines.append("# SESSION_ENGINE %s, read as the engine it extends" % settings.SESSION_ENGINE)
    lines.append("SESSION_ENGINE = %s" % _q(base))
    try:
        key_salt = store().key_salt  # a project's store may override the property
    except Exception:  # noqa: BLE001 - then Django's own rule
        key_salt = "django.contrib.sessions." + store.__qualname__
    lines.append("SESSION_KEY_SALT = %s" % _q(key_salt))
    serializer = settings.SESSION_SERIALIZER
    if not isinstance(serializer, str):
        serializer = "%s.%s" % (serializer.__module__, serializer.__qualname__)
    lines.append("SESSION_SERIALIZER = %s" % _q(serializer))
    if serializer.endswith("PickleSerializer"):
        problems.append("SESSION_SERIALIZER %s: djtoken reads JSON sessions only" % serializer)
    lines.append("SESSION_COOKIE_NAME = %s" % _q(settings.SESSION_COOKIE_NAME))
    lines.append("SESSION_COOKIE_AGE = %d" % int(settings.SESSION_COOKIE_AGE))
    if settings.SESSION_COOKIE_DOMAIN:
        lines.append("SESSION_COOKIE_DOMAIN = %s" % _q(settings.SESSION_COOKIE_DOMAIN))
    lines.append("SESSION_COOKIE_PATH = %s" % _q(settings.SESSION_COOKIE_PATH))
    for name in ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_EXPIRE_AT_BROWSER_CLOSE"):
        lines.append("%s = %s" % (name, "true" if getattr(settings, name) else "false"))
    lines.append("SESSION_COOKIE_SAMESITE = %s" % _q(settings.SESSION_COOKIE_SAMESITE or ""))
    if base.endswith(("cache", "cached_db")):
        url = _cache_url(settings.SESSION_CACHE_ALIAS, settings, problems, cache_password_file)
        if url:
            lines.append("SESSION_CACHE_URL = %s" % _q(url))
            if cache_password_file:
                lines.append("SESSION_CACHE_PASSWORD_FILE = %s" % _q(cache_password_file))
    elif getattr(settings, "SESSION_CACHE_ALIAS", "default") in getattr(settings, "CACHES", {}):
        url = _cache_url(settings.SESSION_CACHE_ALIAS, settings, [])
        if url:
            lines.append("# The session cache, for a switch to the cache engines:")
            lines.append("# SESSION_CACHE_URL = %s" % _q(url))
    if base.endswith("file") and settings.SESSION_FILE_PATH:
        lines.append("SESSION_FILE_PATH = %s" % _q(str(settings.SESSION_FILE_PATH)))
    return lines


def _csrf(settings: Any) -> list[str]:
    """The CSRF_* settings CsrfViewMiddleware reads, and how the request's host is read."""
    proxy_ssl = settings.SECURE_PROXY_SSL_HEADER
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # what get_host() allows then
    lines = [
        "ALLOWED_HOSTS = %s" % _q(allowed),
        "USE_X_FORWARDED_HOST = %s" % ("true" if settings.USE_X_FORWARDED_HOST else "false"),
        "USE_X_FORWARDED_PORT = %s" % ("true" if settings.USE_X_FORWARDED_PORT else "false"),
    ]
    if proxy_ssl:
        lines.append("SECURE_PROXY_SSL_HEADER = %s" % _q(list(proxy_ssl)))
    lines += [
        "CSRF_COOKIE_NAME = %s" % _q(settings.CSRF_COOKIE_NAME),
        "CSRF_HEADER_NAME = %s" % _q(settings.CSRF_HEADER_NAME),
        "CSRF_TRUSTED_ORIGINS = %s" % _q(list(settings.CSRF_TRUSTED_ORIGINS)),
        "CSRF_USE_SESSIONS = %s" % ("true" if settings.CSRF_USE_SESSIONS else "false"),
    ]
    if settings.CSRF_COOKIE_DOMAIN:
        lines.append("CSRF_COOKIE_DOMAIN = %s" % _q(settings.CSRF_COOKIE_DOMAIN))
    if getattr(settings, "CSRF_COOKIE_MASKED", False):
        lines.append("CSRF_COOKIE_MASKED = true")
    age = settings.CSRF_COOKIE_AGE
    lines += [
        "CSRF_COOKIE_AGE = %s" % ("false" if age is None else "%d" % int(age)),
        "CSRF_COOKIE_PATH = %s" % _q(settings.CSRF_COOKIE_PATH),
        "CSRF_COOKIE_SECURE = %s" % ("true" if settings.CSRF_COOKIE_SECURE else "false"),
        "CSRF_COOKIE_HTTPONLY = %s" % ("true" if settings.CSRF_COOKIE_HTTPONLY else "false"),
        "CSRF_COOKIE_SAMESITE = %s" % _q(settings.CSRF_COOKIE_SAMESITE or ""),
    ]
    return lines


def _simple_jwt(settings: Any, problems: list[str]) -> list[str]:
    """[SIMPLE_JWT], when the project uses djangorestframework-simplejwt: its settings as the
    package resolves them, the release, and whether the blacklist app is installed."""
    apps = list(settings.INSTALLED_APPS)
    classes = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_AUTHENTICATION_CLASSES", ())
    used = (
        hasattr(settings, "SIMPLE_JWT")
        or any(a.startswith("rest_framework_simplejwt") for a in apps)
        or any("rest_framework_simplejwt" in str(c) for c in classes)
    )
    if not used:
        return []
    try:
        from importlib.metadata import version

        from rest_framework_simplejwt.settings import api_settings as jwt
    except Exception as e:  # noqa: BLE001 - reported, not raised
        problems.append("SIMPLE_JWT: djangorestframework-simplejwt cannot be imported: %s" % e)
        return []

    def seconds(value: Any) -> float:
        return value.total_seconds() if hasattr(value, "total_seconds") else float(value or 0)

    def path(cls: Any) -> str:
        return cls if isinstance(cls, str) else "%s.%s" % (cls.__module__, cls.__qualname__)

    lines = ["", "[SIMPLE_JWT]"]
    lines.append("VERSION = %s" % _q(version("djangorestframework-simplejwt")))
    blacklist = "rest_framework_simplejwt.token_blacklist" in apps
    lines.append("BLACKLIST_APP = %s" % ("true" if blacklist else "false"))
    if jwt.ALGORITHM not in ("HS256", "HS384", "HS512"):
        problems.append("SIMPLE_JWT ALGORITHM %s: djtoken signs with HS256, HS384 or HS512" % jwt.ALGORITHM)
    lines.append("ALGORITHM = %s" % _q(jwt.ALGORITHM))
    if jwt.SIGNING_KEY != settings.SECRET_KEY:
        lines.append("# SIGNING_KEY is not SECRET_KEY: write it to a file only djtoken's user can read")
        lines.append('# and name it here as SIGNING_KEY_FILE = "PATH".')
        problems.append("SIMPLE_JWT SIGNING_KEY is not written (set SIGNING_KEY_FILE)")
    if jwt.AUDIENCE is not None:
        audience = jwt.AUDIENCE if isinstance(jwt.AUDIENCE, str) else list(jwt.AUDIENCE)
        lines.append("AUDIENCE = %s" % _q(audience))
    if jwt.ISSUER is not None:
        lines.append("ISSUER = %s" % _q(jwt.ISSUER))
    lines.append("LEEWAY = %s" % _q(seconds(jwt.LEEWAY)))
    for name in (
        "ACCESS_TOKEN_LIFETIME",
        "REFRESH_TOKEN_LIFETIME",
        "SLIDING_TOKEN_LIFETIME",
        "SLIDING_TOKEN_REFRESH_LIFETIME",
    ):
        lines.append("%s = %s" % (name, _q(seconds(getattr(jwt, name)))))
    for name in ("ROTATE_REFRESH_TOKENS", "BLACKLIST_AFTER_ROTATION", "UPDATE_LAST_LOGIN", "CHECK_REVOKE_TOKEN"):
        lines.append("%s = %s" % (name, "true" if getattr(jwt, name, False) else "false"))
    lines.append("CHECK_USER_IS_ACTIVE = %s" % ("true" if getattr(jwt, "CHECK_USER_IS_ACTIVE", True) else "false"))
    types = jwt.AUTH_HEADER_TYPES
    lines.append("AUTH_HEADER_TYPES = %s" % _q([types] if isinstance(types, str) else list(types)))
    for name in (
        "AUTH_HEADER_NAME",
        "USER_ID_FIELD",
        "USER_ID_CLAIM",
        "TOKEN_TYPE_CLAIM",
        "JTI_CLAIM",
        "SLIDING_TOKEN_REFRESH_EXP_CLAIM",
    ):
        lines.append("%s = %s" % (name, _q(getattr(jwt, name))))
    lines.append("REVOKE_TOKEN_CLAIM = %s" % _q(getattr(jwt, "REVOKE_TOKEN_CLAIM", "hash_password")))
    lines.append("AUTH_TOKEN_CLASSES = %s" % _q([path(c) for c in jwt.AUTH_TOKEN_CLASSES]))
    return lines


def _knox(settings: Any, problems: list[str]) -> list[str]:
    """[REST_KNOX] and [REST_FRAMEWORK], when the project uses django-rest-knox."""
    if "knox" not in settings.INSTALLED_APPS:
        return []
    try:
        from importlib.metadata import version

        from knox.settings import knox_settings as knox
        from rest_framework.settings import api_settings as drf
    except Exception as e:  # noqa: BLE001 - reported, not raised
        problems.append("REST_KNOX: django-rest-knox cannot be imported: %s" % e)
        return []

    def seconds(value: Any) -> str:
        return "false" if value is None else "%d" % int(value.total_seconds())

    algorithm = knox.SECURE_HASH_ALGORITHM
    name = "%s.%s" % (algorithm.__module__.replace("_hashlib", "hashlib"), algorithm.__name__.replace("openssl_", ""))
    if name != "hashlib.sha512":
        problems.append("REST_KNOX SECURE_HASH_ALGORITHM %s: djtoken hashes with hashlib.sha512" % name)
    lines = ["", "[REST_KNOX]", "VERSION = %s" % _q(version("django-rest-knox"))]
    lines.append("AUTH_TOKEN_CHARACTER_LENGTH = %d" % int(knox.AUTH_TOKEN_CHARACTER_LENGTH))
    lines.append("TOKEN_TTL = %s" % seconds(knox.TOKEN_TTL))
    if knox.TOKEN_LIMIT_PER_USER is not None:
        lines.append("TOKEN_LIMIT_PER_USER = %d" % int(knox.TOKEN_LIMIT_PER_USER))
    lines.append("AUTO_REFRESH = %s" % ("true" if knox.AUTO_REFRESH else "false"))
    if getattr(knox, "AUTO_REFRESH_MAX_TTL", None) is not None:
        lines.append("AUTO_REFRESH_MAX_TTL = %s" % seconds(knox.AUTO_REFRESH_MAX_TTL))
    lines.append("MIN_REFRESH_INTERVAL = %s" % _q(float(knox.MIN_REFRESH_INTERVAL)))
    lines.append("AUTH_HEADER_PREFIX = %s" % _q(knox.AUTH_HEADER_PREFIX))
    lines.append("EXPIRY_DATETIME_FORMAT = %s" % _q(knox.EXPIRY_DATETIME_FORMAT or "iso-8601"))
    lines.append("TOKEN_PREFIX = %s" % _q(knox.TOKEN_PREFIX))
    classes = ["%s.%s" % (c.__module__, c.__qualname__) for c in drf.DEFAULT_AUTHENTICATION_CLASSES]
    lines += ["", "[REST_FRAMEWORK]", "DEFAULT_AUTHENTICATION_CLASSES = %s" % _q(classes)]
    return lines


# DRF's authentication classes and the /auth method that answers as each does.
_DRF_CLASSES = {
    "rest_framework.authentication.SessionAuthentication": "session",
    "rest_framework.authentication.TokenAuthentication": "drf-token",
    "rest_framework_simplejwt.authentication.JWTAuthentication": "simplejwt",
    "knox.auth.TokenAuthentication": "knox",
}


def _path(cls: Any) -> str:
    return cls if isinstance(cls, str) else "%s.%s" % (cls.__module__, cls.__qualname__)


def authentication_methods(settings: Any, sessions_readable: bool = True) -> list[str]:
    """The ``/auth`` methods the project's installed apps and middleware imply, in an order
    that answers as the project does: DRF's ``DEFAULT_AUTHENTICATION_CLASSES`` order for the
    credentials DRF reads (a request is decided by the first class that finds its kind of
    credentials, in DRF and in ``/auth`` alike; DRF's token and knox share the ``Token``
    keyword, so the one listed first wins there too), then the session when the site logs
    browsers in (``SessionMiddleware`` and ``AuthenticationMiddleware``), DRF's token table,
    knox and simplejwt when installed but not listed, and tokenapi last: it reads any
    ``Authorization`` header without a space, ``Token\t…`` included, as its own malformed Basic
    credentials, so a method before it must have had its chance."""
    apps = list(settings.INSTALLED_APPS)
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    browser = (
        "django.contrib.sessions" in apps
        and "django.contrib.sessions.middleware.SessionMiddleware" in middleware
        and "django.contrib.auth.middleware.AuthenticationMiddleware" in middleware
        and sessions_readable
    )
    installed = {
        "session": browser,
        "drf-token": "rest_framework.authtoken" in apps,
        "simplejwt": any(a.startswith("rest_framework_simplejwt") for a in apps) or hasattr(settings, "SIMPLE_JWT"),
        "knox": "knox" in apps,
    }
    methods = []
    if "rest_framework" in apps:
        try:
            from rest_framework.settings import api_settings

            classes = [_path(c) for c in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
        except Exception:  # noqa: BLE001 - DRF unimportable: its classes are not known
            classes = []
        for cls in classes:
            method = _DRF_CLASSES.get(cls)
            if method == "simplejwt":
                installed["simplejwt"] = True
            if method and installed.get(method) and method not in methods:
                methods.append(method)
    for method in ("session", "drf-token", "knox", "simplejwt"):
        if installed[method] and method not in methods:
            methods.append(method)
    if "tokenapi" in apps or "djtoken.tokenapi" in apps or not methods:
        methods.append("tokenapi")
    return methods


def export(
    settings: Any = None,
    *,
    secret_key_file: Optional[str] = None,
    secret_key_fallbacks_file: Optional[str] = None,
    database_password_file: Optional[str] = None,
    cache_password_file: Optional[str] = None,
) -> Export:
    """The ``djtoken.toml`` for ``settings`` (default: the running project's). Secrets are
    never in it: the ``*_file`` arguments name the files that hold them (which the command
    writes), and without them the report says how to give each."""
    import django

    if settings is None:
        from django.conf import settings as project

        settings = project
    problems: list[str] = []
    version = "%d.%d.%d" % django.VERSION[:3]
    series = "%d.%d" % django.VERSION[:2]
    lines = [
        "# djtoken's configuration, written by manage.py djtoken_config from %s." % settings.SETTINGS_MODULE,
        "# Keys are Django's setting names; djtoken serve --config reads it. See djtoken config show.",
        "",
    ]
    if series not in _native.django_versions():
        known = ", ".join(_native.django_versions())
        problems.append("Django %s is not a version djtoken speaks (%s)" % (series, known))
    lines.append("DJANGO_VERSION = %s" % _q(version))
    if secret_key_file:
        lines.append("SECRET_KEY_FILE = %s" % _q(secret_key_file))
    else:
        lines.append("# SECRET_KEY is not written: set DJTOKEN_SECRET_KEY where djtoken runs, or rerun with")
        lines.append("# --secret-key-file PATH to write it to a file only its owner can read.")
    fallbacks = list(getattr(settings, "SECRET_KEY_FALLBACKS", []) or [])
    if fallbacks:
        if secret_key_fallbacks_file:
            lines.append("SECRET_KEY_FALLBACKS_FILE = %s" % _q(secret_key_fallbacks_file))
        else:
            lines.append("# SECRET_KEY_FALLBACKS (%d) are not written: set" % len(fallbacks))
            lines.append("# DJTOKEN_SECRET_KEY_FALLBACKS, one per line, or rerun with --secret-key-file PATH.")
    url = _database_url(settings.DATABASES["default"], problems, bool(database_password_file))
    if url:
        lines.append("DATABASE_URL = %s" % _q(url))
        if database_password_file and database_password(settings) and not url.startswith("sqlite:"):
            lines.append("DATABASE_PASSWORD_FILE = %s" % _q(database_password_file))
    else:
        lines.append("# DATABASE_URL: the default database cannot be shared with djtoken (see the report)")
    from django.conf import global_settings

    if hasattr(global_settings, "SIGNED_COOKIE_LEGACY_SALT_FALLBACK"):
        # 5.2.15+, 6.0.6+ and 6.1: whether signed cookies with the pre-CVE-2026-6873 salt
        # are still read.
        fallback = bool(settings.SIGNED_COOKIE_LEGACY_SALT_FALLBACK)
        lines.append("SIGNED_COOKIE_LEGACY_SALT_FALLBACK = %s" % ("true" if fallback else "false"))
    lines.append("TIME_ZONE = %s" % _q(settings.TIME_ZONE or "UTC"))
    lines.append("USE_TZ = %s" % ("true" if settings.USE_TZ else "false"))
    lines.append("TOKEN_TIMEOUT_DAYS = %d" % int(getattr(settings, "TOKEN_TIMEOUT_DAYS", 7)))
    lines.append("PASSWORD_RESET_TIMEOUT = %d" % int(settings.PASSWORD_RESET_TIMEOUT))
    names, params = _hashers(settings, problems)
    lines.append("# %s" % ", ".join(settings.PASSWORD_HASHERS))
    lines.append("PASSWORD_HASHERS = %s" % _q(names))
    if getattr(settings, "DEFAULT_HASHING_ALGORITHM", "sha256") == "sha1":
        lines.append('DEFAULT_HASHING_ALGORITHM = "sha1"')
    before = len(problems)
    lines.extend(_sessions(settings, problems, cache_password_file if cache_password(settings) else None))
    methods = authentication_methods(settings, sessions_readable=len(problems) == before)
    lines.append("# The /auth methods the installed apps and middleware imply, in the order DRF reads them")
    lines.append("# (tokenapi last): see docs/configuration.md.")
    lines.append("AUTHENTICATION_METHODS = %s" % _q(methods))
    lines.extend(_csrf(settings))
    lines.extend(_axes(problems))
    lines.extend(_simple_jwt(settings, problems))
    lines.extend(_knox(settings, problems))
    for algorithm, factors in params.items():
        lines.append("")
        lines.append("[PASSWORD_HASHER_PARAMS.%s]" % algorithm)
        lines.extend("%s = %d" % (k, v) for k, v in factors.items())
    lines.append("")
    lines.append("[USER_MODEL]")
    lines.extend("%s = %s" % (k, _q(v)) for k, v in _user_model(problems).items())
    if problems:
        lines.append("")
        lines.extend("# Not carried over: %s" % p for p in problems)
    return Export("\n".join(lines) + "\n", problems)
