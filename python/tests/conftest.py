"""Live tests: real Django (from the virtualenv running pytest) and djtoken on one database.

Environment:
  DJTOKEN_LIVE_DB               sqlite (default), postgres or mysql
  DJTOKEN_TEST_DATABASE_URL     a PostgreSQL server where a fresh database is created and
                                dropped; without it the postgres run skips with a notice
  DJTOKEN_TEST_REQUIRE_POSTGRES 1: a skipped PostgreSQL run is a failure (CI)
  DJTOKEN_TEST_MYSQL_URL        the same for MySQL/MariaDB (mysql://root@127.0.0.1:3306/test);
                                Django's driver is mysqlclient (fixtures/requirements/mysql/)
  DJTOKEN_TEST_REQUIRE_MYSQL    1: a skipped MySQL run is a failure (CI)
  DJTOKEN_FIXTURE_USER_MODEL    emailuser.EmailUser for the custom-user-model run
  DJTOKEN_BIN                   the djtoken binary (default target/debug/djtoken)
"""

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
import warnings

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GEN = os.path.join(TOP, "fixtures", "gen")
sys.path.insert(0, GEN)
sys.path.insert(0, os.path.join(TOP, "tests", "live"))
warnings.simplefilter("ignore")

LIVE_DB = os.environ.get("DJTOKEN_LIVE_DB", "sqlite")
PG_URL = os.environ.get("DJTOKEN_TEST_DATABASE_URL")
MYSQL_URL = os.environ.get("DJTOKEN_TEST_MYSQL_URL")
# The server a database run creates its databases on, and the variables that name it.
SERVERS = {
    "postgres": ("PostgreSQL", PG_URL, "DJTOKEN_TEST_DATABASE_URL", "DJTOKEN_TEST_REQUIRE_POSTGRES"),
    "mysql": ("MySQL", MYSQL_URL, "DJTOKEN_TEST_MYSQL_URL", "DJTOKEN_TEST_REQUIRE_MYSQL"),
}
STATE = {"tmp": tempfile.mkdtemp(prefix="djtoken-live-"), "server_database": None, "skip": None}


class ResetUser:
    """The attributes Django's PasswordResetTokenGenerator reads from a user."""

    def __init__(self, pk, password, last_login, email):
        self.pk, self.password, self.last_login, self.email = pk, password, last_login, email

    @classmethod
    def get_email_field_name(cls):
        return "email"


def _admin_connection(url):
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def _mysql_admin(url):
    from urllib.parse import unquote, urlsplit

    import MySQLdb

    parts = urlsplit(url)
    return MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or ""),
        passwd=unquote(parts.password or ""),
    )


def create_database(prefix):
    """A fresh database on the live run's server (PostgreSQL or MySQL): its URL."""
    name = prefix + uuid.uuid4().hex[:12]
    if LIVE_DB == "postgres":
        _admin_connection(PG_URL).cursor().execute('CREATE DATABASE "%s"' % name)
        return PG_URL.rsplit("/", 1)[0] + "/" + name
    conn = _mysql_admin(MYSQL_URL)
    conn.cursor().execute("CREATE DATABASE `%s`" % name)
    conn.close()
    return MYSQL_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(url):
    name = url.rsplit("/", 1)[1]
    if LIVE_DB == "postgres":
        _admin_connection(PG_URL).cursor().execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    else:
        conn = _mysql_admin(MYSQL_URL)
        conn.cursor().execute("DROP DATABASE IF EXISTS `%s`" % name)
        conn.close()


def pytest_configure(config):
    config.addinivalue_line("markers", "database: needs the configured live database")
    if LIVE_DB in SERVERS:
        label, server, variable, require = SERVERS[LIVE_DB]
        if not server:
            message = "%s is not set: the %s live tests are SKIPPED" % (variable, label)
            if os.environ.get(require) == "1":
                raise pytest.UsageError(message + ", and %s=1 forbids that" % require)
            STATE["skip"] = message
            print("\n*** " + message + " ***\n", file=sys.stderr)
            url = "sqlite:" + os.path.join(STATE["tmp"], "unused.sqlite3")
        else:
            url = create_database("djtoken_live_")
            STATE["server_database"] = url
    else:
        url = "sqlite:" + os.path.join(STATE["tmp"], "db.sqlite3")
    STATE["url"] = url
    os.environ["DJTOKEN_FIXTURE_DATABASE"] = url
    os.environ["DJTOKEN_FIXTURE_TOKENAPI_URLS"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)


