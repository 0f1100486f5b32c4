"""`import djtoken`: the core API against real Django, both ways, and bad arguments."""

import datetime
import subprocess
import sys
import threading
import uuid
from types import SimpleNamespace

import django
import djtoken
import pytest
from conftest import ResetUser
from django.contrib.auth import hashers as dj_hashers
from django.contrib.auth.tokens import PasswordResetTokenGenerator as DjangoResetGenerator
from django.test.utils import override_settings
from django.utils.crypto import salted_hmac as django_salted_hmac
from django.utils.http import base36_to_int as django_base36_to_int
from django.utils.http import int_to_base36 as django_int_to_base36
from tokenapi.tokens import token_generator as tokenapi_generator

SERIES = "%d.%d" % django.VERSION[:2]
SECRET = "test-secret-" + uuid.uuid4().hex


def test_import_djtoken_needs_no_django():
    code = (
        "import sys; sys.modules['django'] = None\n"
        "import djtoken\n"
        "assert 'django' not in [m.split('.')[0] for m in sys.modules if sys.modules[m]]\n"
        "print(djtoken.salted_hmac('a', 'b', 'c').hexdigest())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == django_salted_hmac("a", "b", secret="c", algorithm="sha1").hexdigest()


def test_the_readmes_python_example_runs_as_written_without_django():
    from conftest import doc_block

    code = "import sys; sys.modules['django'] = None\n" + doc_block("python-example", "python")
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


ALGORITHMS = ["sha1", "sha256", "md5", "sha224", "sha384", "sha512", "sha3_224", "sha3_256", "sha3_384", "sha3_512"]


@pytest.mark.parametrize("algorithm", ALGORITHMS + ["blake2b", "blake2s"])
def test_salted_hmac_matches_django(algorithm):
    for salt, value, secret in [
        ("k", "v", "s"),
        ("", "", "x"),
        ("ünï", "日本", "sécret"),
        ("k" * 300, "v" * 5000, "s"),
    ]:
        ours = djtoken.salted_hmac(salt, value, secret, algorithm=algorithm)
        theirs = django_salted_hmac(salt, value, secret=secret, algorithm=algorithm)
        assert ours.hexdigest() == theirs.hexdigest() and ours.digest() == theirs.digest()
    assert (
        djtoken.salted_hmac(b"k", b"\xff", b"s").hexdigest()
        == django_salted_hmac(b"k", b"\xff", secret=b"s").hexdigest()
    )


def test_base36_matches_django():
    for i in [0, 1, 35, 36, 9000, 46656, 2**63, 2**128 + 5, 36**40]:
        assert djtoken.int_to_base36(i) == django_int_to_base36(i)
    for s in ["6y0", " 6y0", "6Y0", "٦y0", "0_0", "zzzzzzzzzzzzz"]:
        assert djtoken.base36_to_int(s) == django_base36_to_int(s)
    for s in ["zzzzzzzzzzzzzz", "", "6y0!"]:
        with pytest.raises(ValueError):
            django_base36_to_int(s)
        with pytest.raises(ValueError):
            djtoken.base36_to_int(s)


def users():
    yield SimpleNamespace(pk=1, password="pbkdf2_sha256$260000$abcdefghijklmnopqrstuv$" + "A" * 43 + "=")
    yield SimpleNamespace(pk=2**40, password="")
    yield SimpleNamespace(pk=uuid.uuid4(), password="argon2$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA")
    yield SimpleNamespace(pk="ünïcødé", password="!" + "x" * 40)


def test_tokenapi_tokens_both_ways():
    generator = djtoken.TokenapiTokenGenerator(SECRET)
    today = generator.today()
    with override_settings(SECRET_KEY=SECRET):
        for user in users():
            for days in [0, 9000, 46656, today]:
                assert generator.make_token_for(user.pk, user.password, days) == (
                    tokenapi_generator._make_token_with_timestamp(user, days)
                )
            theirs = tokenapi_generator.make_token(user)
            assert generator.verify(user, theirs) is djtoken.Verdict.VALID
            assert tokenapi_generator.check_token(user, generator.make_token(user))
            old = tokenapi_generator._make_token_with_timestamp(user, today - 8)
            assert generator.verify(user, old) is djtoken.Verdict.EXPIRED
            assert not generator.check_token(user, old)
    other = djtoken.TokenapiTokenGenerator("another key", fallbacks=[SECRET])
    user = next(users())
    assert other.check_token(user, generator.make_token(user))
    assert djtoken.TokenapiTokenGenerator("another key").verify(user, generator.make_token(user)) is (
        djtoken.Verdict.INVALID
    )
    assert generator.verify(user, "6Y0-a438a0c8937197581e32") is djtoken.Verdict.MALFORMED
    assert generator.verify(user, None) is djtoken.Verdict.MALFORMED


def test_reset_tokens_both_ways():
    utc = datetime.timezone.utc
    generator = djtoken.PasswordResetTokenGenerator(SECRET)
    with override_settings(SECRET_KEY=SECRET):
        django_generator = DjangoResetGenerator()
        for last_login in [
            None,
            datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=utc),
            datetime.datetime(2024, 1, 2, 3, 4, 5),
        ]:
            for email in ["", "ünï@example.com", None]:
                user = ResetUser(7, "pbkdf2_sha256$1$salt$hash", last_login, email)
                now = datetime.datetime.now(utc).replace(tzinfo=None)
                ts = int((now - datetime.datetime(2001, 1, 1)).total_seconds())
                if SERIES == "3.2":
                    theirs = django_generator._make_token_with_timestamp(user, ts)
                else:
                    theirs = django_generator._make_token_with_timestamp(user, ts, SECRET)
                assert generator.make_token(user, timestamp=ts) == theirs
                assert generator.verify(user, theirs) is djtoken.Verdict.VALID
                assert django_generator.check_token(user, generator.make_token(user))
        assert generator.verify(user, "") is djtoken.Verdict.MALFORMED


