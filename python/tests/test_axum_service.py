"""The tower layer against `djtoken serve`'s `/auth`, with real Django's credentials: the
example service (`examples/axum_service.rs`, the layer in front of `GET`/`POST /whoami`) and
`djtoken serve` read one `djtoken.toml` (the project's `djtoken_config`, with every method),
and each request — Django's session cookie with and without its CSRF token, cross-site,
DRF's, knox's and simplejwt's tokens, tokenapi's, wrong ones, none — gets the same verdict
from both: the same user (and the method that found it), or the same refusal (status,
`WWW-Authenticate`, `Cache-Control`, body).

The example's `/csrf`, `/login` and `/logout` (the axum `CsrfToken` and `DjangoSession`
extractors) against `djtoken serve`'s `/session/` endpoints and real Django: the same
refusals (no CSRF token, a wrong password), and a login through the example is
`request.user` in Django until the example logs it out.

Run with DJTOKEN_FIXTURE_DRF=1 DJTOKEN_FIXTURE_SIMPLEJWT=1 DJTOKEN_FIXTURE_KNOX=1; the example
is built by `cargo build --example axum_service --features axum,…` (scripts/test), or named by
DJTOKEN_AXUM_SERVICE.
"""

import http.client
import json
import os
import subprocess
import time
import uuid

import pytest
from conftest import TOP, free_port, methods_config
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.database

User = get_user_model()
EXAMPLE = os.environ.get("DJTOKEN_AXUM_SERVICE", os.path.join(TOP, "target", "debug", "examples", "axum_service"))
# DRF's token and knox's share the keyword `Token`: the first of the two listed decides (as
# DRF's classes do), so each order is a configuration of its own.
ORDERS = ["session,drf-token,simplejwt,tokenapi", "knox,session,simplejwt,tokenapi"]


class Example:
    """The example service on a free port, with the configuration file alone."""

    def __init__(self, config, scratch):
        if not os.path.exists(EXAMPLE):
            pytest.fail("no example at %s (cargo build --example axum_service --features axum,sqlite)" % EXAMPLE)
        self.port = free_port()
        self.log_path = os.path.join(scratch, "axum-%s.log" % uuid.uuid4().hex[:8])
        environment = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [EXAMPLE, "--config", config, "--bind", "127.0.0.1:%d" % self.port],
                env=environment,
                stdout=log,
                stderr=log,
            )
        deadline = time.time() + 20
        while "listening on" not in open(self.log_path).read():
            assert self.proc.poll() is None, open(self.log_path).read()
            assert time.time() < deadline, open(self.log_path).read()
            time.sleep(0.02)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


@pytest.fixture(scope="module", params=ORDERS)
def services(request, djtoken_bin, database_url, scratch_dir, tmp_path_factory):
    """`djtoken serve` and the example, on one configuration naming every method."""
    from conftest import Served

    folder = tmp_path_factory.mktemp("axum")
    config = methods_config(folder, request.param)
    server = Served(djtoken_bin, database_url, scratch_dir, ["--config", config], configured=True)
    example = Example(config, scratch_dir)
    yield server.port, example.port
    example.stop()
    server.stop()


def ask(port, method, path, headers, body=None):
    status, pairs, text = exchange(port, method, path, headers, body)
    return status, dict(pairs), text


