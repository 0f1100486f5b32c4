"""Django's side of benches/sessions.rs: on a fresh database (migrated here) and a Redis,
log a user in through Django (db and cache engines), then time what Django does per request
with the session cookie: SessionStore(key) + get_user(request) (what SessionMiddleware and
AuthenticationMiddleware run), and SessionStore.decode of the session data alone.

    python benches/django_sessions.py DATABASE_URL REDIS_URL

Prints one JSON object: the session keys and data djtoken then reads, and Django's
nanoseconds per call. Runs in a Django virtualenv (scripts/venv 6.1).
"""

import json
import os
import sys
import timeit
import uuid
import warnings
from importlib import import_module

warnings.simplefilter("ignore")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "gen"))
os.environ["DJTOKEN_FIXTURE_DATABASE"] = sys.argv[1]
os.environ["DJTOKEN_FIXTURE_TOKENAPI_URLS"] = "1"

from common import setup  # noqa: E402

setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user, get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpRequest  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

PREFIX = "djtoken-bench-%s" % uuid.uuid4().hex[:8]
CACHE = {
    "SESSION_ENGINE": "django.contrib.sessions.backends.cache",
    "CACHES": {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": sys.argv[2],
            "KEY_PREFIX": PREFIX,
        }
    },
}


def per_call(fn):
    timer = timeit.Timer(fn)
    n, _ = timer.autorange()
    return min(timer.repeat(repeat=5, number=n)) / n * 1e9


def login(user):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def get_user_cost(key, pk):
    engine = import_module(settings.SESSION_ENGINE)

    def check():
        request = HttpRequest()
        request.session = engine.SessionStore(key)
        return get_user(request)

    assert check().pk == pk
    return per_call(check)


call_command("migrate", verbosity=0)
user = get_user_model().objects.create_user("bench-%s" % uuid.uuid4().hex[:6], password="bench")
out = {"user": str(user.pk), "cache_prefix": PREFIX}
out["db_key"] = login(user)
store = import_module(settings.SESSION_ENGINE).SessionStore(out["db_key"])
from django.contrib.sessions.models import Session  # noqa: E402

out["session_data"] = Session.objects.get(session_key=out["db_key"]).session_data
out["django_decode_ns"] = per_call(lambda: store.decode(out["session_data"]))
out["django_db_ns"] = get_user_cost(out["db_key"], user.pk)
with override_settings(**CACHE):
    out["cache_key"] = login(user)
    out["django_cache_ns"] = get_user_cost(out["cache_key"], user.pk)
print(json.dumps(out))
