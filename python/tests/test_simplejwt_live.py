"""djangorestframework-simplejwt shared with `djtoken serve`, on the run's database (SQLite
or PostgreSQL), with the blacklist app installed and the configuration the project's
`djtoken_config` writes: tokens simplejwt made pass `/auth` (`simplejwt` method) with
JWTAuthentication's verdict for every kind of header; djtoken's obtain-pair, refresh,
verify and blacklist views answer as simplejwt's own (an HTTP differential, request by
request); tokens djtoken issues (views and `djtoken jwt`) work in Django, and the blacklist
is one list for both.

Run with DJTOKEN_FIXTURE_SIMPLEJWT=1.
"""

import base64
import json
import os
import time
import uuid

import pytest
from conftest import send
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, SlidingToken

pytestmark = pytest.mark.database

User = get_user_model()
PATHS = ["--jwt-obtain-path", "/api/token/", "--jwt-refresh-path", "/api/token/refresh/"]
PATHS += ["--jwt-verify-path", "/api/token/verify/", "--jwt-blacklist-path", "/api/token/blacklist/"]


def new_user(active=True):
    user = User.objects.create_user("jwt-%s" % uuid.uuid4().hex[:8], "jwt@example.com", "pw")
    if not active:
        user.is_active = False
        user.save()
    return user


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    """The djtoken.toml the project's djtoken_config writes ([SIMPLE_JWT] included)."""
    from djtoken.config.export import export

    exported = export()
    assert "[SIMPLE_JWT]" in exported.text and "BLACKLIST_APP = true" in exported.text, exported.text
    path = tmp_path_factory.mktemp("jwt") / "djtoken.toml"
    path.write_text(exported.text)
    return str(path)


@pytest.fixture
def server(serve, config_file):
    return serve(["--config", config_file, "--authentication", "simplejwt,tokenapi"] + PATHS)


def simplejwt_verdict(header):
    """What JWTAuthentication.authenticate says: none, the user's pk, or (status, detail)."""
    meta = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    try:
        found = JWTAuthentication().authenticate(Request(RequestFactory().get("/", **meta)))
    except exceptions.APIException as e:
        detail = e.detail.get("detail") if isinstance(e.detail, dict) else e.detail
        return ("error", str(detail))
    return ("none", None) if found is None else ("user", str(found[0].pk))


def crafted(**claims):
    """A token simplejwt would not make (expired, wrong type…), signed with its key."""
    now = int(time.time())
    payload = {"token_type": "access", "exp": now + 300, "iat": now, "jti": uuid.uuid4().hex, "user_id": "1"}
    payload.update(claims)
    return token_backend.encode(payload)


def get(port, path, header=None):
    return send(port, "GET", path, header)


def test_a_token_simplejwt_made_passes_auth(server):
    user = new_user()
    access = str(RefreshToken.for_user(user).access_token)
    response, _ = get(server.port, "/auth", "Bearer " + access)
    assert response.status == 200 and response.getheader("X-Auth-User-Id") == str(user.pk)
    assert response.getheader("X-Auth-Username") == user.username


def test_every_header_gets_simplejwts_verdict(server):
    active, inactive = new_user(), new_user(active=False)
    gone = new_user()
    gone_token = str(AccessToken.for_user(gone))
    gone.delete()
    access = str(AccessToken.for_user(active))
    headers = [
        "Bearer " + access,
        "Bearer\t" + access + "  ",
        "bearer " + access,
        "Token " + access,
        "Bearer",
        "Bearer a b",
        "Bearer abc.def",
        "Bearer " + access[:-2],
        "Bearer " + str(RefreshToken.for_user(active)),
        "Bearer " + str(SlidingToken.for_user(active)),
        "Bearer " + crafted(user_id=str(active.pk), exp=int(time.time()) - 1),
        "Bearer " + crafted(user_id=str(active.pk), iat=int(time.time()) + 100),
        "Bearer " + crafted(user_id=active.pk),
        "Bearer " + crafted(user_id="999999"),
        "Bearer " + crafted(user_id=None),
        "Bearer " + crafted(token_type="sliding"),
        "Bearer " + str(AccessToken.for_user(inactive)),
        "Bearer " + gone_token,
        "Bearer \xe9\xe9",
        "",
        None,
    ]
    for header in headers:
        kind, value = simplejwt_verdict(header)
        response, body = get(server.port, "/auth", header)
        if kind == "user":
            assert (response.status, response.getheader("X-Auth-User-Id")) == (200, value), (header, body)
            continue
        if kind == "none":
            # Not simplejwt's: tokenapi, the next method, refuses it (its own challenge).
            assert response.status == 401, (header, body)
            continue
        if value == "User is inactive":
            assert response.status == 403 and value in body, (header, body)
        else:
            assert response.status == 401 and json.dumps(value)[1:-1] in body, (header, value, body)
        if response.status == 401:
            assert response.getheader("WWW-Authenticate") == 'Bearer realm="api"', header


