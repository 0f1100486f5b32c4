"""djtoken inside Django: the PASSWORD_HASHERS classes against Django's own, the reset token
generator against Django's, and djtoken.tokenapi against tokenapi (including tokenapi's own
test suite from its PyPI release)."""

import datetime
import json
import os
import subprocess
import sys
import uuid
from unittest import mock

import django
import pytest
from conftest import TOP, ResetUser
from django.contrib.auth import get_user_model
from django.contrib.auth import hashers as dj
from django.contrib.auth.tokens import PasswordResetTokenGenerator as DjangoResetGenerator
from django.test import Client
from django.test.utils import override_settings
from djtoken import hashers as ours
from djtoken.tokens import PasswordResetTokenGenerator as OurResetGenerator

SERIES = "%d.%d" % django.VERSION[:2]
User = get_user_model()
CUSTOM = User._meta.label != "auth.User"

PAIRS = [
    ("PBKDF2PasswordHasher", "pbkdf2_sha256"),
    ("PBKDF2SHA1PasswordHasher", "pbkdf2_sha1"),
    ("Argon2PasswordHasher", "argon2"),
    ("BCryptSHA256PasswordHasher", "bcrypt_sha256"),
    ("BCryptPasswordHasher", "bcrypt"),
    ("MD5PasswordHasher", "md5"),
] + ([("ScryptPasswordHasher", "scrypt")] if hasattr(dj, "ScryptPasswordHasher") else [])


def paths(module, names):
    return ["%s.%s" % (module, name) for name in names]


@pytest.mark.parametrize("name,algorithm", PAIRS)
def test_hasher_classes_write_djangos_strings(name, algorithm):
    theirs, mine = getattr(dj, name)(), getattr(ours, name)()
    assert mine.algorithm == theirs.algorithm == algorithm
    salt = theirs.salt()
    for password in ["correct horse", "", "pässwörd 日本", "x" * 72]:
        assert mine.encode(password, salt) == theirs.encode(password, salt), (name, password)
    if "PBKDF2" in name:
        assert mine.encode("pw", "saltsaltsalt", 1000) == theirs.encode("pw", "saltsaltsalt", 1000)
    if name == "ScryptPasswordHasher":
        assert mine.encode("pw", salt, 2**10, 4, 2) == theirs.encode("pw", salt, 2**10, 4, 2)


@pytest.mark.parametrize("name,algorithm", PAIRS)
def test_check_make_must_update_through_django_with_djtoken_classes(name, algorithm):
    """Django's own make_password / check_password / must_update, configured with djtoken's
    classes, agree with Django configured with its own; hashes move both ways."""
    django_list, our_list = paths("django.contrib.auth.hashers", [name]), paths("djtoken.hashers", [name])
    with override_settings(PASSWORD_HASHERS=django_list):
        by_django = dj.make_password("correct horse")
        # A hash the current settings want to update: a short salt, or bcrypt at 4 rounds.
        old_salt = b"$2b$04$JyJxJ88RA6./w7JXtRglXe" if "bcrypt" in algorithm else "shortsalt"
        old = dj.make_password("correct horse", old_salt)
    with override_settings(PASSWORD_HASHERS=our_list):
        by_us = dj.make_password("correct horse")
        assert dj.identify_hasher(by_us).algorithm == algorithm
        assert dj.check_password("correct horse", by_django)
        assert not dj.check_password("wrong", by_django)
        assert not dj.identify_hasher(by_django).must_update(by_django)
        ours_says = dj.identify_hasher(old).must_update(old)
        rehashed = []
        assert dj.check_password("correct horse", old, setter=rehashed.append)
    with override_settings(PASSWORD_HASHERS=django_list):
        assert dj.check_password("correct horse", by_us)
        assert not dj.identify_hasher(by_us).must_update(by_us)
        assert dj.identify_hasher(old).must_update(old) == ours_says
    assert bool(rehashed) == ours_says