def pytest_unconfigure(config):
    from django.db import connections

    connections.close_all()
    if STATE["server_database"]:
        drop_database(STATE["server_database"])
    shutil.rmtree(STATE["tmp"], ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    if STATE["skip"]:
        for item in items:
            if item.get_closest_marker("database"):
                item.add_marker(pytest.mark.skip(reason=STATE["skip"]))


@pytest.fixture(scope="session")
def database_url():
    return STATE["url"]


@pytest.fixture(scope="session")
def djtoken_bin():
    path = os.environ.get("DJTOKEN_BIN", os.path.join(TOP, "target", "debug", "djtoken"))
    if not os.path.exists(path):
        pytest.fail("no djtoken binary at %s (cargo build first, or set DJTOKEN_BIN)" % path)
    return path


@pytest.fixture(scope="session")
def scratch_dir():
    return STATE["tmp"]


def free_port():
    """A port for a server that cannot report the one it bound (nginx); djtoken serve binds
    port 0 and says which port it got."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def methods_config(folder, methods):
    """A djtoken.toml in ``folder``: the project's own (djtoken_config's export), with
    ``AUTHENTICATION_METHODS`` the comma-separated ``methods``, its key in a file beside it."""
    import json
    import re

    from django.conf import settings
    from djtoken.config.export import export

    key = folder / "secret-key"
    key.write_text(settings.SECRET_KEY)
    key.chmod(0o600)
    text = export(secret_key_file=str(key)).text
    listed = "AUTHENTICATION_METHODS = " + json.dumps(methods.split(","))
    config = folder / "djtoken.toml"
    config.write_text(re.sub(r"(?m)^AUTHENTICATION_METHODS = .*$", listed, text))
    return str(config)


class Served:
    """A running `djtoken serve` on a port of its choosing (stopped with SIGTERM)."""

    def __init__(self, binary, database_url, scratch, args=(), env=None, secret=None, configured=False):
        """``configured``: the server gets no key or database from the environment (only the
        port and the log level): its configuration file must say everything."""
        from django.conf import settings

        self.log_path = os.path.join(scratch, "serve-%s.log" % uuid.uuid4().hex[:12])
        if configured:
            base = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}
        else:
            base = dict(os.environ, DJTOKEN_SECRET_KEY=secret or settings.SECRET_KEY, DJTOKEN_DATABASE=database_url)
        environment = dict(base, DJTOKEN_BIND="127.0.0.1:0", DJTOKEN_LOG_LEVEL="info", **(env or {}))
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "serve", *args], env=environment, stdout=self.log, stderr=self.log)
        self.port = self.wait_listening()

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_listening(self, timeout=20):
        """The port from the server's "listening" line, once it is written."""
        import re
        import time

        deadline = time.time() + timeout
        while time.time() < deadline:
            found = re.search(r"listening address=127\.0\.0\.1:(\d+)", self.read_log())
            if found:
                return int(found.group(1))
            if self.proc.poll() is not None:
                raise AssertionError("djtoken serve exited: " + self.read_log())
            time.sleep(0.02)
        raise AssertionError("djtoken serve never said where it listens: " + self.read_log())

    def request(self, method, path, body=None, headers=None, timeout=30):
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        self.log.close()


@pytest.fixture
def serve(djtoken_bin, database_url, scratch_dir):
    """Start `djtoken serve` on the live database: serve(args=[...], env={...})."""
    started = []

    def start(args=(), env=None, database=None, configured=False):
        server = Served(djtoken_bin, database or database_url, scratch_dir, args, env, configured=configured)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def doc_block(marker, language):
    """A recipe of the documentation, as written: the block after `<!-- test: marker -->` in
    README.md or docs/*.md (tests/live/docs_blocks.py)."""
    from docs_blocks import block

    return block(marker, language)


def serve_as_the_docs_say(serve, tmp_path, marker):
    """`djtoken serve` started with the command line of the documentation's `marker` block (its
    `djtoken.toml`: what export() writes for the running settings), and the documentation's
    user alice with its password."""
    import shlex

    from django.contrib.auth import get_user_model
    from djtoken.config.export import export

    user, _ = get_user_model().objects.get_or_create(username="alice")
    user.set_password("wonderland")
    user.is_active = True
    user.save()
    (tmp_path / "djtoken.toml").write_text(export().text)
    command = shlex.split(doc_block(marker, "sh"))
    assert command[:2] == ["djtoken", "serve"], command
    return user, serve([str(tmp_path / a) if a == "djtoken.toml" else a for a in command[2:]])


def send(port, method, path, authorization=None, body=b"", content_type=None):
    """One request to the server on 127.0.0.1:port, the Authorization header sent as its
    latin-1 bytes: the response and its body as text."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest(method, path)
    if authorization is not None:
        conn.putheader("Authorization", authorization.encode("latin-1"))
    if content_type:
        conn.putheader("Content-Type", content_type)
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    response = conn.getresponse()
    return response, response.read().decode()


def redis_url(what):
    """DJTOKEN_TEST_REDIS_URL; without it, a visible notice that `what` is skipped, or a
    usage error when DJTOKEN_TEST_REQUIRE_REDIS=1 (CI)."""
    url = os.environ.get("DJTOKEN_TEST_REDIS_URL")
    if not url:
        message = "DJTOKEN_TEST_REDIS_URL is not set: %s SKIPPED" % what
        if os.environ.get("DJTOKEN_TEST_REQUIRE_REDIS") == "1":
            raise pytest.UsageError(message + ", and DJTOKEN_TEST_REQUIRE_REDIS=1 forbids that")
        print("\n*** " + message + " ***\n", file=sys.stderr)
    return url


def run(args, stdin=b"", env=None, check=None):
    """Run a command; returns (exit code, stdout, stderr) as text."""
    result = subprocess.run(
        args, input=stdin if isinstance(stdin, bytes) else stdin.encode(), capture_output=True, env=env
    )
    out, err = result.stdout.decode(), result.stderr.decode()
    if check is not None and result.returncode != check:
        raise AssertionError("%s exited %d, not %d:\n%s%s" % (args, result.returncode, check, out, err))
    return result.returncode, out, err
