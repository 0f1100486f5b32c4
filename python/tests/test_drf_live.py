"""Django REST framework's TokenAuthentication shared with `djtoken serve`: tokens DRF made
(`Token.objects.create`, as `obtain_auth_token` and the admin make them) pass `/auth` with the
`drf-token` method, and every kind of Authorization header gets DRF's verdict — the same user,
or DRF's message — from `/auth`, on the run's database (SQLite or PostgreSQL).

Run with DJTOKEN_FIXTURE_DRF=1 (rest_framework.authtoken installed, its table migrated).
"""

import uuid

import pytest
from conftest import LIVE_DB
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

pytestmark = pytest.mark.database

User = get_user_model()


@pytest.fixture(scope="module")
def tokens():
    """An active user's token and an inactive user's."""
    active = User.objects.create_user("drf-%s" % uuid.uuid4().hex[:8], "drf@example.com", "pw")
    inactive = User.objects.create_user("drf-%s" % uuid.uuid4().hex[:8], password="pw", is_active=False)
    return Token.objects.create(user=active), Token.objects.create(user=inactive)


@pytest.fixture
def server(serve):
    return serve(["--authentication", "drf-token,tokenapi"])


def drf_verdict(header):
    """What TokenAuthentication.authenticate says: None, the user's pk, or the message."""
    meta = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    try:
        found = TokenAuthentication().authenticate(Request(RequestFactory().get("/", **meta)))
    except exceptions.AuthenticationFailed as e:
        return ("error", str(e.detail))
    return ("none", None) if found is None else ("user", str(found[0].pk))


def test_a_token_drf_made_passes_auth(server, tokens):
    token, _ = tokens
    status, headers, _ = server.request("GET", "/auth", headers={"Authorization": "Token " + token.key})
    assert status == 200 and headers["x-auth-user-id"] == str(token.user.pk)
    assert headers["x-auth-username"] == token.user.username and headers["x-auth-email"] == "drf@example.com"


def headers(active, inactive):
    """Headers an HTTP server lets through (no control characters: the vectors have those)."""
    return [
        "Token " + active,
        "token\t" + active,
        "TOKEN   " + active + "  ",
        "Bearer " + active,
        "Token",
        "Token a b",
        "Token \xe9\xe9",
        "Token " + active.upper(),
        "Token " + active + "0",
        "Token " + "f" * 40,
        "Token " + inactive,
        "Token " + "é".encode().decode("latin-1"),
        None,
    ]


def test_every_header_gets_drfs_verdict(server, tokens):
    active, inactive = tokens
    import http.client

    # The key in upper case is the key under MySQL's case-insensitive collation, for DRF's
    # lookup and so for djtoken's; elsewhere it is no key.
    upper = drf_verdict("Token " + active.key.upper())
    assert (upper[0] == "user") == (LIVE_DB == "mysql"), upper

    for header in headers(active.key, inactive.key):
        kind, value = drf_verdict(header)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.putrequest("GET", "/auth")
        if header is not None:
            conn.putheader("Authorization", header.encode("latin-1"))
        conn.endheaders()
        response = conn.getresponse()
        status, body = response.status, response.read().decode()
        seen = response.getheader("X-Auth-User-Id")
        if kind == "user":
            assert (status, seen) == (200, value), (header, body)
        elif kind == "none":
            # Neither DRF nor tokenapi found credentials: 401 with the first method's scheme.
            assert status == 401 and response.getheader("WWW-Authenticate") == "Token", (header, body)
        elif value == "User inactive or deleted.":
            assert status == 403 and value in body, (header, body)
        else:
            assert status == 401 and value in body, (header, value, body)
            assert response.getheader("WWW-Authenticate") == "Token"


def test_a_deleted_token_is_refused_at_once(server, tokens):
    user = User.objects.create_user("drf-%s" % uuid.uuid4().hex[:8], password="pw")
    token = Token.objects.create(user=user)
    auth = {"Authorization": "Token " + token.key}
    assert server.request("GET", "/auth", headers=auth)[0] == 200
    token.delete()
    status, _, body = server.request("GET", "/auth", headers=auth)
    assert status == 401 and b"Invalid token." in body


