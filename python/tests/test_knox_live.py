"""django-rest-knox shared with `djtoken serve`, on the run's database (SQLite or
PostgreSQL), with the configuration the project's `djtoken_config` writes: tokens knox made
pass `/auth` (`knox` method) with knox's verdict for every kind of header, and knox's
clean-up of expired tokens happens either way; djtoken's login, logout and logout-all views
answer as knox's own (an HTTP differential); tokens djtoken makes (views and `djtoken knox`)
work in Django.

Run with DJTOKEN_FIXTURE_KNOX=1.
"""

import base64
import datetime as dt
import json
import os
import uuid

import pytest
from conftest import send
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions
from rest_framework.request import Request

pytestmark = pytest.mark.database

User = get_user_model()
PATHS = ["--knox-login-path", "/api/auth/login/", "--knox-logout-path", "/api/auth/logout/"]
PATHS += ["--knox-logoutall-path", "/api/auth/logoutall/"]


def new_user(active=True, password="pw"):
    user = User.objects.create_user("knox-%s" % uuid.uuid4().hex[:8], "knox@example.com", password)
    if not active:
        user.is_active = False
        user.save()
    return user


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    """The djtoken.toml the project's djtoken_config writes ([REST_KNOX] included); the
    fixture site's knox LoginView takes Basic credentials first."""
    from djtoken.config.export import export

    text = export().text
    assert "[REST_KNOX]" in text and "[REST_FRAMEWORK]" in text, text
    text = text.replace(
        '"rest_framework.authentication.SessionAuthentication", "rest_framework.authentication.BasicAuthentication"',
        '"rest_framework.authentication.BasicAuthentication"',
    )
    path = tmp_path_factory.mktemp("knox") / "djtoken.toml"
    path.write_text(text)
    return str(path)


@pytest.fixture
def server(serve, config_file):
    return serve(["--config", config_file, "--authentication", "knox"] + PATHS)


def knox_verdict(header):
    meta = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    try:
        found = TokenAuthentication().authenticate(Request(RequestFactory().get("/", **meta)))
    except exceptions.AuthenticationFailed as e:
        return ("error", str(e.detail))
    except UnicodeDecodeError:
        return ("crash", None)
    return ("none", None) if found is None else ("user", str(found[0].pk))


def get(port, path, header=None, method="GET"):
    return send(port, method, path, header)


def test_a_token_knox_made_passes_auth(server):
    user = new_user()
    _, token = AuthToken.objects.create(user=user)
    response, _ = get(server.port, "/auth", "Token " + token)
    assert response.status == 200 and response.getheader("X-Auth-User-Id") == str(user.pk)


def test_every_header_gets_knoxs_verdict(server):
    active, inactive = new_user(), new_user(active=False)
    _, token = AuthToken.objects.create(user=active)
    _, theirs = AuthToken.objects.create(user=inactive)
    _, never = AuthToken.objects.create(user=active, expiry=None)
    headers = [
        "Token " + token,
        "token\t" + token + "  ",
        "Token " + token.upper(),
        "Token " + token[:15] + "0" * 49,
        "Token " + never,
        "Token " + theirs,
        "Token",
        "Token a b",
        "Token " + "f" * 64,
        "Bearer " + token,
        "",
        None,
    ]
    for header in headers:
        kind, value = knox_verdict(header)
        response, body = get(server.port, "/auth", header)
        if kind == "user":
            assert (response.status, response.getheader("X-Auth-User-Id")) == (200, value), (header, body)
        elif kind == "none":
            assert response.status == 401 and response.getheader("WWW-Authenticate") == "Token", header
        elif value == "User inactive or deleted.":
            assert response.status == 403 and value in body, (header, body)
        else:
            assert response.status == 401 and value in body, (header, value, body)
    # Not UTF-8: a 500 in knox, a 401 here.
    response, body = get(server.port, "/auth", "Token \xe9\xe9")
    assert knox_verdict("Token \xe9\xe9")[0] == "crash"
    assert response.status == 401 and "Invalid token." in body


def test_expired_tokens_are_cleaned_up_as_knox_does(server):
    user = new_user()
    _, token = AuthToken.objects.create(user=user)
    expired, old = AuthToken.objects.create(user=user, expiry=dt.timedelta(seconds=-5))
    # Using any of the user's tokens deletes the expired ones, as knox does.
    assert get(server.port, "/auth", "Token " + token)[0].status == 200
    assert not AuthToken.objects.filter(digest=expired.digest).exists()
    response, body = get(server.port, "/auth", "Token " + old)
    assert response.status == 401 and "Invalid token." in body


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def same_answer(name, ours, theirs):
    response, body = ours
    for header in ("Allow", "Vary", "WWW-Authenticate", "Content-Type"):
        assert response.getheader(header) == theirs.get(header), (name, header, response.getheader(header))
    assert response.status == theirs.status_code, (name, body, theirs.content)
    expected = theirs.content.decode()
    if response.status == 200 and '"token"' in expected:
        ours_json, theirs_json = json.loads(body), json.loads(expected)
        assert list(ours_json) == list(theirs_json), name
        assert len(ours_json["token"]) == len(theirs_json["token"]), name
        # Made a moment apart: the expiries agree to the second.
        if theirs_json["expiry"] is not None:
            a = dt.datetime.fromisoformat(ours_json["expiry"].replace("Z", "+00:00"))
            b = dt.datetime.fromisoformat(theirs_json["expiry"].replace("Z", "+00:00"))
            assert abs((a - b).total_seconds()) < 5, name
        return ours_json["token"]
    assert body == expected, (name, body, expected)
    return None


