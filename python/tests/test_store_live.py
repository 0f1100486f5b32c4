"""djtoken and real Django on one database (SQLite or PostgreSQL, default or custom user
model): logins, tokens both ways, rehashing, concurrency, db init."""

import os
import subprocess
import sys
import uuid

import django
import pytest
from conftest import GEN, LIVE_DB, STATE, create_database, drop_database, run
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, identify_hasher
from tokenapi.tokens import token_generator

pytestmark = pytest.mark.database

SERIES = "%d.%d" % django.VERSION[:2]
CUSTOM = settings.AUTH_USER_MODEL == "emailuser.EmailUser"
User = get_user_model()


def mapping_env():
    if not CUSTOM:
        return {}
    return {
        "DJTOKEN_USER_TABLE": User._meta.db_table,
        "DJTOKEN_PK_TYPE": "uuid",
        "DJTOKEN_USERNAME_FIELD": "email",
        "DJTOKEN_EMAIL_FIELD": "email",
        "DJTOKEN_IS_ACTIVE_COLUMN": "none",
    }


@pytest.fixture
def djtoken(djtoken_bin, database_url):
    def call(*args, password=None, version=None, check=None):
        env = dict(
            os.environ,
            DJTOKEN_DATABASE=database_url,
            DJTOKEN_SECRET_KEY=settings.SECRET_KEY,
            DJTOKEN_TIME_ZONE=settings.TIME_ZONE,
            **mapping_env(),
        )
        env.pop("DJTOKEN_DJANGO_VERSION", None)
        extra = ["--django-version", version] if version else []
        return run([djtoken_bin, *args, *extra], stdin=password or b"", env=env, check=check)

    return call


def new_user(password="correct horse", active=True):
    name = "u" + uuid.uuid4().hex[:10]
    if CUSTOM:
        return User.objects.create_user(name + "@example.com", password)
    user = User.objects.create_user(name, name + "@example.com", password)
    if not active:
        user.is_active = False
        user.save()
    return user


def username(user):
    return getattr(user, User.USERNAME_FIELD)


def login(djtoken, user, password="correct horse", version=None):
    code, out, err = djtoken("token", "new", "--username", username(user), password=password, version=version)
    return code, out.strip(), err


def token_of(out):
    import json

    body = json.loads(out)
    assert body["success"] is True, body
    return body["token"], body["user"]