def test_rehash_rules_follow_django_for_other_work_factors():
    pairs = paths(
        "django.contrib.auth.hashers", ["PBKDF2PasswordHasher", "Argon2PasswordHasher", "BCryptSHA256PasswordHasher"]
    )
    mine = paths("djtoken.hashers", ["PBKDF2PasswordHasher", "Argon2PasswordHasher", "BCryptSHA256PasswordHasher"])
    stored = [
        dj.PBKDF2PasswordHasher().encode("pw", "abcdefghijklmnopqrstuv", 1000),
        "argon2$argon2i$v=19$m=512,t=2,p=2$YWJjZGVmZ2hpamts$" + "A" * 22,
        "bcrypt_sha256$$2b$10$JyJxJ88RA6./w7JXtRglXeJN9CziC5vMrW97ZZS4uPbwaV7IdUA86",
    ]
    for encoded in stored:
        with override_settings(PASSWORD_HASHERS=pairs):
            theirs = dj.identify_hasher(encoded).must_update(encoded)
        with override_settings(PASSWORD_HASHERS=mine):
            assert dj.identify_hasher(encoded).must_update(encoded) == theirs, encoded
            assert dj.identify_hasher(encoded).safe_summary(encoded)


def test_harden_runtime_runs_the_missing_iterations():
    hasher = ours.PBKDF2PasswordHasher()
    encoded = hasher.encode("pw", "abcdefghijklmnopqrstuv", hasher.iterations - 100)
    with mock.patch.object(hasher, "encode", wraps=hasher.encode) as encode:
        hasher.harden_runtime("wrong", encoded)
    encode.assert_called_once_with("wrong", "abcdefghijklmnopqrstuv", 100)
    bcrypt = ours.BCryptSHA256PasswordHasher()
    cheap = bcrypt.encode("pw", b"$2b$10$JyJxJ88RA6./w7JXtRglXe")
    with mock.patch.object(bcrypt, "encode", wraps=bcrypt.encode) as encode:
        bcrypt.harden_runtime("wrong", cheap)
    assert encode.call_count == 2 ** (bcrypt.rounds - 10) - 1


def test_bcrypt_refuses_long_passwords_as_django_with_bcrypt_5():
    with pytest.raises(ValueError):
        dj.BCryptPasswordHasher().encode("x" * 73, dj.BCryptPasswordHasher().salt())
    with pytest.raises(ValueError):
        ours.BCryptPasswordHasher().encode("x" * 73, ours.BCryptPasswordHasher().salt())


def test_reset_token_generator_is_djangos():
    utc = datetime.timezone.utc
    user = ResetUser(
        uuid.uuid4(), "pbkdf2_sha256$1$s$h", datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=utc), "a@example.com"
    )
    theirs, mine = DjangoResetGenerator(), OurResetGenerator()
    assert mine.make_token(user) == theirs.make_token(user)
    assert mine.check_token(user, theirs.make_token(user))
    assert theirs.check_token(user, mine.make_token(user))
    token = theirs.make_token(user)
    assert not mine.check_token(user, token[:-1] + ("1" if token.endswith("0") else "0"))
    ts = mine._num_seconds(mine._now()) - 259201
    old = (
        theirs._make_token_with_timestamp(user, ts)
        if SERIES == "3.2"
        else theirs._make_token_with_timestamp(user, ts, theirs.secret)
    )
    assert not mine.check_token(user, old) and not theirs.check_token(user, old)
    if SERIES != "3.2":
        # SECRET_KEY_FALLBACKS (Django 4.1+): a token of the previous key still passes.
        with override_settings(SECRET_KEY="new-key"):
            rotated = DjangoResetGenerator().make_token(user)
        with override_settings(SECRET_KEY="newer-key", SECRET_KEY_FALLBACKS=["new-key"]):
            assert OurResetGenerator().check_token(user, rotated)
            assert DjangoResetGenerator().check_token(user, rotated)


