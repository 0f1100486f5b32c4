"""One configuration, taken from the Django project itself.

A project with non-default settings wherever djtoken must follow them (Argon2 preferred, a
PBKDF2 subclass with its own iterations, TIME_ZONE Asia/Kolkata, TOKEN_TIMEOUT_DAYS 3,
SECRET_KEY_FALLBACKS, a custom user model with a UUID pk and email as USERNAME_FIELD: see
DJTOKEN_FIXTURE_PROJECT in fixtures/gen/settings.py) runs `manage.py djtoken_config`, and
`djtoken serve --config` on that file alone speaks as the project does: it accepts the
project's tokens, issues tokens the project accepts, logs users in without touching a hash the
project would keep, and counts days where the project does.
"""

import datetime
import os
import shlex
import stat
import subprocess
import sys
import uuid
from urllib.parse import quote

import django
import pytest
import tomllib
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from tokenapi.tokens import token_generator

pytestmark = pytest.mark.database

if os.environ.get("DJTOKEN_FIXTURE_PROJECT") != "custom":
    pytest.skip("runs with DJTOKEN_FIXTURE_PROJECT=custom (scripts/test does)", allow_module_level=True)

User = get_user_model()
PASSWORD = "correct horse battery"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    folder = tmp_path_factory.mktemp("project")
    output, key = folder / "djtoken.toml", folder / "djtoken-secret-key"
    call_command("djtoken_config", output=str(output), secret_key_file=str(key))
    return output


def test_the_file_says_what_the_project_says(config):
    text = config.read_text()
    assert settings.SECRET_KEY not in text and settings.SECRET_KEY_FALLBACKS[0] not in text
    conf = tomllib.loads(text)
    assert conf["DJANGO_VERSION"] == "%d.%d.%d" % django.VERSION[:3]
    from django.conf import global_settings

    if hasattr(global_settings, "SIGNED_COOKIE_LEGACY_SALT_FALLBACK"):
        assert conf["SIGNED_COOKIE_LEGACY_SALT_FALLBACK"] is settings.SIGNED_COOKIE_LEGACY_SALT_FALLBACK
    else:
        assert "SIGNED_COOKIE_LEGACY_SALT_FALLBACK" not in conf
    assert conf["TIME_ZONE"] == "Asia/Kolkata" and conf["TOKEN_TIMEOUT_DAYS"] == 3
    # The subclass shares its algorithm with the Django class after it, which Django's
    # get_hasher("pbkdf2_sha256") never reaches: its iterations are the ones in force.
    assert conf["PASSWORD_HASHERS"] == ["argon2", "pbkdf2_sha256", "bcrypt_sha256"]
    assert conf["PASSWORD_HASHER_PARAMS"]["pbkdf2_sha256"] == {"iterations": 1_234_567}
    model = conf["USER_MODEL"]
    assert model["PK_TYPE"] == "uuid" and model["USERNAME_FIELD"] == "email"
    assert model["IS_ACTIVE_COLUMN"] == "none" and model["TABLE"] == User._meta.db_table
    key = conf["SECRET_KEY_FILE"]
    assert open(key).read() == settings.SECRET_KEY + "\n"
    fallbacks = conf["SECRET_KEY_FALLBACKS_FILE"]
    assert open(fallbacks).read().splitlines() == settings.SECRET_KEY_FALLBACKS
    for path in (key, fallbacks):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


MANAGE_PY = """import sys

from django.core.management import execute_from_command_line

sys.path.insert(0, %r)
execute_from_command_line(sys.argv)
"""


def test_the_readmes_commands_export_then_serve(serve, tmp_path):
    """The README's two commands, in a project folder with a manage.py: djtoken_config writes
    the file, and `djtoken serve --config djtoken.toml` alone logs the project's users in."""
    from conftest import GEN, doc_block

    export, start = doc_block("django-config", "sh").strip().splitlines()
    (tmp_path / "manage.py").write_text(MANAGE_PY % GEN)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    subprocess.run(["bash", "-euo", "pipefail", "-c", export], cwd=tmp_path, env=env, check=True)
    assert stat.S_IMODE(os.stat(tmp_path / "djtoken-secret-key").st_mode) == 0o600
    command = shlex.split(start)
    assert command[:2] == ["djtoken", "serve"], command
    server = serve([str(tmp_path / a) if a == "djtoken.toml" else a for a in command[2:]], configured=True)
    user = User.objects.create_user("readme-%s@example.com" % uuid.uuid4().hex[:8], PASSWORD)
    status, _, body = login(server, user.email)
    assert status == 200 and b'"success": true' in body, body