def drf_command(djtoken_bin, database_url, *args):
    import os

    from conftest import run

    env = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}
    env["DJTOKEN_DATABASE"] = database_url
    return run([djtoken_bin, "drf-token", *args], env=env)


def test_keys_djtoken_makes_are_drfs(djtoken_bin, database_url):
    user = User.objects.create_user("drf-%s" % uuid.uuid4().hex[:8], password="pw")
    code, out, err = drf_command(djtoken_bin, database_url, "get", "--username", user.username)
    assert code == 0, err
    key = out.strip()
    # DRF reads the row djtoken wrote (created included) and authenticates with its key.
    token = Token.objects.get(user=user)
    assert token.key == key and token.created is not None
    assert drf_verdict("Token " + key) == ("user", str(user.pk))
    # get_or_create: the same key again, and DRF's own key where DRF made one.
    assert drf_command(djtoken_bin, database_url, "get", "--username", user.username)[1].strip() == key
    other = User.objects.create_user("drf-%s" % uuid.uuid4().hex[:8], password="pw")
    theirs = Token.objects.create(user=other)
    assert drf_command(djtoken_bin, database_url, "get", "--username", other.username)[1].strip() == theirs.key


def test_check_gives_drfs_verdict(djtoken_bin, database_url, tokens):
    active, inactive = tokens
    code, out, _ = drf_command(djtoken_bin, database_url, "check", active.key)
    assert (code, out.strip()) == (0, str(active.user.pk))
    for key, message in [
        (inactive.key, "User inactive or deleted."),
        ("f" * 40, "Invalid token."),
        ("x" * 41, "Invalid token."),
    ]:
        assert drf_verdict("Token " + key) == ("error", message)
        code, out, err = drf_command(djtoken_bin, database_url, "check", key)
        assert (code, err.strip()) == (1, message)


def test_obtain_auth_token_answers_as_drfs_view(serve, tokens):
    """The generator's requests (fixtures/gen/drf.py) to DRF's obtain_auth_token and to
    djtoken's: the same status, body and Allow; the key, DRF's or djtoken's, is the user's
    one key. A body that is not JSON gets DRF's status and prefix (the rest of that message
    is Python's json module's)."""
    import http.client

    from django.test import Client

    from drf import obtain_cases

    for username, active in (("alice", True), ("bob", False)):
        user, _ = User.objects.get_or_create(username=username)
        user.set_password("pw")
        user.is_active = active
        user.save()
    Token.objects.filter(user__username="alice").delete()
    server = serve(["--drf-obtain-token-path", "/api-token-auth/"])
    for name, method, content_type, body in obtain_cases():
        extra = {"content_type": content_type} if content_type else {}
        theirs = Client().generic(method, "/api-token-auth/", body, **extra)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request(
            method, "/api-token-auth/", body=body, headers={"Content-Type": content_type} if content_type else {}
        )
        response = conn.getresponse()
        ours = response.read().decode()
        expected = theirs.content.decode()
        assert (response.status, response.getheader("Allow")) == (theirs.status_code, theirs["Allow"]), name
        python_own = "not JSON compliant" in expected or "codec can't decode" in expected
        if expected.startswith('{"detail":"JSON parse error - ') and not python_own:
            assert ours.startswith('{"detail":"JSON parse error - '), (name, ours)
        else:
            assert ours == expected, (name, ours, expected)
    key = Token.objects.get(user__username="alice").key
    status, _, body = server.request(
        "POST", "/api-token-auth/", b"username=alice&password=pw", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (status, body) == (200, ('{"token":"%s"}' % key).encode())


def test_the_documented_drf_example_runs_as_written(serve, tmp_path):
    import subprocess

    from conftest import doc_block, serve_as_the_docs_say

    user, server = serve_as_the_docs_say(serve, tmp_path, "drf-serve")
    script = doc_block("drf-requests", "sh").replace("127.0.0.1:8000", "127.0.0.1:%d" % server.port)
    script += 'echo "KEY=$KEY"\n'
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, (result.stdout, result.stderr)
    key = Token.objects.get(user=user).key
    assert "KEY=%s" % key in result.stdout, result.stdout
    assert "HTTP/1.1 200" in result.stdout and "x-auth-user-id: %s" % user.pk in result.stdout, result.stdout