def post(port, path, body, content_type):
    return send(port, "POST", path, body=body, content_type=content_type)


def post_json(port, path, data):
    return post(port, path, json.dumps(data).encode(), "application/json")


def claims(token):
    segment = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def same_answer(name, ours, theirs_response, view):
    """djtoken's answer and simplejwt's: the status and headers, and the body, where tokens
    (made at different instants, with different ids) have the same claims otherwise."""
    response, body = ours
    theirs = theirs_response.content.decode()
    for header in ("Allow", "Vary", "WWW-Authenticate"):
        assert response.getheader(header) == theirs_response.get(header), (name, header)
    assert response.status == theirs_response.status_code, (name, body, theirs)
    if response.status == 200 and view is not None and '"access"' in theirs:
        ours_json, theirs_json = json.loads(body), json.loads(theirs)
        assert list(ours_json) == list(theirs_json), name
        for key, token in ours_json.items():
            a, b = claims(token), claims(theirs_json[key])
            assert list(a) == list(b), (name, key)
            for claim in ("jti", "exp", "iat"):
                a.pop(claim), b.pop(claim)
            assert a == b, (name, key)
    elif theirs.startswith('{"detail":"JSON parse error - '):
        assert body.startswith('{"detail":"JSON parse error - '), (name, body)
    else:
        assert body == theirs, (name, body, theirs)


def test_the_views_answer_as_simplejwts(server):
    """Each request to Django's view and to djtoken's, with tokens of their own where the
    request changes the blacklist."""
    alice = User.objects.filter(username="jwt-alice").first() or User.objects.create_user("jwt-alice")
    alice.set_password("pw")
    alice.save()
    bob = new_user(active=False)
    bob.set_password("pw")
    bob.save()
    form, js = "application/x-www-form-urlencoded", "application/json"

    def fresh():
        return str(RefreshToken.for_user(alice))

    expired = crafted(token_type="refresh", user_id=str(alice.pk), exp=int(time.time()) - 5)
    cases = [
        ("obtain", "form", lambda: b"username=jwt-alice&password=pw", form),
        ("obtain", "json", lambda: b'{"username": "jwt-alice", "password": "pw"}', js),
        ("obtain", "padded password", lambda: b"username=jwt-alice&password=+pw+", form),
        ("obtain", "wrong password", lambda: b"username=jwt-alice&password=x", form),
        ("obtain", "inactive", lambda: ("username=%s&password=pw" % bob.username).encode(), form),
        ("obtain", "missing", lambda: b"", form),
        ("obtain", "json list", lambda: b"[]", js),
        ("obtain", "not parseable", lambda: b"{", js),
        ("obtain", "text", lambda: b"x", "text/plain"),
        ("refresh", "form", lambda: ("refresh=" + fresh()).encode(), form),
        ("refresh", "access", lambda: json.dumps({"refresh": str(AccessToken.for_user(alice))}).encode(), js),
        ("refresh", "expired", lambda: json.dumps({"refresh": expired}).encode(), js),
        ("refresh", "inactive", lambda: json.dumps({"refresh": str(RefreshToken.for_user(bob))}).encode(), js),
        ("refresh", "garbage", lambda: b'{"refresh": "x.y.z"}', js),
        ("refresh", "missing", lambda: b"{}", js),
        ("verify", "access", lambda: json.dumps({"token": str(AccessToken.for_user(alice))}).encode(), js),
        ("verify", "expired", lambda: json.dumps({"token": expired}).encode(), js),
        ("verify", "missing", lambda: b"", form),
        ("blacklist", "refresh", lambda: json.dumps({"refresh": fresh()}).encode(), js),
        ("blacklist", "access", lambda: json.dumps({"refresh": str(AccessToken.for_user(alice))}).encode(), js),
    ]
    client = Client()
    for view, name, body, content_type in cases:
        path = "/api/token/" if view == "obtain" else "/api/token/%s/" % view
        theirs = client.generic("POST", path, body(), content_type=content_type)
        ours = post(server.port, path, body(), content_type)
        same_answer("%s %s" % (view, name), ours, theirs, view)
    for method in ("GET", "OPTIONS", "PUT"):
        for path in ("/api/token/", "/api/token/refresh/", "/api/token/verify/", "/api/token/blacklist/"):
            theirs = client.generic(method, path)
            same_answer("%s %s" % (method, path), send(server.port, method, path), theirs, None)