def test_every_change_to_the_settings_reaches_the_drop_in_and_signing_at_once():
    """The drop-in and djtoken.signing keep what they read from the settings between calls;
    override_settings, assignment and del still take effect on the next call, as they do for
    tokenapi and Django — and a setting the project lacks is its default there."""
    from django.conf import settings
    from django.core import signing as django_signing
    from djtoken import signing as our_signing
    from djtoken.tokenapi.tokens import token_generator as ours
    from tokenapi.tokens import token_generator as theirs

    class User:
        pk = 7
        password = "pbkdf2_sha256$1$abc$" + "A" * 43 + "="

    user = User()
    token = theirs.make_token(user)
    assert ours.check_token(user, token)
    original = settings.SECRET_KEY
    for change in ["override", "assign"]:
        if change == "override":
            context = override_settings(SECRET_KEY="changed-" + change)
        else:
            context = _assigned(settings, "SECRET_KEY", "changed-" + change)
        with context:
            assert not ours.check_token(user, token) and not theirs.check_token(user, token), change
            assert ours.check_token(user, theirs.make_token(user)), change
            signed = django_signing.dumps({"x": change})
            assert our_signing.loads(signed) == {"x": change}
        assert settings.SECRET_KEY == original
        assert ours.check_token(user, token), change
        assert our_signing.loads(django_signing.dumps(1)) == 1
    # TOKEN_TIMEOUT_DAYS: assigned, deleted (tokenapi's default of 7 then), as tokenapi reads it.
    old = theirs._make_token_with_timestamp(user, theirs._num_days(theirs._today()) - 3)
    timeout = getattr(settings, "TOKEN_TIMEOUT_DAYS", 7)
    try:
        settings.TOKEN_TIMEOUT_DAYS = 2
        assert not ours.check_token(user, old) and not theirs.check_token(user, old)
        del settings.TOKEN_TIMEOUT_DAYS
        assert ours.check_token(user, old) == theirs.check_token(user, old) == True  # noqa: E712
    finally:
        settings.TOKEN_TIMEOUT_DAYS = timeout


class _assigned:
    """``settings.<name> = value`` for the block, then back."""

    def __init__(self, settings, name, value):
        self.settings, self.name, self.value = settings, name, value

    def __enter__(self):
        self.old = getattr(self.settings, self.name)
        setattr(self.settings, self.name, self.value)

    def __exit__(self, *exc):
        setattr(self.settings, self.name, self.old)


def test_patching_the_clock_on_the_class_takes_effect_as_in_django():
    """Code that moves time by patching the generator class (or an instance) sees the same
    answers from djtoken's generators as from Django's and tokenapi's."""
    import djtoken.tokenapi.tokens as ours_tokenapi
    import tokenapi.tokens as theirs_tokenapi

    user = ResetUser(7, "pbkdf2_sha256$1$s$h", None, "a@example.com")
    token = ours_tokenapi.token_generator.make_token(user)
    assert token == theirs_tokenapi.token_generator.make_token(user)
    later = datetime.date.today() + datetime.timedelta(days=30)
    for module in (ours_tokenapi, theirs_tokenapi):
        with mock.patch.object(module.PasswordResetTokenGenerator, "_today", return_value=later):
            assert not module.token_generator.check_token(user, token), module
            assert (
                module.PasswordResetTokenGenerator()
                .make_token(user)
                .startswith(theirs_tokenapi.int_to_base36((later - datetime.date(2001, 1, 1)).days))
            )
        with mock.patch.object(module.token_generator, "_today", return_value=later):
            assert not module.token_generator.check_token(user, token), module
        assert module.token_generator.check_token(user, token), module

        class Later(module.PasswordResetTokenGenerator):
            def _num_days(self, dt):
                return super()._num_days(dt) + 30

        assert not Later().check_token(user, token), module
        assert Later().make_token(user) != token, module
        assert module.PasswordResetTokenGenerator().check_token(user, token), module
    reset_token = OurResetGenerator().make_token(user)
    four_days = datetime.datetime.now() + datetime.timedelta(days=4)
    for cls in (OurResetGenerator, DjangoResetGenerator):
        with mock.patch.object(cls, "_now", return_value=four_days):
            assert not cls().check_token(user, reset_token), cls
        assert cls().check_token(user, reset_token), cls


def test_reset_subclasses_with_their_own_hash_value():
    class Activation(OurResetGenerator):
        key_salt = "myapp.tokens.Activation"

        def _make_hash_value(self, user, timestamp):
            return f"{user.pk}{timestamp}{user.email}"

    class DjangoActivation(DjangoResetGenerator):
        key_salt = "myapp.tokens.Activation"

        def _make_hash_value(self, user, timestamp):
            return f"{user.pk}{timestamp}{user.email}"

    user = ResetUser(5, "x", None, "a@example.com")
    assert Activation().make_token(user) == DjangoActivation().make_token(user)
    assert Activation().check_token(user, DjangoActivation().make_token(user))
    assert not Activation().check_token(ResetUser(5, "x", None, "b@example.com"), DjangoActivation().make_token(user))


