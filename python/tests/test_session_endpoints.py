"""Browser logins shared both ways between real Django and `djtoken serve`: the session
endpoints (`/session/csrf/`, `login/`, `logout/`, `whoami/`) and the `session` method of
`/auth`, one SESSION_ENGINE at a time: db on the run's database (SQLite or PostgreSQL),
cache on Redis, signed cookies.

For each engine: a browser logged in by Django's own login view (CSRF enforced) passes /auth
for GET, is refused for POST without a CSRF token with Django's reason, and passes with
Django's token; a login through /session/login/ is request.user in Django, and the CSRF
cookie it rotates passes Django's CsrfViewMiddleware; a logout through Django makes /auth
answer 401, and one through /session/logout/ ends the session for Django; the Set-Cookie
headers have Django's attributes; bad input gets 4xx JSON.

Environment: DJTOKEN_TEST_REDIS_URL (redis://127.0.0.1:6379/0); without it the cache
engine skips with a notice, and DJTOKEN_TEST_REQUIRE_REDIS=1 makes that a failure.
"""

import http.client
import json
import os
import uuid
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import django
import pytest
from conftest import Served, redis_url
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import override_settings

pytestmark = pytest.mark.database

REDIS_URL = redis_url("the cache engine's session endpoint tests are")

User = get_user_model()
PASSWORD = "a browser's password"
ENGINE = "django.contrib.sessions.backends."
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MISSING_TOKEN = "CSRF token missing or incorrect." if django.VERSION < (4, 0) else "CSRF token missing."


def engines():
    skip = [] if REDIS_URL else [pytest.mark.skip(reason="DJTOKEN_TEST_REDIS_URL is not set")]
    return [
        pytest.param("db", id="db"),
        pytest.param("cache", id="cache", marks=skip),
        pytest.param("signed_cookies", id="signed_cookies"),
    ]