def test_djtoken_config_in_installed_apps_does_not_load_the_extension_at_start_up():
    from conftest import GEN

    code = "import sys, django; django.setup(); print('djtoken._djtoken' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=GEN)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert "djtoken.config" in settings.INSTALLED_APPS and out.strip() == "False", out


def test_a_missing_folder_is_a_command_error_and_nothing_is_written(tmp_path):
    from django.core.management.base import CommandError

    output, key = tmp_path / "djtoken.toml", tmp_path / "no-such-folder" / "djtoken-key"
    with pytest.raises(CommandError, match="no-such-folder does not exist"):
        call_command("djtoken_config", output=str(output), secret_key_file=str(key))
    assert not output.exists()


def login(server, email):
    body = "username=%s&password=%s" % (quote(email), quote(PASSWORD))
    return server.request("POST", "/token/new.json", body=body, headers=FORM)


def test_serve_with_the_file_alone_speaks_as_the_project(serve, config):
    server = serve(["--config", str(config)], configured=True)
    user = User.objects.create_user("cfg-%s@example.com" % uuid.uuid4().hex[:8], PASSWORD)
    assert user.password.startswith("argon2$")
    stored = user.password
    # The project's token, accepted by djtoken.
    theirs = token_generator.make_token(user)
    status, headers, _ = server.request("GET", "/auth?user=%s&token=%s" % (user.pk, theirs))
    assert status == 200 and headers["x-auth-username"] == quote(user.email, safe="@")
    # djtoken's login: the project's token, and the stored hash untouched (Django keeps it).
    status, _, body = login(server, user.email)
    assert status == 200, body
    import json

    ours = json.loads(body)["token"]
    assert ours == theirs and token_generator.check_token(user, ours)
    user.refresh_from_db()
    assert user.password == stored
    # Days end where the project's do: TOKEN_TIMEOUT_DAYS = 3 in Asia/Kolkata.
    today = (datetime.date.today() - datetime.date(2001, 1, 1)).days
    for age in (3, 4, -1):
        token = token_generator._make_token_with_timestamp(user, today - age)
        status, _, _ = server.request("GET", "/auth?user=%s&token=%s" % (user.pk, token))
        assert (status == 200) == token_generator.check_token(user, token), (age, status)
    # Other hashes: djtoken's login rewrites exactly those the project's check_password would.
    from django.contrib.auth.hashers import check_password, make_password

    for hasher in ("argon2", "pbkdf2_sha256", "bcrypt_sha256"):
        other = User.objects.create_user("cfg-%s@example.com" % uuid.uuid4().hex[:8])
        other.password = make_password(PASSWORD, hasher=hasher)
        other.save()
        before, django_rehashes = other.password, []
        assert check_password(PASSWORD, before, setter=django_rehashes.append)
        assert login(server, other.email)[0] == 200
        other.refresh_from_db()
        assert (other.password != before) == bool(django_rehashes), (hasher, before, other.password)
        assert check_password(PASSWORD, other.password)


def test_every_command_reads_the_file(djtoken_bin, config):
    """`password hash` with the file alone writes the project's hashes, the subclass's
    iterations included, which the project's check_password keeps as they are."""
    from conftest import run
    from django.contrib.auth.hashers import check_password

    env = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}
    for algorithm, prefix in (("pbkdf2_sha256", "pbkdf2_sha256$1234567$"), (None, "argon2$")):
        args = [djtoken_bin, "--config", str(config), "password", "hash"]
        args += ["--algorithm", algorithm] if algorithm else []
        _, encoded, _ = run(args, PASSWORD, env=env, check=0)
        encoded = encoded.strip()
        assert encoded.startswith(prefix), encoded
        assert check_password(PASSWORD, encoded)
    _, shown, _ = run([djtoken_bin, "--config", str(config), "config", "show"], env=env, check=0)
    assert 'TIME_ZONE = "Asia/Kolkata"  # file ' in shown, shown
    assert settings.SECRET_KEY not in shown


def test_alternating_logins_leave_the_hash_and_the_tokens_alone(serve, config):
    server = serve(["--config", str(config)], configured=True)
    user = User.objects.create_user("alt-%s@example.com" % uuid.uuid4().hex[:8], PASSWORD)
    stored, token = user.password, token_generator.make_token(user)
    for _ in range(3):
        assert authenticate(None, email=user.email, password=PASSWORD) is not None
        user.refresh_from_db()
        assert user.password == stored
        status, _, body = login(server, user.email)
        assert status == 200, body
        user.refresh_from_db()
        assert user.password == stored
        assert token_generator.check_token(user, token)
        status, _, _ = server.request("GET", "/auth?user=%s&token=%s" % (user.pk, token))
        assert status == 200


