"""The `session` method of `/auth` against real Django: a browser logged in by Django is let
through for safe methods, and for unsafe ones (the proxy's X-Original-Method) only with what
Django's CsrfViewMiddleware wants, refused otherwise with Django's reason — the same verdict
CsrfViewMiddleware gives the same request, case by case."""

import json
import uuid
from unittest import mock

import django
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.middleware import csrf
from django.test import Client, RequestFactory
from django.test.utils import override_settings

pytestmark = pytest.mark.database

User = get_user_model()
SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"
TRUSTED = ["https://app.example.com", "https://*.example.net"] if django.VERSION >= (4, 0) else ["app.example.com"]
# The proxy says the original request was HTTPS; Django's Referer checks apply then.
PROXY_SSL = ("HTTP_X_FORWARDED_PROTO", "https")
HTTPS = {"X-CSRFToken": SECRET, "X-Forwarded-Proto": "https"}


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    from djtoken.config.export import export

    path = tmp_path_factory.mktemp("auth-sessions") / "djtoken.toml"
    with override_settings(CSRF_TRUSTED_ORIGINS=TRUSTED, SECURE_PROXY_SSL_HEADER=PROXY_SSL):
        path.write_text(export().text)
    return str(path)


@pytest.fixture
def server(serve, config):
    return serve(
        args=[
            "--config",
            config,
            "--authentication",
            "session,tokenapi",
            "--forwarded-method-header",
            "X-Original-Method",
        ]
    )


@pytest.fixture
def logged_in():
    user = User.objects.create_user("auth-%s" % uuid.uuid4().hex[:10], password="pw")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return user, client.cookies[settings.SESSION_COOKIE_NAME].value


def auth(server, cookie, method="GET", headers=None, csrf_cookie=None):
    cookies = "%s=%s" % (settings.SESSION_COOKIE_NAME, cookie)
    if csrf_cookie is not None:
        cookies += "; csrftoken=%s" % csrf_cookie
    sent = {"Cookie": cookies, "X-Original-Method": method, "Host": "testserver"}
    sent.update(headers or {})
    return server.request("GET", "/auth", headers=sent)


def django_verdict(method, headers, csrf_cookie):
    """CsrfViewMiddleware's verdict for the original request: None, or the reason."""
    meta = {"HTTP_HOST": "testserver"}
    for name, value in headers.items():
        meta["HTTP_" + name.upper().replace("-", "_")] = value
    request = RequestFactory().generic(method, "/x", **meta)
    if csrf_cookie is not None:
        request.COOKIES["csrftoken"] = csrf_cookie
    reasons = []

    def reject(self, request, reason):
        reasons.append(reason)
        return HttpResponse(status=403)

    overrides = override_settings(CSRF_TRUSTED_ORIGINS=TRUSTED, SECURE_PROXY_SSL_HEADER=PROXY_SSL)
    with overrides, mock.patch.object(csrf.CsrfViewMiddleware, "_reject", reject):
        middleware = csrf.CsrfViewMiddleware(lambda r: HttpResponse())
        middleware.process_request(request)
        middleware.process_view(request, lambda r: None, (), {})
    return reasons[0] if reasons else None


def test_a_django_login_passes_for_safe_methods(server, logged_in):
    user, cookie = logged_in
    status, headers, _ = auth(server, cookie)
    assert status == 200 and headers["x-auth-user-id"] == str(user.pk)
    assert headers["x-auth-username"] == user.username and headers["cache-control"] == "no-store"
    status, headers, body = auth(server, "not-a-session-at-all")
    assert status == 401 and headers["x-auth-user-id"] == "", body


MASKED = "0123456789ZYXWVUTSRQPONMLKJIHGFE" + "02468acegi9999999999999999999999"  # SECRET, masked
CASES = [
    ("no CSRF cookie", "POST", {"X-CSRFToken": SECRET}, None),
    ("no token", "POST", {}, SECRET),
    ("token 32", "POST", {"X-CSRFToken": SECRET}, SECRET),
    ("token 64", "PUT", {"X-CSRFToken": MASKED}, SECRET),
    ("wrong token", "DELETE", {"X-CSRFToken": "x" * 32}, SECRET),
    ("short token", "POST", {"X-CSRFToken": "abc"}, SECRET),
    ("bad cookie", "POST", {"X-CSRFToken": SECRET}, "abc"),
    ("foreign origin", "POST", {"X-CSRFToken": SECRET, "Origin": "http://evil.example"}, SECRET),
    ("own origin", "POST", {"X-CSRFToken": SECRET, "Origin": "http://testserver"}, SECRET),
    ("trusted origin", "PATCH", {"X-CSRFToken": SECRET, "Origin": "https://app.example.com"}, SECRET),
    ("wildcard origin", "POST", {"X-CSRFToken": SECRET, "Origin": "https://x.example.net"}, SECRET),
    ("bad characters", "POST", {"X-CSRFToken": "-" * 32}, SECRET),
    ("https without referer", "POST", HTTPS, SECRET),
    ("https, insecure referer", "POST", dict(HTTPS, Referer="http://testserver/page"), SECRET),
    ("https, own referer", "POST", dict(HTTPS, Referer="https://testserver/page"), SECRET),
    ("https, foreign referer", "POST", dict(HTTPS, Referer="https://evil.example/"), SECRET),
    ("https, trusted referer", "POST", dict(HTTPS, Referer="https://app.example.com/"), SECRET),
    # Bytes that are not UTF-8: WSGI gives Django every header as latin-1 text.
    ("origin not UTF-8", "POST", {"X-CSRFToken": SECRET, "Origin": "http://testserver\xe9"}, SECRET),
    ("trusted origin not UTF-8", "POST", {"X-CSRFToken": SECRET, "Origin": "https://\xe9.example.net"}, SECRET),
    ("https, referer not UTF-8", "POST", dict(HTTPS, Referer="https://testserver/\xff"), SECRET),
    ("https, foreign referer not UTF-8", "POST", dict(HTTPS, Referer="https://\xe9vil.example/"), SECRET),
    ("token not ASCII", "POST", {"X-CSRFToken": "\xe9" * 32}, SECRET),
]


@pytest.mark.parametrize("name,method,headers,csrf_cookie", CASES, ids=[c[0] for c in CASES])
def test_unsafe_methods_get_csrf_view_middlewares_verdict(server, logged_in, name, method, headers, csrf_cookie):
    user, cookie = logged_in
    expected = django_verdict(method, headers, csrf_cookie)
    status, answer_headers, body = auth(server, cookie, method, headers, csrf_cookie)
    if expected is None:
        assert status == 200 and answer_headers["x-auth-user-id"] == str(user.pk), body
    else:
        assert status == 403, body
        assert json.loads(body)["errors"] == "CSRF Failed: %s" % expected, (expected, body)


def test_token_methods_are_not_subject_to_csrf(server, logged_in):
    from djtoken.tokenapi.tokens import token_generator

    user, _ = logged_in
    token = token_generator.make_token(user)
    status, headers, _ = server.request(
        "GET", "/auth?user=%s&token=%s" % (user.pk, token), headers={"X-Original-Method": "POST"}
    )
    assert status == 200 and headers["x-auth-user-id"] == str(user.pk)