def test_passwords_both_ways():
    version = SERIES
    for algorithm in ["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "md5"] + (
        ["scrypt"] if SERIES != "3.2" else []
    ):
        hasher = dj_hashers.get_hasher(algorithm) if algorithm != "md5" else dj_hashers.MD5PasswordHasher()
        django_made = hasher.encode("pässword", hasher.salt())
        ours = djtoken.check_password("pässword", django_made, django_version=version, password_hashers=[algorithm])
        assert ours.is_correct and not ours.must_update, (algorithm, django_made)
        assert not djtoken.check_password(
            "wrong", django_made, django_version=version, password_hashers=[algorithm]
        ).is_correct
        made = djtoken.make_password("pässword", hasher=algorithm, django_version=version, password_hashers=[algorithm])
        assert hasher.verify("pässword", made) and not hasher.must_update(made), (algorithm, made)
    salt = "abcdefghijklmnopqrstuv"
    assert djtoken.make_password("correct horse", salt, django_version=version) == dj_hashers.make_password(
        "correct horse", salt
    )


def test_inside_a_project_check_password_follows_its_password_hashers():
    """An Argon2-first project: djtoken.check_password (no version, no list) answers what
    the project's check_password would, rehash included."""
    argon2_first = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    with override_settings(PASSWORD_HASHERS=argon2_first):
        encoded = dj_hashers.make_password("pässword")
        assert encoded.startswith("argon2$")
        ours = djtoken.check_password("pässword", encoded)
        assert ours.is_correct and not ours.must_update, encoded
        pbkdf2 = dj_hashers.get_hasher("pbkdf2_sha256").encode("pässword", "abcdefghijklmnopqrstuv")
        changed = []
        assert dj_hashers.check_password("pässword", pbkdf2, setter=changed.append)
        assert djtoken.check_password("pässword", pbkdf2).must_update == bool(changed) == True  # noqa: E712
        assert djtoken.make_password("x").startswith("argon2$")
    # Back to the project's own list: djtoken follows the change, as get_hashers() does.
    assert djtoken.check_password("pässword", encoded).must_update == (dj_hashers.get_hasher().algorithm != "argon2")


