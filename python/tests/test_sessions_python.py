"""djtoken.sessions, the Python front of the session stores: inside a Django project
(``Sessions.from_django()``) and without Django at all (a ``djtoken.toml`` and the key), on
the live database and Redis, against Django's own ``get_user``."""

import os
import subprocess
import sys
import uuid
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import get_user, get_user_model
from django.http import HttpRequest
from django.test import Client
from django.test.utils import override_settings
from djtoken.sessions import Sessions, SessionStoreUnavailable

pytestmark = pytest.mark.database

User = get_user_model()
REDIS_URL = os.environ.get("DJTOKEN_TEST_REDIS_URL")
ENGINE = "django.contrib.sessions.backends."


@pytest.fixture
def user():
    return User.objects.create_user("py-%s" % uuid.uuid4().hex[:10], password="pw")


def django_user_of(value):
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(value)
    found = get_user(request)
    return str(found.pk) if found.is_authenticated else None


def engines():
    yield pytest.param({"SESSION_ENGINE": ENGINE + "db"}, id="db")
    yield pytest.param({"SESSION_ENGINE": ENGINE + "signed_cookies"}, id="signed_cookies")
    cache = {
        "SESSION_ENGINE": ENGINE + "cache",
        "CACHES": {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": "djtoken-py-%s" % uuid.uuid4().hex[:8],
            }
        },
    }
    marks = [] if REDIS_URL else [pytest.mark.skip(reason="DJTOKEN_TEST_REDIS_URL is not set")]
    yield pytest.param(cache, id="cache-django-redis", marks=marks)


@pytest.mark.parametrize("overrides", engines())
def test_logins_cross_between_django_and_djtoken_sessions(overrides, user):
    with override_settings(**overrides):
        sessions = Sessions.from_django()
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        theirs = client.cookies[settings.SESSION_COOKIE_NAME].value
        found = sessions.get_user(theirs)
        assert found.is_authenticated and found.user_id == str(user.pk) and not found.cycled
        assert sessions.load(theirs)["_auth_user_id"] == str(user.pk)

        ours = sessions.login(user.username)
        assert django_user_of(ours) == str(user.pk)
        sessions.logout(ours)
        if overrides["SESSION_ENGINE"].endswith("signed_cookies"):
            assert django_user_of(ours) == str(user.pk)  # the cookie is the session
        else:
            assert django_user_of(ours) is None
            assert sessions.get_user(ours).reason.startswith("no such session")

        key = sessions.save(None, {"cart": [1, 2], "name": "é"})
        assert sessions.load(key) == {"cart": [1, 2], "name": "é"}
        assert import_module(settings.SESSION_ENGINE).SessionStore(key).load() == {"cart": [1, 2], "name": "é"}


def test_bad_input_is_a_value_error_and_a_store_that_is_down_a_connection_error(user, tmp_path, database_url):
    sessions = Sessions.from_django()
    assert sessions.get_user("x").user_id is None
    assert sessions.load("not-a-session-key-at-all") is None
    with pytest.raises(ValueError):
        sessions.login("no-such-user-%s" % uuid.uuid4().hex)
    with pytest.raises(ValueError):
        sessions.login(user.username, backend="not.configured.Backend")
    with pytest.raises(ValueError):
        Sessions(_text="SESSION_ENGINE = 'nope'", secret_key="k")
    config = tmp_path / "djtoken.toml"
    config.write_text(
        'SESSION_ENGINE = "django.contrib.sessions.backends.cache"\n'
        'SESSION_CACHE_URL = "redis://127.0.0.1:1/0"\nQUERY_TIMEOUT = 1\nDATABASE_URL = "%s"\n' % database_url
    )
    down = Sessions(str(config), secret_key="k")
    with pytest.raises(SessionStoreUnavailable):
        down.load("abcdefghijklmnop")
    assert issubclass(SessionStoreUnavailable, ConnectionError)


def test_without_django_from_the_exported_file(user, tmp_path):
    """A service without Django: the file manage.py djtoken_config wrote, the key in the
    environment, Django impossible to import, and the documented example run as written in
    the file's folder (the cookie of a Django login given; its own login is alice's)."""
    from conftest import doc_block
    from djtoken.config.export import export

    (tmp_path / "djtoken.toml").write_text(export().text)
    User.objects.get_or_create(username="alice")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    script = "import sys; sys.modules['django'] = None\ncookie = %r\n%s\nprint(user.user_id)\n" % (
        cookie,
        doc_block("python-sessions", "python"),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}
    env["DJTOKEN_SECRET_KEY"] = settings.SECRET_KEY
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == str(user.pk), out.stderr