def exchange(port, method, path, headers, body=None):
    """Status, every header as (lower-case name, value) in order, and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    if body is None and method == "POST":
        body = b""
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, [(k.lower(), v) for k, v in response.getheaders()], response.read().decode()


def credentials():
    """The user; (name, method expected or None, HTTP method, query, headers) for each
    credential; and what Django makes of a cross-site POST with the right token."""
    from knox.models import AuthToken
    from rest_framework.authtoken.models import Token
    from rest_framework_simplejwt.tokens import AccessToken
    from tokenapi.tokens import token_generator

    user = User.objects.create_user("axum-%s" % uuid.uuid4().hex[:8], "axum@example.com", "pw")
    client = Client()
    assert client.login(username=user.username, password="pw")
    csrf = Client().get("/csrf/")
    token = csrf.json()["csrf_token"]
    session = "sessionid=%s; csrftoken=%s" % (client.cookies["sessionid"].value, csrf.cookies["csrftoken"].value)
    # Cross-site with the right token: Django 4.0+ refuses it by its Origin, 3.2 checks no
    # Origin over plain HTTP and accepts it. Django itself says which.
    django = Client(enforce_csrf_checks=True)
    django.cookies["sessionid"] = client.cookies["sessionid"].value
    django.cookies["csrftoken"] = csrf.cookies["csrftoken"].value
    answer = django.post("/whoami/", HTTP_X_CSRFTOKEN=token, HTTP_ORIGIN="http://evil.example")
    assert answer.status_code in (200, 403), answer
    cross_site = "session" if answer.status_code == 200 else None
    drf = Token.objects.create(user=user).key
    _, knox = AuthToken.objects.create(user=user)
    jwt = str(AccessToken.for_user(user))
    tokenapi = token_generator.make_token(user)
    cases = [
        ("nothing", None, "GET", "", {}),
        ("session", "session", "GET", "", {"Cookie": session}),
        ("session, POST without the CSRF token", None, "POST", "", {"Cookie": session}),
        ("session, POST with it", "session", "POST", "", {"Cookie": session, "X-CSRFToken": token}),
        (
            "session, cross-site POST",
            cross_site,
            "POST",
            "",
            {"Cookie": session, "X-CSRFToken": token, "Origin": "http://evil.example"},
        ),
        ("DRF token", "drf-token", "GET", "", {"Authorization": "Token " + drf}),
        ("knox token", "knox", "GET", "", {"Authorization": "Token " + knox}),
        ("a wrong Token", None, "GET", "", {"Authorization": "Token " + "0" * 40}),
        ("simplejwt", "simplejwt", "GET", "", {"Authorization": "Bearer " + jwt}),
        ("simplejwt, tampered", None, "GET", "", {"Authorization": "Bearer " + jwt[:-2] + "xx"}),
        ("tokenapi", "tokenapi", "GET", "?user=%d&token=%s" % (user.pk, tokenapi), {}),
        ("tokenapi, wrong", None, "GET", "?user=%d&token=%s" % (user.pk, "1-" + "0" * 20), {}),
        ("malformed Basic", None, "GET", "", {"Authorization": "Basic !!!!"}),
    ]
    return user, cases, cross_site


def test_the_layer_answers_every_credential_as_auth_does(services):
    auth_port, example_port = services
    user, cases, cross_site = credentials()
    allowed = 0
    for name, expected, method, query, headers in cases:
        status, got, body = ask(auth_port, method, "/auth" + query, headers)
        layer_status, layer_headers, layer_body = ask(example_port, method, "/whoami" + query, headers)
        if status == 200:
            allowed += 1
            assert layer_status == 200, (name, layer_status, layer_body)
            answer = json.loads(layer_body)
            assert answer["pk"] == user.pk == int(got["x-auth-user-id"]), (name, answer)
            assert answer["username"] == user.username == got["x-auth-username"], name
            assert answer["method"] == expected, (name, answer)
        else:
            assert expected is None or expected not in ("session", "simplejwt", "tokenapi"), (name, status, body)
            compared = ("www-authenticate", "cache-control", "content-type", "retry-after")
            assert (layer_status, layer_body) == (status, body), name
            assert {h: layer_headers.get(h) for h in compared} == {h: got.get(h) for h in compared}, name
    # Session (GET and POST with the token), simplejwt, tokenapi, and DRF's or knox's token;
    # and the cross-site POST where Django accepts it.
    assert allowed == 5 + (cross_site is not None), allowed


class Jar:
    """A browser's cookies, kept as Set-Cookie headers say (Max-Age=0 deletes)."""

    def __init__(self):
        self.cookies = {}

    def header(self):
        return {"Cookie": "; ".join("%s=%s" % kv for kv in self.cookies.items())} if self.cookies else {}

    def call(self, port, method, path, headers=None, body=None):
        from http.cookies import SimpleCookie

        status, pairs, text = exchange(port, method, path, dict(self.header(), **(headers or {})), body)
        set_cookie = [v for k, v in pairs if k == "set-cookie"]
        for value in set_cookie:
            for name, morsel in SimpleCookie(value).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return status, dict(pairs), text, set_cookie


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_a_login_through_the_example_is_request_user_in_django(services):
    from urllib.parse import urlencode

    from django.conf import settings

    auth_port, example_port = services
    user = User.objects.create_user("axum-login-%s" % uuid.uuid4().hex[:8], "login@example.com", "pw")
    session_cookie = settings.SESSION_COOKIE_NAME
    # The same refusals as /session/login/: no CSRF token, then a wrong password.
    refusals = []
    for port, path, csrf_path in [(example_port, "/login", "/csrf"), (auth_port, "/session/login/", "/session/csrf/")]:
        browser = Jar()
        status, _, body, set_cookie = browser.call(port, "GET", csrf_path)
        assert status == 200 and set_cookie, (path, status, body)
        token = json.loads(body)["csrf_token"]
        form = urlencode({"username": user.username, "password": "wrong"})
        without = browser.call(port, "POST", path, FORM, form)
        wrong = browser.call(
            port,
            "POST",
            path,
            FORM,
            urlencode({"username": user.username, "password": "wrong", "csrfmiddlewaretoken": token}),
        )
        refusals.append([(r[0], r[2], r[1].get("cache-control")) for r in (without, wrong)])
    assert refusals[0] == refusals[1], refusals
    assert [r[0] for r in refusals[0]] == [403, 400], refusals
    # A login through the example: the form's csrfmiddlewaretoken, as a rendered page sends it.
    browser = Jar()
    token = json.loads(browser.call(example_port, "GET", "/csrf")[2])["csrf_token"]
    form = urlencode({"username": user.username, "password": "pw", "csrfmiddlewaretoken": token})
    status, headers, body, set_cookie = browser.call(example_port, "POST", "/login", FORM, form)
    assert status == 200, body
    assert headers["cache-control"] == "no-store" and "Cookie" in headers["vary"], headers
    answer = json.loads(body)
    assert answer["user"]["pk"] == user.pk and answer["user"]["method"] == "session", answer
    assert session_cookie in browser.cookies, set_cookie
    user.refresh_from_db()
    assert user.last_login is not None
    # Django: request.user for the example's cookies; the rotated CSRF token passes its
    # middleware.
    django = Client(enforce_csrf_checks=True)
    for name, value in browser.cookies.items():
        django.cookies[name] = value
    assert django.get("/whoami/").json()["user"] == str(user.pk)
    assert django.post("/whoami/", HTTP_X_CSRFTOKEN=answer["csrf_token"]).json()["user"] == str(user.pk)
    # The example's layer and /auth: the same user, by the session.
    status, _, body, _ = browser.call(example_port, "GET", "/whoami")
    assert status == 200 and json.loads(body)["method"] == "session", body
    assert browser.call(auth_port, "GET", "/auth")[1]["x-auth-user-id"] == str(user.pk)
    # A logout needs the token too; then Django, the example and /auth see no one.
    old = dict(browser.cookies)
    assert browser.call(example_port, "POST", "/logout")[0] == 403
    status, _, body, set_cookie = browser.call(example_port, "POST", "/logout", {"X-CSRFToken": answer["csrf_token"]})
    assert status == 200 and session_cookie not in browser.cookies, (body, set_cookie)
    replayed = Client()
    replayed.cookies[session_cookie] = old[session_cookie]
    signed = settings.SESSION_ENGINE.endswith("signed_cookies")
    assert replayed.get("/whoami/").json()["user"] == (str(user.pk) if signed else None)
    if not signed:
        assert (
            ask(example_port, "GET", "/whoami", {"Cookie": "%s=%s" % (session_cookie, old[session_cookie])})[0] == 401
        )
