"""Django's sessions, shared: real Django and `djtoken session` on one database, one Redis,
one session directory.

For every SESSION_ENGINE a service can share (db; file; signed_cookies; cache and cached_db
on Redis through Django's RedisCache and through django-redis), the project's settings are
exported by djtoken's own `export()` (what `manage.py djtoken_config` writes), and then:
a login Django's test client makes is recognised by `djtoken session check`; a login
`djtoken session new` makes is `request.user` in Django (Django's own `get_user` over the
engine's `SessionStore`); and a password change, a logout on either side, expiry, a rotated
SECRET_KEY, a tampered cookie and an unknown backend give the same answer on both sides.

Environment: DJTOKEN_TEST_REDIS_URL (redis://127.0.0.1:6379/0); without it the cache engines
skip with a notice, and DJTOKEN_TEST_REQUIRE_REDIS=1 makes that a failure.
"""

import os
import time
import uuid
from importlib import import_module

import django
import pytest
from conftest import LIVE_DB, redis_url, run
from django.conf import settings
from django.contrib.auth import get_user, get_user_model
from django.http import HttpRequest
from django.test import Client
from django.test.utils import override_settings

pytestmark = pytest.mark.database

REDIS_URL = redis_url("the cache and cached_db session tests are")

User = get_user_model()
PASSWORD = "correct horse battery"
OLD_KEY = "the-previous-secret-key-of-the-session-tests-0123456789"
BACKEND = "django.contrib.auth.backends.ModelBackend"
ENGINE = "django.contrib.sessions.backends."


def _cache(backend):
    return {
        "default": {
            "BACKEND": backend,
            "LOCATION": REDIS_URL,
            # A prefix and a version of this run's own: nothing else's keys, and not the defaults.
            "KEY_PREFIX": "djtoken-test-%s" % uuid.uuid4().hex[:8],
            "VERSION": 3,
        }
    }


def engines():
    names = ["db", "signed_cookies", "file"]
    backends = (["django"] if django.VERSION >= (4, 0) else []) + ["django-redis"]
    out = [pytest.param(n, id=n) for n in names]
    for engine in ("cache", "cached_db"):
        for backend in backends:
            marks = [] if REDIS_URL else [pytest.mark.skip(reason="DJTOKEN_TEST_REDIS_URL is not set")]
            name = "%s-%s" % (engine, backend)
            out.append(pytest.param(name, id=name, marks=marks))
    return out


@pytest.fixture(params=engines())
def engine(request, tmp_path):
    """Django configured for one engine, for the test: (name, the overrides)."""
    from django.contrib.sessions.backends.file import SessionStore as FileStore

    extra = engines_settings(request.param, tmp_path)
    # The file store keeps the first SESSION_FILE_PATH it saw on its class.
    FileStore.__dict__.get("_storage_path") and delattr(FileStore, "_storage_path")
    with override_settings(**extra):
        yield request.param, extra
    FileStore.__dict__.get("_storage_path") and delattr(FileStore, "_storage_path")


def engines_settings(name, tmp_path):
    base = name.split("-")[0]
    extra = {"SESSION_ENGINE": ENGINE + base}
    if base == "file":
        extra["SESSION_FILE_PATH"] = str(tmp_path)
    if base in ("cache", "cached_db"):
        backend = name.split("-", 1)[1]
        extra["CACHES"] = _cache(
            "django.core.cache.backends.redis.RedisCache" if backend == "django" else "django_redis.cache.RedisCache"
        )
    return extra


@pytest.fixture
def user():
    username = "sess-%s" % uuid.uuid4().hex[:10]
    return User.objects.create_user(username, password=PASSWORD)


class Djtoken:
    """`djtoken session …` with the configuration export() writes for the running settings."""

    def __init__(self, binary, folder, secret=None, fallbacks=()):
        from djtoken.config.export import export

        self.binary = binary
        self.config = os.path.join(folder, "djtoken-%s.toml" % uuid.uuid4().hex[:8])
        exported = export()
        with open(self.config, "w") as f:
            f.write(exported.text)
        self.text = exported.text
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}
        self.env["DJTOKEN_CONFIG"] = self.config
        self.env["DJTOKEN_SECRET_KEY"] = secret or settings.SECRET_KEY
        if fallbacks:
            self.env["DJTOKEN_SECRET_KEY_FALLBACKS"] = "\n".join(fallbacks)

    def __call__(self, *args, check=None):
        return run([self.binary, "session", *args], env=self.env, check=check)

    def user_of(self, value):
        """The pk `session check` prints, or None for `anonymous`."""
        code, out, err = self("check", value)
        assert code in (0, 1), err
        if code == 1:
            assert out.strip() == "anonymous", out
            return None
        return out.split()[0]

    def login(self, username):
        return self("new", "--username", username, check=0)[1].strip()


