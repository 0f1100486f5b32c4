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
    """The value, or the exception's class and message (djtoken raises Django's classes)."""
    try:
        return ("ok", call())
    except Exception as e:  # noqa: BLE001 - the class and message are the answer
        return (type(e), str(e))


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
        truncated_zlib = django_signing.TimestampSigner(salt="django.core.signing").sign(".eJyrVg")
        not_base64 = django_signing.TimestampSigner(salt="django.core.signing").sign("A")
        no_time = django_signing.Signer(salt="django.core.signing").sign("ImhlbGxvIg:")
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
        (truncated_zlib, None, NOW),
        (not_base64, None, NOW),
        (no_time, None, NOW),
    ]
    for value, max_age, now in cases:
        with at(now):
            ours = kind(lambda value=value, max_age=max_age: signing.loads(value, max_age=max_age))
            theirs = kind(lambda value=value, max_age=max_age: django_signing.loads(value, max_age=max_age))
        assert ours == theirs, (value, max_age, now)
    assert issubclass(signing.SignatureExpired, signing.BadSignature)
    # Django's own classes: a project's `except signing.BadSignature` catches djtoken's.
    assert signing.BadSignature is django_signing.BadSignature
    assert signing.SignatureExpired is django_signing.SignatureExpired


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
        b"[1e+19, -9.3e18, 1e19, 10000000000000000000, -0, 0.0, -1.5]",
        b"-0",
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
    for salt in (None, ""):  # Django's TimestampSigner signs with its class path then.
        assert signing.loads(django_signing.dumps([salt], salt=salt), salt=salt) == [salt]
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
        ours, theirs = kind(lambda: signing.loads(sha256)), kind(lambda: django_signing.loads(sha256))
        assert ours == theirs and ours[0] is django_signing.BadSignature, (ours, theirs)


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


def test_the_rest_of_the_api_is_djangos():
    """signature(), base64_hmac (with 6.1's warning about its default), b64_encode/decode,
    get_cookie_signer, any hashlib algorithm with InvalidAlgorithm at signing, the separator
    message, and positional arguments as this release takes them."""
    import random
    import warnings

    from django.utils.crypto import InvalidAlgorithm

    algorithms = ["sha1", "sha256", "md5", "sha224", "sha384", "sha512", "sha3_256", "sha3_512", "blake2b", "blake2s"]
    for algorithm in algorithms:
        ours = signing.Signer(key="k", salt="s", algorithm=algorithm)
        theirs = django_signing.Signer(key="k", salt="s", algorithm=algorithm)
        assert ours.signature("v") == theirs.signature("v"), algorithm
        assert ours.sign("v") == theirs.sign("v") and ours.unsign(theirs.sign("v")) == "v", algorithm
        assert signing.base64_hmac("s", "v", "k", algorithm=algorithm) == django_signing.base64_hmac(
            "s", "v", "k", algorithm=algorithm
        )
    for bad in ["whatever", "SHA256", "shake_128"]:
        ours, theirs = signing.Signer(key="k", algorithm=bad), django_signing.Signer(key="k", algorithm=bad)
        assert kind(lambda ours=ours: ours.sign("v")) == kind(lambda theirs=theirs: theirs.sign("v")), bad
    assert signing.InvalidAlgorithm is InvalidAlgorithm
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = signing.base64_hmac("s", "v", "k")
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        theirs = django_signing.base64_hmac("s", "v", "k")
    assert ours == theirs
    assert [(w.category, str(w.message)) for w in ours_warned] == [(w.category, str(w.message)) for w in theirs_warned]
    rng = random.Random(5)
    for _ in range(300):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
        assert signing.b64_encode(data) == django_signing.b64_encode(data)
        text = bytes(rng.choice(b"AQZaz09-_=+/ .") for _ in range(rng.randrange(12)))
        assert kind(lambda text=text: signing.b64_decode(text)) == kind(
            lambda text=text: django_signing.b64_decode(text)
        )
    for sep in ["", "-", "abc", "[", "/"]:
        assert kind(lambda sep=sep: signing.Signer(key="k", sep=sep).sep) == kind(
            lambda sep=sep: django_signing.Signer(key="k", sep=sep).sep
        ), sep
    with at():
        assert signing.get_cookie_signer(salt="c").sign("v") == django_signing.get_cookie_signer(salt="c").sign("v")
    # Positional arguments: accepted, deprecated or refused as this release does.
    for args in [("k",), ("k", "/"), ("k", ":", "salt", "sha512")]:
        with warnings.catch_warnings(record=True) as ours_warned:
            warnings.simplefilter("always")
            ours = kind(lambda args=args: signing.Signer(*args).sign("v"))
        with warnings.catch_warnings(record=True) as theirs_warned:
            warnings.simplefilter("always")
            theirs = kind(lambda args=args: django_signing.Signer(*args).sign("v"))
        if ours[0] is TypeError:  # the same refusal; Python words it after the class
            assert theirs[0] is TypeError, (args, ours, theirs)
        else:
            assert ours == theirs, args
        assert [w.category for w in ours_warned] == [w.category for w in theirs_warned], args