def test_the_views_answer_as_knoxs(server):
    user = new_user()
    bob = new_user(active=False)
    client = Client()

    def both(path, method, header):
        extra = {"HTTP_AUTHORIZATION": header} if header else {}
        theirs = client.generic(method, path, **extra)
        ours = get(server.port, path, header, method)
        return ours, theirs

    login = "/api/auth/login/"
    for name, method, header in [
        ("no credentials", "POST", None),
        ("alice", "POST", basic(user.username, "pw")),
        ("wrong password", "POST", basic(user.username, "x")),
        ("inactive", "POST", basic(bob.username, "pw")),
        ("basic alone", "POST", "Basic"),
        ("not base64", "POST", "Basic !!!"),
        ("GET", "GET", basic(user.username, "pw")),
        ("OPTIONS", "OPTIONS", basic(user.username, "pw")),
    ]:
        ours, theirs = both(login, method, header)
        token = same_answer("login " + name, ours, theirs)
        if token:
            # djtoken's token is knox's: TokenAuthentication takes it.
            assert knox_verdict("Token " + token) == ("user", str(user.pk))
    for view in ("/api/auth/logout/", "/api/auth/logoutall/"):
        _, mine = AuthToken.objects.create(user=user)
        _, other = AuthToken.objects.create(user=user)
        for name, method, header in [
            ("no token", "POST", None),
            ("unknown", "POST", "Token " + "f" * 64),
            ("OPTIONS", "OPTIONS", "Token " + mine),
            ("GET", "GET", "Token " + mine),
        ]:
            ours, theirs = both(view, method, header)
            same_answer("%s %s" % (view, name), ours, theirs)
        if view.endswith("logout/"):
            # Django logs one token out, djtoken the other: each is gone for both.
            theirs = client.post(view, HTTP_AUTHORIZATION="Token " + mine)
            assert theirs.status_code == 204 and theirs.get("Content-Type") is None
        ours = get(server.port, view, "Token " + other, "POST")
        assert (ours[0].status, ours[1], ours[0].getheader("Content-Type")) == (204, "", None)
        for token in (mine, other):
            assert knox_verdict("Token " + token) == ("error", "Invalid token.")
            assert get(server.port, "/auth", "Token " + token)[0].status == 401


def test_logout_all_deletes_every_token_of_the_user(server):
    user = new_user()
    tokens = [AuthToken.objects.create(user=user)[1] for _ in range(3)]
    response, body = get(server.port, "/api/auth/logoutall/", "Token " + tokens[0], "POST")
    assert (response.status, body) == (204, "")
    assert AuthToken.objects.filter(user=user).count() == 0


def knox_command(djtoken_bin, database_url, config_file, *args):
    from conftest import run

    env = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}
    env.update(DJTOKEN_DATABASE=database_url, DJTOKEN_CONFIG=config_file)
    return run([djtoken_bin, "knox", *args], env=env)


def test_the_knox_commands_speak_knox(djtoken_bin, database_url, config_file):
    user = new_user()
    code, out, err = knox_command(djtoken_bin, database_url, config_file, "create", "--username", user.username)
    assert code == 0, err
    token = out.strip()
    row = AuthToken.objects.get(token_key=token[:15])
    assert row.user_id == user.pk and row.expiry > timezone.now()
    assert knox_verdict("Token " + token) == ("user", str(user.pk))
    code, out, err = knox_command(djtoken_bin, database_url, config_file, "check", token)
    assert (code, out.strip()) == (0, str(user.pk)), err
    code, out, err = knox_command(djtoken_bin, database_url, config_file, "revoke", token)
    assert code == 0, err
    assert knox_verdict("Token " + token) == ("error", "Invalid token.")
    code, out, err = knox_command(djtoken_bin, database_url, config_file, "check", token)
    assert (code, err.strip()) == (1, "Invalid token.")


def test_the_documented_knox_example_runs_as_written(serve, tmp_path):
    import re
    import subprocess

    from conftest import doc_block, serve_as_the_docs_say

    user, server = serve_as_the_docs_say(serve, tmp_path, "knox-serve")
    script = doc_block("knox-requests", "sh").replace("127.0.0.1:8000", "127.0.0.1:%d" % server.port)
    script += 'echo "TOKEN=$TOKEN"\n'
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "HTTP/1.1 200" in result.stdout and "x-auth-user-id: %s" % user.pk in result.stdout, result.stdout
    assert "HTTP/1.1 204" in result.stdout and "HTTP/1.1 401" in result.stdout, result.stdout
    token = re.search(r"TOKEN=(\S+)", result.stdout).group(1)
    assert knox_verdict("Token " + token) == ("error", "Invalid token.")
