"""The behaviour matrix of django-tokenapi 2.1.1 (django-spec.md §7.4), request by request:
real Django (test Client, startproject's middleware, CSRF enforced) and `djtoken serve` on
the same database and key must give the same status, content type and JSON body.

Where tokenapi crashes (500), djtoken answers tokenapi-style 4xx instead; where tokenapi's
decorator answers 400 for an undecodable Authorization header, djtoken's /auth answers 401
(nginx's auth_request turns a 400 into a 500). Those rows are checked to be exactly that.
"""

import base64
import datetime
import http.client
import json
import os
import uuid

import django
import pytest
from conftest import LIVE_DB, Served
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from tokenapi.tokens import token_generator

pytestmark = pytest.mark.database

User = get_user_model()
PASSWORD = "correct horse"
MESSAGES = {
    "decorator": {"status": 403, "errors": "Incorrect user and token pair."},
    "token": {"status": 401, "errors": "Token did not match user."},
    "new": {"status": 401, "errors": "Unable to log you in, please try again."},
}

if settings.AUTH_USER_MODEL != "auth.User":
    pytest.skip("the matrix is tokenapi's with Django's own user model", allow_module_level=True)


@pytest.fixture(scope="module")
def users():
    suffix = uuid.uuid4().hex[:6]
    alice = User.objects.create_user("alice" + suffix, "alice@example.com", PASSWORD)
    bob = User.objects.create_user("bob" + suffix, "bob@example.com", PASSWORD)
    bob.is_active = False
    bob.save()
    return alice, bob


@pytest.fixture(scope="module")
def server(djtoken_bin, database_url, scratch_dir):
    served = Served(djtoken_bin, database_url, scratch_dir)
    yield served.port
    served.stop()


def django_request(method, path, query="", body=None, content_type=None, headers=None):
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()}
    if query:
        extra["QUERY_STRING"] = query
    kwargs = {"content_type": content_type} if content_type else {}
    response = client.generic(method, path, data=body or b"", **kwargs, **extra)
    return response.status_code, response.get("Content-Type"), response.content


def djtoken_request(port, method, path, query="", body=None, content_type=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    all_headers = dict(headers or {})
    if content_type:
        all_headers["Content-Type"] = content_type
    url = path + ("?" + query if query else "")
    conn.putrequest(method, url, skip_accept_encoding=True)
    for k, v in all_headers.items():
        conn.putheader(k, v.encode("latin-1") if isinstance(v, str) else v)
    body = body or b""
    if body or method in ("POST", "PUT"):
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)
    response = conn.getresponse()
    return response.status, response.getheader("Content-Type"), response.read()


def basic(text):
    return "Basic " + base64.b64encode(text.encode()).decode()


def q(**kwargs):
    from urllib.parse import urlencode

    return urlencode(kwargs)