def test_what_djtoken_cannot_honour_is_reported_not_dropped():
    from django.test.utils import override_settings
    from djtoken.config.export import _database_url, export

    hashers = ["projecthashers.HomegrownPasswordHasher", *settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=hashers):
        written = export()
    assert any("HomegrownPasswordHasher" in p and "homegrown" in p for p in written.problems), written.problems
    assert "# Not carried over: PASSWORD_HASHERS: projecthashers.HomegrownPasswordHasher" in written.text
    assert tomllib.loads(written.text)["PASSWORD_HASHERS"][0] == "argon2"
    problems = []
    assert _database_url({"ENGINE": "django.db.backends.oracle", "NAME": "x"}, problems) is None
    assert "not one djtoken speaks" in problems[0], problems
    # MySQL as dj-database-url writes it: the password left out and said so, a socket as the
    # percent-encoded host, OPTIONS djtoken cannot carry named.
    mysql = "django.db.backends.mysql"
    problems = []
    url = _database_url(
        {"ENGINE": mysql, "NAME": "app", "USER": "u", "PASSWORD": "hunter2", "HOST": "db", "PORT": 3307}, problems
    )
    assert url == "mysql://u@db:3307/app" and "password" in problems[0], (url, problems)
    problems = []
    options = {"unix_socket": "/run/mysqld/mysqld.sock", "charset": "utf8mb4"}
    url = _database_url({"ENGINE": mysql, "NAME": "app", "USER": "u", "OPTIONS": options}, problems)
    assert url == "mysql://u@%2Frun%2Fmysqld%2Fmysqld.sock/app" and problems == [], (url, problems)
    problems = []
    url = _database_url({"ENGINE": mysql, "NAME": "app", "OPTIONS": {"read_default_file": "/etc/my.cnf"}}, problems)
    assert url == "mysql://localhost/app" and "read_default_file" in problems[0], (url, problems)
    problems = []
    url = _database_url(
        {"ENGINE": "django.db.backends.postgresql", "NAME": "app", "USER": "u", "PASSWORD": "hunter2", "HOST": "db"},
        problems,
    )
    assert url == "postgres://u@db/app" and "hunter2" not in url and "password" in problems[0], (url, problems)


def test_no_password_is_written_into_the_file_and_each_can_go_to_a_file_of_its_own(tmp_path):
    """The database's and the session cache's passwords are withheld from djtoken.toml (the
    report says how to give them); --database-password-file and --cache-password-file write
    them to files only their owner can read, which the configuration names."""
    from django.test.utils import override_settings
    from djtoken.config.export import export

    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://:r3d%2Fs3cret@cache.example:6379/1",
        }
    }
    database = dict(settings.DATABASES["default"], PASSWORD="db-s3cret")
    with override_settings(
        CACHES=caches, SESSION_ENGINE="django.contrib.sessions.backends.cache", DATABASES={"default": database}
    ):
        written = export()
        assert "r3d" not in written.text and "db-s3cret" not in written.text, written.text
        parsed = tomllib.loads(written.text)
        assert parsed["SESSION_CACHE_URL"].startswith("redis://cache.example:6379/1?"), parsed
        if not database["ENGINE"].endswith("sqlite3"):
            assert any("--database-password-file" in p for p in written.problems), written.problems
        assert any("--cache-password-file" in p for p in written.problems), written.problems
        output = tmp_path / "djtoken.toml"
        call_command(
            "djtoken_config",
            output=str(output),
            database_password_file=str(tmp_path / "db.password"),
            cache_password_file=str(tmp_path / "cache.password"),
        )
    parsed = tomllib.loads(output.read_text())
    assert parsed["SESSION_CACHE_PASSWORD_FILE"] == str(tmp_path / "cache.password"), parsed
    assert (tmp_path / "cache.password").read_text() == "r3d/s3cret\n"
    assert stat.S_IMODE((tmp_path / "cache.password").stat().st_mode) == 0o600
    if database["ENGINE"].endswith("sqlite3"):
        assert "DATABASE_PASSWORD_FILE" not in parsed and not (tmp_path / "db.password").exists()
    else:
        assert parsed["DATABASE_PASSWORD_FILE"] == str(tmp_path / "db.password"), parsed
        assert (tmp_path / "db.password").read_text() == "db-s3cret\n"
        assert stat.S_IMODE((tmp_path / "db.password").stat().st_mode) == 0o600
    assert "s3cret" not in output.read_text()