def test_djtokens_tokens_and_blacklist_are_simplejwts(server):
    user = new_user()
    user.set_password("pw")
    user.save()
    login = ("username=%s&password=pw" % user.username).encode()
    response, body = post(server.port, "/api/token/", login, "application/x-www-form-urlencoded")
    assert response.status == 200, body
    pair = json.loads(body)
    # simplejwt reads both, and the refresh token is outstanding with its user and expiry.
    assert str(AccessToken(pair["access"])["user_id"]) == str(user.pk)
    refresh = RefreshToken(pair["refresh"])
    row = OutstandingToken.objects.get(jti=refresh["jti"])
    assert row.user_id == user.pk and row.token == pair["refresh"]
    assert int(row.expires_at.timestamp()) == refresh["exp"]
    # Django's own view behind JWTAuthentication takes djtoken's access token.
    seen = Client().get("/jwt-whoami/", HTTP_AUTHORIZATION="Bearer " + pair["access"])
    assert (seen.status_code, seen.json()) == (200, {"user": str(user.pk)})
    # Django refreshes djtoken's refresh token; djtoken refreshes Django's.
    assert Client().post("/api/token/refresh/", {"refresh": pair["refresh"]}).status_code == 200
    theirs = str(RefreshToken.for_user(user))
    response, body = post_json(server.port, "/api/token/refresh/", {"refresh": theirs})
    assert response.status == 200 and str(AccessToken(json.loads(body)["access"])["user_id"]) == str(user.pk)
    # Blacklisted by djtoken: refused by Django; blacklisted by Django: refused by djtoken.
    assert post_json(server.port, "/api/token/blacklist/", {"refresh": pair["refresh"]})[0].status == 200
    assert BlacklistedToken.objects.filter(token__jti=refresh["jti"]).exists()
    refused = Client().post("/api/token/refresh/", {"refresh": pair["refresh"]})
    assert (refused.status_code, refused.json()["detail"]) == (401, "Token is blacklisted")
    assert Client().post("/api/token/blacklist/", {"refresh": theirs}).status_code == 200
    response, body = post_json(server.port, "/api/token/refresh/", {"refresh": theirs})
    assert (response.status, json.loads(body)["detail"]) == (401, "Token is blacklisted")


def jwt_command(djtoken_bin, database_url, config_file, *args):
    from conftest import run
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}
    env.update(DJTOKEN_DATABASE=database_url, DJTOKEN_SECRET_KEY=settings.SECRET_KEY, DJTOKEN_CONFIG=config_file)
    return run([djtoken_bin, "jwt", *args], env=env)


def test_the_jwt_commands_speak_simplejwt(djtoken_bin, database_url, config_file):
    user = new_user()
    code, out, err = jwt_command(djtoken_bin, database_url, config_file, "obtain", "--username", user.username)
    assert code == 0, err
    pair = json.loads(out)
    assert str(RefreshToken(pair["refresh"])["user_id"]) == str(user.pk)
    assert simplejwt_verdict("Bearer " + pair["access"]) == ("user", str(user.pk))
    code, out, err = jwt_command(djtoken_bin, database_url, config_file, "refresh", pair["refresh"])
    assert code == 0 and str(AccessToken(json.loads(out)["access"])["user_id"]) == str(user.pk), err
    code, out, err = jwt_command(djtoken_bin, database_url, config_file, "verify", pair["access"])
    assert code == 0 and json.loads(out)["jti"] == AccessToken(pair["access"])["jti"], err
    RefreshToken(pair["refresh"]).blacklist()
    code, out, err = jwt_command(djtoken_bin, database_url, config_file, "refresh", pair["refresh"])
    assert (code, err.strip()) == (1, "Token is blacklisted")
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.tokens import UntypedToken

    with pytest.raises(TokenError) as refused:
        UntypedToken("a.b.c")
    code, out, err = jwt_command(djtoken_bin, database_url, config_file, "verify", "a.b.c")
    assert (code, err.strip()) == (1, str(refused.value.args[0]))


def test_the_documented_simplejwt_example_runs_as_written(serve, tmp_path):
    import subprocess

    from conftest import doc_block, serve_as_the_docs_say

    user, server = serve_as_the_docs_say(serve, tmp_path, "jwt-serve")
    script = doc_block("jwt-requests", "sh").replace("127.0.0.1:8000", "127.0.0.1:%d" % server.port)
    script += 'echo "ACCESS=$ACCESS"\n'
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "HTTP/1.1 200" in result.stdout and "x-auth-user-id: %s" % user.pk in result.stdout, result.stdout
    import re

    first = re.search(r"ACCESS=(\S+)", result.stdout).group(1)
    refreshed = re.search(r'\{"access":"([^"]+)"\}', result.stdout).group(1)
    for access in (first, refreshed):
        assert simplejwt_verdict("Bearer " + access) == ("user", str(user.pk))