def old_hash(user, password="correct horse", iterations=1000):
    """Store a hash the current Django version would upgrade (other iterations)."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(password, hasher.salt(), iterations=iterations)
    user.save()
    return user.password


def test_djtoken_login_gives_tokens_django_tokenapi_accepts(djtoken):
    user = new_user()
    code, out, err = login(djtoken, user)
    assert code == 0, err
    token, pk = token_of(out)
    assert str(pk) == str(user.pk)
    assert authenticate(pk=str(pk), token=token) == user
    assert token == token_generator.make_token(user)


def test_djtoken_accepts_django_tokens_and_refuses_them_for_others(djtoken):
    user, other = new_user(), new_user()
    token = token_generator.make_token(user)
    assert djtoken("token", "verify", "--user", str(user.pk), token)[0] == 0
    assert djtoken("token", "verify", "--user", str(other.pk), token)[0] == 1
    altered = token[:-1] + ("1" if token.endswith("0") else "0")
    assert djtoken("token", "verify", "--user", str(user.pk), altered)[0] == 1


def test_wrong_password_unknown_user_and_exact_usernames(djtoken):
    user = new_user()
    assert login(djtoken, user, password="wrong")[0] == 1
    code, out, _ = djtoken("token", "new", "--username", "nobody-" + uuid.uuid4().hex, password="x")
    assert code == 1 and "Unable to log you in" in out
    # Django's lookup is the database's: exact on SQLite and PostgreSQL, the column's
    # collation on MySQL (case- and trailing-space-insensitive by default). No NFKC either way.
    for spelling in [username(user).upper(), username(user) + "  ", username(user).title()]:
        code, out, _ = djtoken("token", "new", "--username", spelling, password="correct horse")
        django_user = authenticate(username=spelling, password="correct horse")
        assert (code == 0) == (django_user == user), (spelling, code, out, django_user)
        if code == 0:
            assert str(token_of(out)[1]) == str(user.pk)
    if LIVE_DB == "mysql":
        assert authenticate(username=username(user).upper(), password="correct horse") == user
    else:
        assert authenticate(username=username(user).upper(), password="correct horse") is None


@pytest.mark.skipif(CUSTOM, reason="the custom model has no is_active field")
def test_inactive_users_are_refused_both_ways(djtoken):
    user = new_user(active=False)
    assert login(djtoken, user)[0] == 1
    assert authenticate(username=username(user), password="correct horse") is None
    token = token_generator.make_token(user)
    assert djtoken("token", "verify", "--user", str(user.pk), token)[0] == 1
    assert authenticate(pk=str(user.pk), token=token) is None


@pytest.mark.skipif(CUSTOM, reason="integer ids")
def test_user_ids_are_read_as_django_reads_them(djtoken):
    user = new_user()
    token = token_generator.make_token(user)
    for text in [
        str(user.pk),
        " %d" % user.pk,
        "+%d" % user.pk,
        "0%d" % user.pk,
        "".join(chr(0x660 + int(d)) for d in str(user.pk)),
    ]:
        assert authenticate(pk=text, token=token) == user, text
        assert djtoken("token", "verify", "--user", text, token)[0] == 0, text
    # Where Django raises (a 500 in tokenapi), djtoken says "no such user".
    for text in ["abc", "1.5", " ", "9" * 30, "2147483648"]:
        code, out, err = djtoken("token", "verify", "--user", text, token)
        assert code == 1 and "Token did not match user." in out, (text, err)


def test_login_rehashes_only_when_told_the_django_version(djtoken):
    user = new_user()
    stored = old_hash(user)
    old_token = token_generator.make_token(user)
    # No version: never rehash, the old token lives on.
    code, out, _ = login(djtoken, user)
    assert code == 0
    user.refresh_from_db()
    assert user.password == stored
    assert token_of(out)[0] == old_token
    # This Django's version: rehash exactly as Django would.
    code, out, err = login(djtoken, user, version=SERIES)
    assert code == 0, err
    user.refresh_from_db()
    assert user.password != stored
    assert check_password("correct horse", user.password)
    assert not identify_hasher(user.password).must_update(user.password)
    new_token, _ = token_of(out)
    assert authenticate(pk=str(user.pk), token=new_token) == user
    assert authenticate(pk=str(user.pk), token=old_token) is None  # a rehash invalidates tokens


def test_concurrent_logins_during_a_rehash_leave_one_valid_hash(djtoken_bin, database_url):
    env = dict(os.environ, DJTOKEN_DATABASE=database_url, DJTOKEN_SECRET_KEY=settings.SECRET_KEY, **mapping_env())
    for _ in range(3):
        user = new_user()
        stored = old_hash(user)
        args = [djtoken_bin, "token", "new", "--username", username(user), "--django-version", SERIES]
        procs = [
            subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            for _ in range(2)
        ]
        results = [p.communicate(b"correct horse") for p in procs]
        assert all(p.returncode == 0 for p in procs), results
        tokens = {token_of(out.decode())[0] for out, _ in results}
        user.refresh_from_db()
        assert user.password != stored and check_password("correct horse", user.password)
        # Both logins answer with a token for the one hash that is stored.
        assert tokens == {token_generator.make_token(user)}
        assert authenticate(pk=str(user.pk), token=tokens.pop()) == user


def test_a_password_changed_by_django_invalidates_djtoken_tokens(djtoken):
    user = new_user()
    token, pk = token_of(login(djtoken, user)[1])
    assert djtoken("token", "verify", "--user", str(pk), token)[0] == 0
    user.set_password("another horse")
    user.save()
    assert djtoken("token", "verify", "--user", str(pk), token)[0] == 1
    assert authenticate(pk=str(pk), token=token) is None
    assert login(djtoken, user, password="another horse")[0] == 0


def test_users_djtoken_creates_log_in_with_django(djtoken):
    if CUSTOM:
        pytest.skip("djtoken user create fills the auth_user columns of a custom model it knows only by mapping")
    name = "created-" + uuid.uuid4().hex[:8]
    code, out, err = djtoken(
        "user", "create", name, "--email", "X@EXAMPLE.COM", password="pw from djtoken", version=SERIES
    )
    assert code == 0, err
    user = authenticate(username=name, password="pw from djtoken")
    assert user is not None and user.email == "X@example.com" and user.is_active
    assert not identify_hasher(user.password).must_update(user.password)


@pytest.mark.skipif(CUSTOM, reason="db init creates Django's own auth tables")
def test_db_init_leaves_nothing_for_migrate(djtoken_bin):
    if LIVE_DB != "sqlite":
        url = create_database("djtoken_init_")
    else:
        url = "sqlite:" + os.path.join(STATE["tmp"], "init-%s.sqlite3" % uuid.uuid4().hex[:8])
    try:
        run([djtoken_bin, "db", "init", "--database", url, "--django-version", SERIES], check=0)
        run([djtoken_bin, "db", "init", "--database", url, "--django-version", SERIES], check=0)
        env = dict(os.environ, DJTOKEN_FIXTURE_DATABASE=url, DJANGO_SETTINGS_MODULE="settings", PYTHONPATH=GEN)
        # A project with only auth and contenttypes: what db init creates.
        env.pop("DJTOKEN_FIXTURE_USER_MODEL", None)
        env.pop("DJTOKEN_FIXTURE_TOKENAPI_URLS", None)
        code, out, err = run([sys.executable, "-W", "ignore", "-m", "django", "migrate", "--check"], env=env)
        assert code == 0, out + err
        code, out, err = run(
            [sys.executable, "-W", "ignore", "-m", "django", "showmigrations", "auth", "contenttypes"], env=env
        )
        assert "[ ]" not in out and "[X]" in out, out
        if LIVE_DB == "mysql":
            created = mysql_tables(url)
            assert "auth_user" in created and created == mysql_tables(STATE["url"], only=created)
    finally:
        if LIVE_DB != "sqlite":
            drop_database(url)


def mysql_tables(url, only=None):
    """Each table's SHOW CREATE TABLE (types, indexes, keys, character set and collation),
    without the AUTO_INCREMENT counter."""
    import re

    from conftest import _mysql_admin

    conn = _mysql_admin(url)
    cursor = conn.cursor()
    name = url.rsplit("/", 1)[1]
    cursor.execute("SHOW TABLES FROM `%s`" % name)
    tables = sorted(row[0] for row in cursor.fetchall() if only is None or row[0] in only)
    created = {}
    for table in tables:
        cursor.execute("SHOW CREATE TABLE `%s`.`%s`" % (name, table))
        created[table] = re.sub(r" AUTO_INCREMENT=\d+", "", cursor.fetchone()[1])
    conn.close()
    return created