def test_the_hashers_edges_are_djangos_or_capped():
    from djtoken import _djtoken as native
    from djtoken import hashers as ours

    # hashlib's own refusal, where Django's PBKDF2 hasher would raise it.
    for hasher in [ours.PBKDF2PasswordHasher(), dj_hashers.PBKDF2PasswordHasher()]:
        with pytest.raises(ValueError, match="iteration value must be greater than 0."):
            hasher.encode("pw", "abcdefghijklmnopqrstuv", -1)
    # A planted bcrypt cost of 17 (ten seconds) or a billion PBKDF2 iterations is refused
    # like a wrong password, before any hashing; the encoder says why.
    planted = "bcrypt_sha256$$2b$17$" + "a" * 53
    assert ours.BCryptSHA256PasswordHasher().verify("pw", planted) is False
    with pytest.raises(native.WorkFactorTooHigh, match="rounds 17"):
        ours.BCryptSHA256PasswordHasher().encode("pw", b"$2b$17$" + b"a" * 22)
    planted = "pbkdf2_sha256$1000000000$abcdefghijklmnopqrstuv$" + "A" * 43 + "="
    assert ours.PBKDF2PasswordHasher().verify("pw", planted) is False
    # A project's own factors raise the cap to themselves.

    class Heavy(ours.PBKDF2PasswordHasher):
        iterations = 25_000_000

    with pytest.raises(native.WorkFactorTooHigh):
        ours.PBKDF2PasswordHasher().encode("pw", "abcdefghijklmnopqrstuv", 25_000_000)
    assert Heavy().verify("pw", planted) is False


def test_the_configuration_file_writes_toml_strings_tomllib_reads_back():
    import random

    from djtoken.config.export import _q

    tomllib = pytest.importorskip("tomllib")
    rng = random.Random(7)
    alphabet = ['"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "\u2028", "😀", "\U0010ffff", "a", " "]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert tomllib.loads("v = %s" % _q(text))["v"] == text, repr(text)
        assert tomllib.loads("v = %s" % _q([text, True, 3, 0.25]))["v"] == [text, True, 3, 0.25]
    with pytest.raises(ValueError):
        _q("\ud800")


def test_bad_arguments_raise_value_or_type_errors():
    with pytest.raises(ValueError):
        djtoken.salted_hmac("a", "b", "c", algorithm="whatever")
    with pytest.raises(TypeError):
        djtoken.salted_hmac("a", 5, "c")
    with pytest.raises(ValueError):
        djtoken.salted_hmac("a", "\ud800", "c")
    with pytest.raises(ValueError):
        djtoken.int_to_base36(-1)
    with pytest.raises(TypeError):
        djtoken.int_to_base36("1")
    with pytest.raises(TypeError):
        djtoken.make_password(123)
    with pytest.raises(ValueError):
        djtoken.check_password("x", "pbkdf2_sha256$abc$salt$hash")
    with pytest.raises(ValueError):
        djtoken.check_password("x", "argon2$garbage")
    with pytest.raises(TypeError):
        djtoken.check_password("x", None)
    with pytest.raises(ValueError):
        djtoken.Hashers("4.3")
    with pytest.raises(ValueError):
        djtoken.Hashers("6.1", ["nope"])
    with pytest.raises(ValueError):
        djtoken.TokenapiTokenGenerator("")
    with pytest.raises(ValueError):
        djtoken.make_password("x", hasher="bcrypt", password_hashers=["bcrypt"], salt="nonsense")
    with pytest.raises(ValueError):
        djtoken.make_password("x" * 73, hasher="bcrypt", password_hashers=["bcrypt"])
    assert djtoken.check_password("x", "unknown$1$2") == (False, False)
    assert djtoken.check_password(None, "pbkdf2_sha256$1$a$b") == (False, False)
    assert not djtoken.is_password_usable(djtoken.make_password(None))
    assert djtoken.identify_hasher("0" * 32, password_hashers=["unsalted_md5"]) == "unsalted_md5"


def test_profiles_are_djangos():
    assert djtoken.django_versions() == ["3.2", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1"]
    mine = djtoken.profile(SERIES)
    assert mine["pbkdf2_iterations"] == dj_hashers.PBKDF2PasswordHasher.iterations
    from django.conf import global_settings

    assert mine["password_hashers"] == [dj_hashers.import_string(h).algorithm for h in global_settings.PASSWORD_HASHERS]


def test_hashing_releases_the_interpreter_lock():
    """While a thread hashes, another runs Python code. With a switch interval far longer
    than a hash, a thread that kept the interpreter lock through the hash would only let the
    main thread run after the hash; one that releases it lets the main thread see the hash
    still running, whatever the number of cores or the machine's load."""
    hashers = djtoken.Hashers(SERIES)
    encoded = hashers.make_password("pw", "abcdefghijklmnopqrstuv")
    started, finished = threading.Event(), []

    def work():
        started.set()
        hashers.check_password("pw", encoded)
        finished.append(True)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(60)
    try:
        thread = threading.Thread(target=work)
        thread.start()
        started.wait()
        # The main thread runs again only when the worker gives the lock up.
        hashing_meanwhile = not finished
        thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert hashing_meanwhile, "the main thread could not run until the hash was done"