@pytest.fixture
def djtoken(djtoken_bin, tmp_path):
    def make(**kwargs):
        return Djtoken(djtoken_bin, str(tmp_path), **kwargs)

    return make


def django_login(user):
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client, client.cookies[settings.SESSION_COOKIE_NAME].value


def django_user_of(value):
    """What AuthenticationMiddleware makes request.user for this cookie: the pk as text, or
    None for AnonymousUser."""
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(value)
    found = get_user(request)
    return str(found.pk) if found.is_authenticated else None


def agree(djtoken, value, expected):
    """djtoken answers first (it writes nothing), then Django (which may flush)."""
    ours = djtoken.user_of(value)
    theirs = django_user_of(value)
    assert (ours, theirs) == (expected, expected), value


def test_the_exported_configuration_names_the_engine(engine, djtoken):
    name, extra = engine
    text = djtoken().text
    assert 'SESSION_ENGINE = "%s"' % extra["SESSION_ENGINE"] in text
    if "CACHES" in extra:
        assert "SESSION_CACHE_URL" in text and "version=3" in text


def test_a_django_login_is_recognised_by_djtoken(engine, djtoken, user):
    _, value = django_login(user)
    agree(djtoken(), value, str(user.pk))


def test_a_djtoken_login_is_request_user_in_django(engine, djtoken, user):
    value = djtoken().login(user.username)
    assert django_user_of(value) == str(user.pk)
    user.refresh_from_db()
    assert user.last_login is not None
    # A browser request with the cookie, through Django's whole middleware stack.
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = value
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_a_password_change_logs_the_session_out_on_both_sides(engine, djtoken, user):
    _, value = django_login(user)
    user.set_password("another password")
    user.save()
    agree(djtoken(), value, None)


def test_a_logout_on_either_side_ends_the_session_on_both(engine, djtoken, user):
    name, _ = engine
    tool = djtoken()
    # Django logs out: djtoken sees it.
    client, value = django_login(user)
    client.logout()
    # A signed_cookies session lives in the cookie: logging out only clears the browser's
    # copy, and Django still accepts a copy kept elsewhere. djtoken answers the same.
    expected = str(user.pk) if name == "signed_cookies" else None
    agree(tool, value, expected)
    # djtoken logs out: Django sees it.
    value = tool.login(user.username)
    tool("delete", value, check=0)
    agree(tool, value, expected)


def expire_both_ways(djtoken, user):
    """With SESSION_COOKIE_AGE = 1, Django's login and djtoken's are both gone 2 s later."""
    with override_settings(SESSION_COOKIE_AGE=1):
        tool = djtoken()
        _, value = django_login(user)
        ours = tool.login(user.username)
        time.sleep(2.2)
        agree(tool, value, None)
        agree(tool, ours, None)


def test_an_expired_session_is_anonymous_on_both_sides(engine, djtoken, user):
    expire_both_ways(djtoken, user)


def test_a_rotated_secret_key_follows_secret_key_fallbacks(engine, djtoken, user):
    with override_settings(SECRET_KEY=OLD_KEY):
        _, value = django_login(user)
    new_key = settings.SECRET_KEY
    # Django 4.1+ reads sessions (data and auth hash) made with a fallback key; 3.2 and 4.0
    # have no fallbacks.
    expected = str(user.pk) if django.VERSION >= (4, 1) else None
    with override_settings(SECRET_KEY_FALLBACKS=[OLD_KEY]):
        agree(djtoken(secret=new_key, fallbacks=[OLD_KEY]), value, expected)
    with override_settings(SECRET_KEY=OLD_KEY):
        _, value = django_login(user)
    agree(djtoken(secret=new_key), value, None)


def test_a_tampered_cookie_is_anonymous_on_both_sides(engine, djtoken, user):
    _, value = django_login(user)
    tampered = value[:-1] + ("a" if value[-1] != "a" else "b")
    agree(djtoken(), tampered, None)
    agree(djtoken(), value, str(user.pk))


def test_an_unknown_backend_is_anonymous_on_both_sides(engine, djtoken, user):
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "somewhere.else.Backend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.save()
    agree(djtoken(), store.session_key, None)
    code, _, err = djtoken()("check", store.session_key)
    assert code == 1 and "AUTHENTICATION_BACKENDS" in err