URLS = """
from django.http import JsonResponse
from django.urls import include, path
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from djtoken.tokenapi.decorators import token_required


@token_required
def protected(request):
    return JsonResponse({"user": request.user.pk})


@method_decorator(csrf_exempt, name="dispatch")
class Protected(View):
    @token_required
    def get(self, request):
        return JsonResponse({"user": request.user.pk, "view": "class"})

    @token_required
    def post(self, request):
        return JsonResponse({"user": request.user.pk, "view": "class"})


urlpatterns = [
    path("token/", include("djtoken.tokenapi.urls")),
    path("protected/", protected),
    path("cbv/", Protected.as_view()),
]
"""


@pytest.fixture
def djtoken_urls(tmp_path, monkeypatch):
    (tmp_path / "djtoken_test_urls.py").write_text(URLS)
    monkeypatch.syspath_prepend(str(tmp_path))
    backends = ["django.contrib.auth.backends.ModelBackend", "djtoken.tokenapi.backends.TokenBackend"]
    with override_settings(ROOT_URLCONF="djtoken_test_urls", AUTHENTICATION_BACKENDS=backends):
        yield


@pytest.mark.database
@pytest.mark.skipif(CUSTOM, reason="tokenapi's behaviour with Django's user model")
def test_djtoken_tokenapi_answers_as_tokenapi_and_better(djtoken_urls):
    from djtoken.tokenapi.tokens import token_generator
    from tokenapi.tokens import token_generator as tokenapi_generator

    user = User.objects.create_user("drop-" + uuid.uuid4().hex[:8], password="pw")
    token = token_generator.make_token(user)
    assert token == tokenapi_generator.make_token(user)
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    response = client.post("/token/new.json", {"username": user.username, "password": "pw"})
    assert response.status_code == 200 and response.json() == {"token": token, "user": user.pk, "success": True}
    assert client.get("/token/%s/%s.json" % (token, user.pk)).json() == {"success": True}
    assert client.get("/protected/", {"user": user.pk, "token": token}).json() == {"user": user.pk}
    # Where tokenapi gives a 500: a 403 / 401 in tokenapi's words.
    for bad in ["abc", "1.5", "1\x00", "9" * 5000]:
        response = client.get("/protected/", {"user": bad, "token": token})
        assert response.status_code == 403 and response.json()["errors"] == "Incorrect user and token pair."
    response = client.get("/token/%s/%s.json" % (token, "1" * 5000))
    assert response.status_code == 401
    response = client.post("/token/new.json", {"username": "x\x00y", "password": "pw"})
    assert response.status_code == 401
    # Class-based view methods.
    basic = "Basic " + __import__("base64").b64encode(("%s:%s" % (user.pk, token)).encode()).decode()
    assert client.get("/cbv/", HTTP_AUTHORIZATION=basic).json() == {"user": user.pk, "view": "class"}
    assert client.post("/cbv/", {"user": user.pk, "token": token}).status_code == 200
    assert client.get("/cbv/").status_code == 401
    # SECRET_KEY_FALLBACKS: a rotated key logs nobody out.
    from django.conf import settings

    with override_settings(SECRET_KEY="rotated-" + uuid.uuid4().hex, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]):
        assert client.get("/protected/", {"user": user.pk, "token": token}).status_code == 200
        assert not tokenapi_generator.check_token(user, token)


def run_tokenapi_suite(package):
    """tokenapi 2.1.1's own tests (from its PyPI sdist) against `package`."""
    sdist_dir = os.path.join(TOP, ".venv", "tokenapi-sdist")
    suite = os.path.join(os.path.dirname(__file__), "tokenapi_suite.py")
    env = dict(os.environ, DJTOKEN_SDIST_DIR=sdist_dir, DJTOKEN_TOKENAPI_PACKAGE=package)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run([sys.executable, suite], env=env, capture_output=True, text=True)


@pytest.mark.parametrize("package", ["tokenapi", "djtoken.tokenapi"])
def test_tokenapis_own_test_suite_passes(package):
    result = run_tokenapi_suite(package)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stderr and "Ran 11 tests" in result.stderr, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["package"] == package
