"""Session data as Python's json (and, for the cache engines, pickle) holds it: values a JSON
value cannot — NaN, the infinities, integers beyond 64 bits, strings and keys with a lone
surrogate — in 200 random sessions per engine, written by Django and read by djtoken, and
written by djtoken and read by Django. The user is the one Django's get_user finds, and the
data comes back as it went in.

Environment: as test_sessions_live.py (DJTOKEN_TEST_REDIS_URL for the cache engines).
"""

import json
import math
import random
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from djtoken.sessions import Sessions
from test_sessions_live import BACKEND, django_user_of, engine, user  # noqa: F401 (fixtures)

pytestmark = pytest.mark.database

SESSIONS = 200


def random_text(rng):
    """Text with, now and then, a lone surrogate (Python's str holds one; JSON escapes it)."""
    parts = []
    for _ in range(rng.randint(0, 4)):
        parts.append(
            rng.choice(
                [
                    "plain",
                    "é中😀",
                    '"quoted" \\ back\nslash',
                    chr(rng.randrange(0xD800, 0xE000)),
                    "\x7f\x00\t",
                ]
            )
        )
    return "".join(parts)


def random_value(rng, depth=0):
    kinds = ["nan", "inf", "big", "text", "int", "float", "bool", "none"]
    if depth < 3:
        kinds += ["list", "dict"]
    kind = rng.choice(kinds)
    if kind == "nan":
        return math.nan
    if kind == "inf":
        return rng.choice([math.inf, -math.inf])
    if kind == "big":
        return rng.choice([1, -1]) * rng.randrange(2**63, 2**200)
    if kind == "text":
        return random_text(rng)
    if kind == "int":
        return rng.randrange(-(2**63), 2**63)
    if kind == "float":
        return rng.choice([0.1, -0.0, 1e16, 1e-7, 5e-324, rng.random()])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {random_text(rng): random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def random_members(rng):
    """A few members beside the login's, under keys Django's own code never reads."""
    return {"v%d%s" % (i, random_text(rng)): random_value(rng) for i in range(rng.randint(1, 5))}


def only_python(value):
    """Whether ``value`` holds what a JSON value cannot: NaN, an infinity, an integer beyond
    64 bits or a lone surrogate."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return not -(2**63) <= value < 2**64
    if isinstance(value, str):
        return any(0xD800 <= ord(c) < 0xE000 for c in value)
    if isinstance(value, list):
        return any(only_python(v) for v in value)
    if isinstance(value, dict):
        return any(only_python(k) or only_python(v) for k, v in value.items())
    return False


def same(a, b):
    """Equal as Python's json writes them (NaN is not equal to itself otherwise)."""
    return json.dumps(a) == json.dumps(b)


def test_django_writes_python_json_values_and_djtoken_reads_them(engine, user):  # noqa: F811
    sessions = Sessions.from_django()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rng = random.Random(20261204)
    carried = 0
    for i in range(SESSIONS):
        client = Client()
        client.force_login(user, backend=BACKEND)
        session = store(client.cookies[settings.SESSION_COOKIE_NAME].value)
        session.update(random_members(rng))
        session.save()
        key = session.session_key
        theirs = store(key).load()
        found = sessions.get_user(key)
        assert found.user_id == str(user.pk), (i, found.reason, theirs)
        assert same(sessions.load(key), theirs), i
        assert django_user_of(key) == str(user.pk), i
        carried += only_python(theirs)
    assert carried > SESSIONS // 2, carried  # the test is about those


def test_djtoken_writes_python_json_values_and_django_reads_them(engine, user):  # noqa: F811
    sessions = Sessions.from_django()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rng = random.Random(20261205)
    carried = 0
    for i in range(SESSIONS):
        key = sessions.login(user.username)
        data = sessions.load(key)
        data.update(random_members(rng))
        key = sessions.save(key, data)
        assert same(store(key).load(), data), i
        assert django_user_of(key) == str(user.pk), i
        assert sessions.get_user(key).user_id == str(user.pk), i
        carried += only_python(data)
    assert carried > SESSIONS // 2, carried
