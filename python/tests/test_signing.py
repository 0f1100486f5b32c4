"""djtoken.signing against the django.core.signing of the Django in this virtualenv: the same
strings signed, the same values read, the same exceptions, under this version's rules (3.2's
sha1, fallback keys from 4.1); and without Django installed at all."""

import base64
import datetime
import json
import os
import subprocess
import sys
import zlib
from unittest import mock

import django
import pytest
from django.core import signing as django_signing
from django.test.utils import override_settings
from djtoken import signing

NOW = 1700000000.25
OBJECTS = [
    "hello",
    {"a": 1, "b": [1, 2, "x"], "u": "é中😀\x7f"},
    list(range(40)),
    [0.1, 1e16, -0.0, 2**63, None, True],
    {"_auth_user_id": "1", "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"},
    "x" * 500,
]
SALTS = ["django.core.signing", "django.contrib.sessions.SessionStore", "sälz"]


def at(now=NOW):
    return mock.patch("time.time", return_value=now)


def kind(call):
    """The value, or the kind of exception: Django's classes map onto djtoken's."""
    try:
        return ("ok", call())
    except (signing.SignatureExpired, django_signing.SignatureExpired):
        return ("expired",)
    except (signing.BadSignature, django_signing.BadSignature):
        return ("bad signature",)
    except (ValueError, zlib.error, IndexError):
        return ("malformed",)


@pytest.mark.parametrize("compress", [False, True])
def test_dumps_writes_what_django_writes_and_each_reads_the_other(compress):
    for obj in OBJECTS:
        for salt in SALTS:
            with at():
                ours = signing.dumps(obj, salt=salt, compress=compress)
                theirs = django_signing.dumps(obj, salt=salt, compress=compress)
                assert ours == theirs, (obj, salt)
                assert signing.loads(theirs, salt=salt) == obj
                assert django_signing.loads(ours, salt=salt) == obj


def test_signers_sign_as_djangos():
    options = [{}, {"salt": "extra"}, {"salt": "extra", "algorithm": "sha1"}, {"sep": "/"}, {"key": "other-key"}]
    for value in ["hello", "", "a:b", "é中"]:
        for kw in options:
            with at():
                assert signing.Signer(**kw).sign(value) == django_signing.Signer(**kw).sign(value), kw
                ours = signing.TimestampSigner(**kw).sign(value)
                assert ours == django_signing.TimestampSigner(**kw).sign(value), kw
                assert django_signing.TimestampSigner(**kw).unsign(ours) == value
                assert signing.TimestampSigner(**kw).unsign(ours) == value
    with pytest.raises(ValueError):
        signing.Signer(sep="a")


def test_refusals_are_djangos():
    with at():
        good = django_signing.dumps({"x": 1})
        no_timestamp = django_signing.Signer(salt="django.core.signing").sign("ImhlbGxvIg")
        bad_base62 = django_signing.Signer(salt="django.core.signing").sign("ImhlbGxvIg:!!")
        not_json = django_signing.TimestampSigner(salt="django.core.signing").sign("bm90IGpzb24")
        not_zlib = django_signing.TimestampSigner(salt="django.core.signing").sign(".AAAA")
    cases = [
        (good, None, NOW),
        (good[:-1] + ("A" if good[-1] != "A" else "B"), None, NOW),
        ("no separator", None, NOW),
        ("", None, NOW),
        (good, 60, NOW + 100),
        (good, 100, NOW + 100),
        (good, datetime.timedelta(seconds=60), NOW + 100),
        (good, 60, NOW - 1000),
        (no_timestamp, None, NOW),
        (bad_base62, None, NOW),
        (not_json, None, NOW),
        (not_zlib, None, NOW),
    ]
    for value, max_age, now in cases:
        with at(now):
            ours = kind(lambda value=value, max_age=max_age: signing.loads(value, max_age=max_age))
            theirs = kind(lambda value=value, max_age=max_age: django_signing.loads(value, max_age=max_age))
        assert ours == theirs, (value, max_age, now)
    assert issubclass(signing.SignatureExpired, signing.BadSignature)


def test_json_reads_as_djangos_json_serializer_reads_it():
    """loads reads the JSON in Rust: every value comes back as Python's json makes it, and
    what only Python reads (NaN, huge integers, -0) or refuses is handed to Python."""
    texts = [
        b'{"a":-0,"b":-0.0,"c":1e400,"d":NaN,"e":-Infinity}',
        b'{"big":123456789012345678901234567890,"neg":-9223372036854775809,"max":18446744073709551615}',
        b'{"dup":1,"dup":2,"f":0.30000000000000004,"g":1E2,"h":5e-324}',
        b'["\\u00e9\\ud83d\\ude00", "\xe9", [[[]]], {}]',
        b'{"trailing": 1,}',
        b"not json",
        b'"\\ud800"',
    ]
    signer = django_signing.TimestampSigner(salt="django.core.signing")
    for text in texts:
        for compress in (False, True):
            with at():
                raw = zlib.compress(text) if compress else text
                encoded = ("." if compress else "") + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
                signed = signer.sign(encoded)
                ours = kind(lambda signed=signed: signing.loads(signed))
                theirs = kind(lambda signed=signed: django_signing.loads(signed))
            assert repr(ours) == repr(theirs), text
    with override_settings(SECRET_KEY="a-key-set-by-a-test"):
        with at():
            value = django_signing.dumps({"x": 1})
        assert signing.loads(value) == {"x": 1}
    with pytest.raises(signing.BadSignature):
        signing.loads(value)


@pytest.mark.skipif(django.VERSION < (4, 1), reason="SECRET_KEY_FALLBACKS is Django 4.1's")
def test_fallback_keys_come_from_the_settings():
    with at():
        old = django_signing.dumps({"x": 1}, key="the-old-key")
    with pytest.raises(signing.BadSignature):
        signing.loads(old)
    with override_settings(SECRET_KEY_FALLBACKS=["the-old-key"]):
        assert signing.loads(old) == django_signing.loads(old) == {"x": 1}


@pytest.mark.skipif(django.VERSION[:2] != (3, 2), reason="Django 3.2's sha1 rules")
def test_django_3_2_accepts_sha1_and_in_sha1_mode_only_sha1():
    with at():
        sha1 = django_signing.TimestampSigner(salt="django.core.signing", algorithm="sha1").sign_object({"x": 1})
        sha256 = django_signing.dumps({"x": 1})
    assert signing.loads(sha1) == {"x": 1}
    with override_settings(DEFAULT_HASHING_ALGORITHM="sha1"):
        with at():
            assert signing.dumps("hello") == django_signing.dumps("hello")
        assert kind(lambda: signing.loads(sha256)) == kind(lambda: django_signing.loads(sha256)) == ("bad signature",)


def test_works_without_django_installed():
    with at():
        expected = django_signing.dumps({"user": 42}, key="standalone-key", salt="svc")
    script = (
        "import sys, json\n"
        "sys.modules['django'] = None\n"
        "from unittest import mock\n"
        "from djtoken import signing\n"
        "try:\n"
        "    signing.dumps(1)\n"
        "    print('no error')\n"
        "except ValueError as e:\n"
        "    print('needs a key')\n"
        "with mock.patch('time.time', return_value=%r):\n"
        "    print(signing.dumps({'user': 42}, key='standalone-key', salt='svc'))\n"
        "print(json.dumps(signing.loads(sys.argv[1], key='standalone-key', salt='svc')))\n"
    ) % NOW
    out = subprocess.run(
        [sys.executable, "-c", script, expected],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        check=True,
    ).stdout.splitlines()
    assert out == ["needs a key", expected, json.dumps({"user": 42})]