def cases(alice, bob):
    """(name, kind, method, django path, djtoken path, query, body, content type, headers)."""
    pk = str(alice.pk)
    tok = token_generator.make_token(alice)
    today = (datetime.date.today() - datetime.date(2001, 1, 1)).days
    aged = lambda days: token_generator._make_token_with_timestamp(alice, today - days)  # noqa: E731
    long_digits = "1" * 4301
    out = []

    def deco(name, method="GET", query="", body=None, content_type=None, headers=None):
        out.append((name, "decorator", method, "/protected/", "/auth", query, body, content_type, headers))

    def view(name, token, user, method="GET", raw=None):
        path = raw if raw is not None else "/token/%s/%s.json" % (token, user)
        out.append((name, "token", method, path, path, "", None, None, None))

    def new(name, method="POST", body=None, content_type="application/x-www-form-urlencoded"):
        out.append((name, "new", method, "/token/new.json", "/token/new.json", "", body, content_type, None))

    form = "application/x-www-form-urlencoded"
    deco("no credentials")
    deco("GET pair", query=q(user=pk, token=tok))
    deco("POST pair", "POST", body=q(user=pk, token=tok).encode(), content_type=form)
    deco("wrong token", query=q(user=pk, token=tok[:-1] + ("0" if tok[-1] != "0" else "1")))
    for days in (7, 8, -100):
        deco("token aged %d days" % days, query=q(user=pk, token=aged(days)))
    for bad in ["nodash", tok + "-x", "z" * 14 + "-" + tok.split("-")[1], tok.upper(), tok[:-1] + "é", tok + " "]:
        deco("malformed token %r" % bad, query=q(user=pk, token=bad))
    for text in [
        " " + pk,
        "+" + pk,
        "0" + pk,
        "".join(chr(0x660 + int(d)) for d in pk),
        "".join(chr(0xFF10 + int(d)) for d in pk),
        pk + "\u00a0",
    ]:
        deco("lenient user %r" % text, query=q(user=text, token=tok))
    for text in [pk + "_0", "-1", "3000000000", "999999", str(bob.pk)]:
        deco("other user %r" % text, query=q(user=text, token=tok))
    deco("empty user", query=q(user="", token=tok))
    for text in ["abc", "1.5", pk + "\x00", " ", long_digits]:
        deco("user Django cannot parse %r" % text[:20], query=q(user=text, token=tok))
    for header in [
        basic(pk + ":" + tok),
        "basic " + base64.b64encode((pk + ":" + tok).encode()).decode(),
        "Basic    " + base64.b64encode((pk + ":" + tok).encode()).decode() + "  ",
        "Basic " + "*".join(base64.b64encode((pk + ":" + tok).encode()).decode()),
    ]:
        deco("basic %r" % header[:12], headers={"Authorization": header})
    deco("basic with user abc", headers={"Authorization": basic("abc:" + tok)})
    deco("bearer only", headers={"Authorization": "Bearer " + tok})
    for header in [
        "Basic",
        "Basic\t" + base64.b64encode(b"1:x").decode(),
        "Basic !!!!",
        basic("no-colon"),
        "Basic MQ",
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Basic MT\xe9p0b2s=",
    ]:
        deco("basic malformed %r" % header, headers={"Authorization": header})
    deco("user from POST, token from GET", "POST", query=q(token=tok), body=q(user=pk).encode(), content_type=form)
    deco(
        "empty POST user beats GET user",
        "POST",
        query=q(user=pk, token=tok),
        body=q(user="").encode(),
        content_type=form,
    )
    deco("basic replaces a lone GET user", query=q(user=str(bob.pk)), headers={"Authorization": basic(pk + ":" + tok)})
    deco("params win over basic", query=q(user=pk, token="x-y"), headers={"Authorization": basic(pk + ":" + tok)})
    deco("last value wins", query="user=999999&user=%s&token=%s" % (pk, tok))

    view("valid", tok, pk)
    view("wrong user", tok, str(bob.pk))
    view("nonexistent user", tok, "999999")
    view("24 junk characters", "x" * 24, pk)
    view("23-character token", tok[:-1], pk)
    view("trailing newline", None, None, raw="/token/%s/%s.json%%0A" % (tok, pk))
    view("user of 4301 digits", tok, long_digits)
    view("unescaped dot", None, None, raw="/token/%s/%sxjson" % (tok, pk))
    view("Arabic-Indic digits", None, None, raw="/token/%s/%s.json" % (tok, "".join("%%D9%%A%d" % int(d) for d in pk)))
    view("POST hits CSRF", tok, pk, method="POST")
    view("2**63", tok, str(2**63))

    new("GET", method="GET", body=None, content_type=None)
    new("PUT", method="PUT", body=q(username=alice.username, password=PASSWORD).encode())
    new("missing fields", body=b"")
    new("wrong password", body=q(username=alice.username, password="nope").encode())
    new("unknown user", body=q(username="nobody-" + uuid.uuid4().hex, password=PASSWORD).encode())
    new("inactive user", body=q(username=bob.username, password=PASSWORD).encode())
    new("upper-case username", body=q(username=alice.username.upper(), password=PASSWORD).encode())
    new("fullwidth username", body=q(username="\uff41" + alice.username[1:], password=PASSWORD).encode())
    new(
        "JSON body",
        body=json.dumps({"username": alice.username, "password": PASSWORD}).encode(),
        content_type="application/json",
    )
    new("password with NUL", body=q(username=alice.username, password=PASSWORD + "\x00").encode())
    new("username with NUL", body=q(username=alice.username + "\x00", password=PASSWORD).encode())
    boundary = "djtokenboundary"
    multipart = (
        (
            '--{b}\r\nContent-Disposition: form-data; name="username"\r\n\r\n{u}\r\n'
            '--{b}\r\nContent-Disposition: form-data; name="password"\r\n\r\n{p}\r\n--{b}--\r\n'
        )
        .format(b=boundary, u=alice.username, p=PASSWORD)
        .encode()
    )
    new("multipart", body=multipart, content_type="multipart/form-data; boundary=" + boundary)
    new("bad multipart", body=b"--x\r\nbad", content_type="multipart/form-data; boundary=x")
    new("OK", body=q(username=alice.username, password=PASSWORD).encode())
    return out


def test_every_row_answers_as_tokenapi_does(users, server):
    alice, bob = users
    failures, checked, deviations = [], 0, 0
    for name, kind, method, django_path, djtoken_path, query, body, ctype, headers in cases(alice, bob):
        expected = django_request(method, django_path, query, body, ctype, headers)
        got = djtoken_request(server, method, djtoken_path, query, body, ctype, headers)
        checked += 1
        e_status, e_type, e_body = expected
        g_status, g_type, g_body = got
        label = "%s %s: Django %d %s %r, djtoken %d %s %r" % (
            kind,
            name,
            e_status,
            e_type,
            e_body[:120],
            g_status,
            g_type,
            g_body[:120],
        )
        if e_status == 500:
            # tokenapi crashed: djtoken answers as tokenapi does for a wrong pair.
            deviations += 1
            want = MESSAGES[kind]
            ok = g_status == want["status"] and json.loads(g_body) == {"success": False, "errors": want["errors"]}
        elif kind == "decorator" and e_status == 400:
            # /auth turns tokenapi's 400 into a 401 challenge with the same message.
            deviations += 1
            ok = g_status == 401 and g_body == e_body
        elif e_type == "application/json":
            ok = (g_status, g_type, g_body) == (e_status, e_type, e_body)
        else:
            ok = g_status == e_status and g_type == e_type
        if os.environ.get("DJTOKEN_MATRIX_VERBOSE"):
            print(("ok   " if ok else "FAIL ") + label)
        if not ok:
            failures.append(label)
    assert not failures, "\n".join(failures)
    print("%d rows, %d documented deviations (Django %s, %s)" % (checked, deviations, django.get_version(), LIVE_DB))