def engine_settings(name):
    extra = {"SESSION_ENGINE": ENGINE + name}
    if name == "cache":
        backend = (
            "django.core.cache.backends.redis.RedisCache"
            if django.VERSION >= (4, 0)
            else "django_redis.cache.RedisCache"
        )
        prefix = "djtoken-endpoints-%s" % uuid.uuid4().hex[:8]
        extra["CACHES"] = {"default": {"BACKEND": backend, "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}}
    return extra


def start(djtoken_bin, database_url, scratch_dir):
    """djtoken serve with the configuration Django exports for the settings in force."""
    from djtoken.config.export import export

    path = os.path.join(scratch_dir, "endpoints-%s.toml" % uuid.uuid4().hex[:8])
    with open(path, "w") as f:
        f.write(export().text)
    args = ["--config", path, "--authentication", "session,tokenapi", "--forwarded-method-header", "X-Original-Method"]
    return Served(djtoken_bin, database_url, scratch_dir, args)


@pytest.fixture(scope="module", params=engines())
def site(request, djtoken_bin, database_url, scratch_dir):
    """Django configured for one engine (for the module's tests), and djtoken beside it."""
    with override_settings(**engine_settings(request.param)):
        server = start(djtoken_bin, database_url, scratch_dir)
        try:
            yield request.param, server
        finally:
            server.stop()


@pytest.fixture
def user():
    return User.objects.create_user("browser-%s" % uuid.uuid4().hex[:10], password=PASSWORD)


class Browser:
    """A browser talking to djtoken: a cookie jar fed by Set-Cookie, sent back as Cookie."""

    def __init__(self, server, cookies=None):
        self.server = server
        self.cookies = dict(cookies or {})
        self.set_cookie = []

    def call(self, method, path, body=None, headers=None):
        sent = {"Host": "testserver"}
        if self.cookies:
            sent["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        sent.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        self.set_cookie = [v for k, v in response.getheaders() if k.lower() == "set-cookie"]
        for value in self.set_cookie:
            for name, morsel in SimpleCookie(value).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        headers = {k.lower(): v for k, v in response.getheaders()}
        assert headers["content-type"] == "application/json", (response.status, raw)
        return response.status, headers, json.loads(raw)

    def login(self, username, password=PASSWORD):
        _, _, body = self.call("GET", "/session/csrf/")
        form = urlencode({"username": username, "password": password})
        return self.call("POST", "/session/login/", form, dict(FORM, **{"X-CSRFToken": body["csrf_token"]}))

    def auth(self, method="GET", headers=None):
        return self.call("GET", "/auth", headers=dict({"X-Original-Method": method}, **(headers or {})))


def django_login(username, password=PASSWORD):
    """A browser logged in through Django's login view, CSRF enforced."""
    client = Client(enforce_csrf_checks=True)
    token = client.get("/csrf/").json()["csrf_token"]
    response = client.post("/login/", {"username": username, "password": password}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    return client, response


def django_user(client):
    """request.user's pk as Django's whoami view sees it for the client's cookies."""
    return client.get("/whoami/").json()["user"]


def jar(client):
    return {name: morsel.value for name, morsel in client.cookies.items() if morsel.value}


def test_a_django_login_passes_auth_under_djangos_csrf_rules(site, user):
    _, server = site
    client, _ = django_login(user.username)
    browser = Browser(server, jar(client))
    status, headers, _ = browser.auth()
    assert status == 200 and headers["x-auth-user-id"] == str(user.pk)
    status, _, body = browser.auth("POST")
    assert status == 403 and body["errors"] == "CSRF Failed: " + MISSING_TOKEN, body
    token = client.get("/csrf/").json()["csrf_token"]
    status, headers, _ = browser.auth("POST", {"X-CSRFToken": token})
    assert status == 200 and headers["x-auth-user-id"] == str(user.pk)


def test_a_djtoken_login_is_request_user_in_django(site, user):
    _, server = site
    browser = Browser(server)
    status, _, body = browser.login(user.username)
    assert status == 200, body
    assert body["user"] == user.pk and body["username"] == user.username
    user.refresh_from_db()
    assert user.last_login is not None
    client = Client(enforce_csrf_checks=True)
    for name, value in browser.cookies.items():
        client.cookies[name] = value
    assert django_user(client) == str(user.pk)
    # The rotated CSRF cookie and the token that came with it pass Django's middleware.
    response = client.post("/whoami/", HTTP_X_CSRFTOKEN=body["csrf_token"])
    assert response.status_code == 200 and response.json()["user"] == str(user.pk)
    assert browser.call("GET", "/session/whoami/")[2] == {
        "authenticated": True,
        "user": user.pk,
        "username": user.username,
        "email": "",
    }


def test_a_logout_through_django_is_a_logout_for_auth(site, user):
    engine, server = site
    browser = Browser(server)
    browser.login(user.username)
    old = dict(browser.cookies)
    client = Client(enforce_csrf_checks=True)
    for name, value in old.items():
        client.cookies[name] = value
    token = client.get("/csrf/").json()["csrf_token"]
    assert client.post("/logout/", HTTP_X_CSRFTOKEN=token).status_code == 200
    # The browser's cookie is deleted: /auth sees no session.
    browser.cookies = jar(client)
    status, _, _ = browser.auth()
    assert status == 401
    # The old cookie: gone for Django and djtoken alike; a signed cookie cannot be revoked, and
    # both still accept it.
    replayed = Client()
    replayed.cookies[settings.SESSION_COOKIE_NAME] = old[settings.SESSION_COOKIE_NAME]
    status, _, _ = Browser(server, {settings.SESSION_COOKIE_NAME: old[settings.SESSION_COOKIE_NAME]}).auth()
    theirs = django_user(replayed)
    assert (status == 200) == (theirs == str(user.pk))
    assert status == (200 if engine == "signed_cookies" else 401)


def test_a_logout_through_djtoken_ends_the_session_in_django(site, user):
    engine, server = site
    client, _ = django_login(user.username)
    old = client.cookies[settings.SESSION_COOKIE_NAME].value
    browser = Browser(server, jar(client))
    status, _, body = browser.call("POST", "/session/logout/")
    assert status == 403 and body["errors"] == "CSRF Failed: " + MISSING_TOKEN
    token = client.get("/csrf/").json()["csrf_token"]
    status, _, body = browser.call("POST", "/session/logout/", headers={"X-CSRFToken": token})
    assert (status, body) == (200, {"success": True})
    assert settings.SESSION_COOKIE_NAME not in browser.cookies
    replayed = Client()
    replayed.cookies[settings.SESSION_COOKIE_NAME] = old
    assert django_user(replayed) == (str(user.pk) if engine == "signed_cookies" else None)


def attributes(morsel):
    """A cookie's attributes as Set-Cookie writes them, the expiry date aside."""
    out = {k: str(v) for k, v in morsel.items() if v is not False and v not in ("", None) and k != "expires"}
    out["expires"] = bool(morsel["expires"])
    return out


def test_set_cookie_headers_have_djangos_attributes(site, user):
    _, server = site
    _, theirs = django_login(user.username)
    browser = Browser(server)
    browser.login(user.username)
    ours = SimpleCookie()
    for value in browser.set_cookie:
        ours.load(value)
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
        assert attributes(ours[name]) == attributes(theirs.cookies[name]), name
    # Logging out deletes the session cookie the way Django's SessionMiddleware does.
    client = Client()
    for name, value in browser.cookies.items():
        client.cookies[name] = value
    client.handler.enforce_csrf_checks = False
    theirs = client.post("/logout/")
    browser.login(user.username)
    token = browser.call("GET", "/session/csrf/")[2]["csrf_token"]
    browser.call("POST", "/session/logout/", headers={"X-CSRFToken": token})
    ours = SimpleCookie(browser.set_cookie[0])
    name = settings.SESSION_COOKIE_NAME
    assert attributes(ours[name]) == attributes(theirs.cookies[name])
    assert ours[name]["expires"] == theirs.cookies[name]["expires"]


def test_bad_input_gets_4xx_json(site, user):
    _, server = site
    browser = Browser(server)
    token = browser.call("GET", "/session/csrf/")[2]["csrf_token"]
    csrf = {"X-CSRFToken": token}
    form = dict(FORM, **csrf)
    assert browser.call("GET", "/session/login/")[0] == 405
    assert browser.call("POST", "/session/whoami/", headers=csrf)[0] == 405
    status, _, body = browser.call("POST", "/session/login/", urlencode({"username": user.username}), form)
    assert status == 400 and "username" in body["errors"]
    status, _, body = browser.call(
        "POST", "/session/login/", urlencode({"username": user.username, "password": "wrong"}), form
    )
    assert status == 400 and body["errors"].startswith("Please enter a correct username and password.")
    json_headers = dict(csrf, **{"Content-Type": "application/json"})
    assert browser.call("POST", "/session/login/", "[1, 2", json_headers)[0] == 400
    assert browser.call("POST", "/session/login/", '{"username": 1, "password": "x"}', json_headers)[0] == 400
    status, _, body = browser.call(
        "POST", "/session/login/", json.dumps({"username": user.username, "password": PASSWORD}), json_headers
    )
    assert status == 200 and body["user"] == user.pk
    user.is_active = False
    user.save()
    status, _, body = browser.login(user.username)
    assert status == 400 and body["errors"].startswith("Please enter a correct username")
    # A cookie that is no session: anonymous, and the cookie deleted as Django deletes it.
    stranger = Browser(server, {settings.SESSION_COOKIE_NAME: "not-a-session-at-all"})
    status, _, body = stranger.call("GET", "/session/whoami/")
    assert (status, body) == (200, {"authenticated": False, "user": None})
    assert settings.SESSION_COOKIE_NAME not in stranger.cookies
    status, _, body = Browser(server).call("POST", "/session/login/", urlencode({"username": "x"}), FORM)
    assert status == 403 and body["errors"].startswith("CSRF Failed: ")
    # A malformed CSRF cookie: refused, and (from 4.0) replaced on the way out, as Django does.
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "abc"
    theirs = client.post("/login/", {"username": "x"}, HTTP_X_CSRFTOKEN="x" * 32)
    malformed = Browser(server, {"csrftoken": "abc"})
    status, _, body = malformed.call("POST", "/session/login/", urlencode({"username": "x"}), dict(FORM, **csrf))
    assert (status, theirs.status_code) == (403, 403), body
    assert ("csrftoken" in theirs.cookies) == any(c.startswith("csrftoken=") for c in malformed.set_cookie)
    # And on a safe request too.
    client.cookies["csrftoken"] = "abc"
    theirs = client.get("/whoami/")
    malformed = Browser(server, {"csrftoken": "abc"})
    assert malformed.call("GET", "/session/whoami/")[0] == 200
    assert ("csrftoken" in theirs.cookies) == any(c.startswith("csrftoken=") for c in malformed.set_cookie)


def test_csrf_in_the_session_both_ways(djtoken_bin, database_url, scratch_dir, user):
    """CSRF_USE_SESSIONS: csrf/ keeps the secret in a new (anonymous) session, the login
    carries it over and rotates it, and Django accepts the token djtoken hands out."""
    with override_settings(CSRF_USE_SESSIONS=True, SESSION_ENGINE=ENGINE + "db"):
        server = start(djtoken_bin, database_url, scratch_dir)
        try:
            browser = Browser(server)
            status, _, body = browser.call("GET", "/session/csrf/")
            assert status == 200 and set(browser.cookies) == {settings.SESSION_COOKIE_NAME}
            anonymous = browser.cookies[settings.SESSION_COOKIE_NAME]
            status, _, body = browser.login(user.username)
            assert status == 200, body
            assert browser.cookies[settings.SESSION_COOKIE_NAME] != anonymous
            client = Client(enforce_csrf_checks=True)
            client.cookies[settings.SESSION_COOKIE_NAME] = browser.cookies[settings.SESSION_COOKIE_NAME]
            response = client.post("/whoami/", HTTP_X_CSRFTOKEN=body["csrf_token"])
            assert response.status_code == 200 and response.json()["user"] == str(user.pk)
            # And the other way: Django's token for its session passes /auth.
            client, _ = django_login(user.username)
            token = client.get("/csrf/").json()["csrf_token"]
            status, headers, _ = Browser(server, jar(client)).auth("POST", {"X-CSRFToken": token})
            assert status == 200 and headers["x-auth-user-id"] == str(user.pk)
        finally:
            server.stop()


COOKIE_SETTINGS = {
    "SESSION_COOKIE_AGE": 3600,
    "SESSION_COOKIE_SAMESITE": "Strict",
    "SESSION_COOKIE_HTTPONLY": False,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_DOMAIN": "testserver",
    "CSRF_COOKIE_AGE": None,
    "CSRF_COOKIE_SAMESITE": False,
    "CSRF_COOKIE_HTTPONLY": True,
    "CSRF_COOKIE_NAME": "xsrf",
    "CSRF_COOKIE_PATH": "/",
}


def test_a_sites_own_cookie_settings_are_exported_and_followed(djtoken_bin, database_url, scratch_dir, user):
    with override_settings(SESSION_ENGINE=ENGINE + "db", **COOKIE_SETTINGS):
        server = start(djtoken_bin, database_url, scratch_dir)
        try:
            _, theirs = django_login(user.username)
            browser = Browser(server)
            _, _, body = browser.call("GET", "/session/csrf/")
            assert set(browser.cookies) == {"xsrf"}
            form = urlencode({"username": user.username, "password": PASSWORD})
            status, _, _ = browser.call(
                "POST", "/session/login/", form, dict(FORM, **{"X-CSRFToken": body["csrf_token"]})
            )
            assert status == 200
            ours = SimpleCookie()
            for value in browser.set_cookie:
                ours.load(value)
            for name in (settings.SESSION_COOKIE_NAME, "xsrf"):
                assert attributes(ours[name]) == attributes(theirs.cookies[name]), name
        finally:
            server.stop()


def test_a_session_django_cannot_save_again_is_replaced_at_login(djtoken_bin, database_url, scratch_dir, user):
    """A session whose `_session_expiry` Django cannot read (it would answer 500 on saving
    it): the login starts a new session instead."""
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    key = "garbage" + uuid.uuid4().hex[:25]
    data = SessionStore().encode({"_session_expiry": "garbage", "cart": [1, 2]})
    Session.objects.create(session_key=key, session_data=data, expire_date=timezone.now() + timedelta(days=1))
    with override_settings(SESSION_ENGINE=ENGINE + "db"):
        server = start(djtoken_bin, database_url, scratch_dir)
        try:
            browser = Browser(server, {settings.SESSION_COOKIE_NAME: key})
            status, _, body = browser.login(user.username)
            assert status == 200, body
            assert browser.cookies[settings.SESSION_COOKIE_NAME] != key
            client = Client()
            client.cookies[settings.SESSION_COOKIE_NAME] = browser.cookies[settings.SESSION_COOKIE_NAME]
            assert django_user(client) == str(user.pk)
        finally:
            server.stop()