def test_a_fallback_hash_moves_the_session_to_a_new_key_with_apply(engine, djtoken, user):
    if django.VERSION < (4, 1):
        pytest.skip("SECRET_KEY_FALLBACKS arrived in Django 4.1")
    name, _ = engine
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = BACKEND
    with override_settings(SECRET_KEY=OLD_KEY):
        store["_auth_user_hash"] = user.get_session_auth_hash()
    store.save()
    old = store.session_key
    with override_settings(SECRET_KEY_FALLBACKS=[OLD_KEY]):
        code, out, _ = djtoken(fallbacks=[OLD_KEY])("check", "--apply", old, check=0)
        pk, new = out.split()
        assert pk == str(user.pk) and new != old
        # The new session is Django's, with the current hash; the old one is gone.
        assert django_user_of(new) == str(user.pk)
        session = import_module(settings.SESSION_ENGINE).SessionStore(new)
        assert session["_auth_user_hash"] == user.get_session_auth_hash()
        if name != "signed_cookies":
            assert django_user_of(old) is None


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/Chicago"])
def test_local_expire_dates_with_use_tz_false(djtoken, user, zone, tmp_path):
    """With USE_TZ = False Django stores expire_date as naive local time: a session djtoken
    writes must expire when Django says, and the other way round."""
    with override_settings(SESSION_ENGINE=ENGINE + "db", USE_TZ=False, TIME_ZONE=zone):
        tool = djtoken()
        _, value = django_login(user)
        ours = tool.login(user.username)
        agree(tool, value, str(user.pk))
        agree(tool, ours, str(user.pk))
        expire_both_ways(djtoken, user)


def test_a_djtoken_login_carries_the_csrf_secret_django_checks(djtoken, user):
    """Under CSRF_USE_SESSIONS a login rotates the CSRF secret into the session, in the form
    the version stores (masked before 4.1); Django's CsrfViewMiddleware then accepts that
    secret, and only it, on a POST of the logged-in browser."""
    from django.middleware.csrf import _unmask_cipher_token

    with override_settings(SESSION_ENGINE=ENGINE + "db", CSRF_USE_SESSIONS=True):
        value = djtoken().login(user.username)
        stored = import_module(settings.SESSION_ENGINE).SessionStore(value)["_csrftoken"]
        assert len(stored) == (64 if django.VERSION < (4, 1) else 32)
        secret = _unmask_cipher_token(stored) if len(stored) == 64 else stored
        client = Client(enforce_csrf_checks=True)
        client.cookies[settings.SESSION_COOKIE_NAME] = value
        response = client.post("/whoami/", HTTP_X_CSRFTOKEN=secret)
        assert response.status_code == 200 and response.json() == {"user": str(user.pk)}
        assert client.post("/whoami/", HTTP_X_CSRFTOKEN="x" * 32).status_code == 403


def test_a_cache_djtoken_cannot_read_is_reported_by_the_export():
    from djtoken.config.export import export

    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(SESSION_ENGINE=ENGINE + "cache", CACHES=locmem):
        exported = export()
    assert "SESSION_CACHE_URL" not in exported.text
    assert any("LocMemCache" in p and "Redis caches only" in p for p in exported.problems), exported.problems
    with override_settings(SESSION_SERIALIZER="myproject.PickleSerializer"):
        assert any("JSON sessions only" in p for p in export().problems)


def test_a_garbage_pickle_in_the_cache_is_read_as_django_reads_it(engine, djtoken, user):
    """cache: no session; cached_db: the cache is skipped and the row read."""
    name, _ = engine
    if not name.startswith("cache"):
        pytest.skip("the cache engines' values are pickles")
    from django.core.cache import caches

    _, value = django_login(user)
    cache = caches[settings.SESSION_CACHE_ALIAS]
    store_prefix = import_module(settings.SESSION_ENGINE).KEY_PREFIX
    key = cache.make_key(store_prefix + value)
    if name.endswith("django-redis"):
        client = cache.client.get_client(write=True)
    else:
        client = cache._cache.get_client(key, write=True)
    client.set(key, b"\x80\x05garbage")
    agree(djtoken(), value, str(user.pk) if name.startswith("cached_db") else None)


def test_a_session_key_is_compared_as_the_database_compares_it(engine, djtoken, user):
    """A cookie with the key in upper case: Django's lookup is the database's, so it finds the
    session under MySQL's case-insensitive collation (db, cached_db on a cache miss) and not on
    SQLite or PostgreSQL; the file and cache engines never do. djtoken answers as Django."""
    name, _ = engine
    _, value = django_login(user)
    if name == "signed_cookies":
        return  # the cookie is the session: another spelling is another signature
    # cached_db: the other spelling is another cache key, a miss, so the database answers.
    expected = str(user.pk) if LIVE_DB == "mysql" and name.split("-")[0] in ("db", "cached_db") else None
    agree(djtoken(), value.upper(), expected)
