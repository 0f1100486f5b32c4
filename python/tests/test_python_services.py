"""Python services beside the Django site, as deployed: the FastAPI app under uvicorn and the
Flask app under gunicorn of docs/python-services.md (its blocks, as written), both from the
`services` virtualenv, which has no Django, with the project's djtoken.toml -- against
`djtoken serve`'s `/auth` and real Django on the same database (and, in a cell of its own
with DJTOKEN_FIXTURE_SESSION_CACHE, Django's sessions in the same Redis).

Every credential of test_axum_service's list (Django's session cookie with and without its
CSRF token, cross-site, DRF's, knox's and simplejwt's tokens, tokenapi's, wrong ones, none)
gets the same verdict from `/auth`, from the FastAPI app (behind `djtoken.asgi` with
`required=True`, and through `Depends(django_user)`) and from the Flask app (behind
`djtoken.wsgi`); a session Django logged out, an expired token and an inactive user's token
are refused by all three; a FastAPI websocket route accepts the session cookie and refuses a logged-out one; a
login through `djtoken.fastapi.login` is `request.user` in Django.

Needs DJTOKEN_SERVICES_PYTHON (the `services` virtualenv's python, with djtoken installed:
scripts/test sets it) and DJTOKEN_FIXTURE_DRF=1 DJTOKEN_FIXTURE_SIMPLEJWT=1
DJTOKEN_FIXTURE_KNOX=1.
"""

import base64
import json
import os
import socket
import subprocess
import time
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from conftest import Served, doc_block, free_port, methods_config
from django.test import Client
from test_axum_service import FORM, ORDERS, Jar, ask, credentials

pytestmark = pytest.mark.database

SERVICES_PYTHON = os.environ.get("DJTOKEN_SERVICES_PYTHON")
COMPARED = ("www-authenticate", "cache-control", "content-type", "retry-after")


class Service:
    """A server of the services virtualenv on a free port."""

    def __init__(self, argv, config, scratch, port, apps):
        self.port = port
        self.log_path = os.path.join(scratch, "service-%s.log" % uuid.uuid4().hex[:8])
        environment = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}
        environment["DJTOKEN_CONFIG"] = config
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(argv, env=environment, stdout=log, stderr=log, cwd=apps)
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                assert self.proc.poll() is None, open(self.log_path).read()
                assert time.time() < deadline, open(self.log_path).read()
                time.sleep(0.05)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


@pytest.fixture(scope="module", params=ORDERS)
def services(request, djtoken_bin, database_url, scratch_dir, tmp_path_factory):
    """`djtoken serve`, the FastAPI app and the Flask app, on one configuration."""
    if not SERVICES_PYTHON:
        pytest.skip("DJTOKEN_SERVICES_PYTHON is not set (scripts/test sets it)")
    folder = tmp_path_factory.mktemp("services")
    config = methods_config(folder, request.param)
    # The point of the exercise: services without Django.
    assert subprocess.run([SERVICES_PYTHON, "-c", "import django"], capture_output=True).returncode != 0
    (folder / "fastapi_app.py").write_text(doc_block("fastapi-service", "python"))
    (folder / "flask_app.py").write_text(doc_block("flask-service", "python"))
    server = Served(djtoken_bin, database_url, scratch_dir, ["--config", config], configured=True)
    fastapi_port, flask_port = free_port(), free_port()
    uvicorn = [SERVICES_PYTHON, "-m", "uvicorn", "fastapi_app:app", "--host", "127.0.0.1"]
    argv = uvicorn + ["--port", str(fastapi_port), "--log-level", "warning"]
    fastapi = Service(argv, config, scratch_dir, fastapi_port, str(folder))
    gunicorn = [SERVICES_PYTHON, "-m", "gunicorn", "-w", "1", "-b", "127.0.0.1:%d" % flask_port, "flask_app:app"]
    flask = Service(gunicorn, config, scratch_dir, flask_port, str(folder))
    yield server.port, fastapi.port, flask.port
    flask.stop()
    fastapi.stop()
    server.stop()


def same_verdict(name, auth, other, user_pk=None):
    """`other` (status, headers, body) answers as `/auth` did."""
    status, got, body = auth
    other_status, other_headers, other_body = other
    if status == 200:
        assert other_status == 200, (name, other_status, other_body)
        answer = json.loads(other_body)
        assert answer["pk"] == int(got["x-auth-user-id"]) and answer["username"] == got["x-auth-username"], name
        return answer["method"]
    assert (other_status, other_body) == (status, body), name
    assert {h: other_headers.get(h) for h in COMPARED} == {h: got.get(h) for h in COMPARED}, name
    return None


def test_every_credential_gets_the_same_verdict_in_fastapi_and_flask(services):
    auth_port, fastapi_port, flask_port = services
    user, cases, cross_site = credentials()
    allowed = 0
    for name, expected, method, query, headers in cases:
        auth = ask(auth_port, method, "/auth" + query, headers)
        strict = same_verdict(name, auth, ask(fastapi_port, method, "/strict/whoami" + query, headers))
        flask = same_verdict(name, auth, ask(flask_port, method, "/whoami" + query, headers))
        assert strict == flask == (expected if auth[0] == 200 else None), (name, strict, flask)
        # Through the FastAPI dependency: the same user, or the refusal as an HTTPException
        # (its status, /auth's message as the detail, its challenge).
        status, got, body = ask(fastapi_port, method, "/whoami" + query, headers)
        if auth[0] == 200:
            allowed += 1
            assert status == 200 and json.loads(body)["method"] == expected, (name, body)
        else:
            assert status == auth[0], (name, status, body)
            assert json.loads(body) == {"detail": json.loads(auth[2])["errors"]}, (name, body)
            assert got.get("www-authenticate") == auth[1].get("www-authenticate"), name
        if method == "GET":
            maybe = json.loads(ask(fastapi_port, "GET", "/maybe" + query, headers)[2])
            assert maybe["pk"] == (user.pk if auth[0] == 200 else None), (name, maybe)
    assert allowed == 5 + (cross_site is not None), allowed


def django_session(user):
    client = Client()
    assert client.login(username=user.username, password="pw")
    return client, "sessionid=%s" % client.cookies["sessionid"].value


def test_a_logged_out_session_an_expired_token_and_an_inactive_user_are_refused_everywhere(services):
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import AccessToken

    auth_port, fastapi_port, flask_port = services
    user = get_user_model().objects.create_user("svc-%s" % uuid.uuid4().hex[:8], "s@example.com", "pw")
    client, cookie = django_session(user)
    token = {"Authorization": "Bearer %s" % AccessToken.for_user(user)}

    def verdicts(headers):
        return [
            ask(port, "GET", path, headers)[0]
            for port, path in ((auth_port, "/auth"), (fastapi_port, "/strict/whoami"), (flask_port, "/whoami"))
        ]

    assert verdicts({"Cookie": cookie}) == [200, 200, 200]
    client.logout()
    assert len(set(verdicts({"Cookie": cookie}))) == 1 and verdicts({"Cookie": cookie})[0] == 401
    assert verdicts(token) == [200, 200, 200]
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    assert verdicts({"Authorization": "Bearer %s" % expired}) == [401, 401, 401]
    user.is_active = False
    user.save()
    after = verdicts(token)
    assert len(set(after)) == 1 and after[0] in (401, 403), after


def handshake(port, headers):
    """A WebSocket handshake to /ws: the status, and the first text message when accepted."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /ws HTTP/1.1",
        "Host: 127.0.0.1:%d" % port,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: " + key,
        "Sec-WebSocket-Version: 13",
    ] + ["%s: %s" % kv for kv in headers.items()]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status = int(head.split()[1])
        if status != 101:
            return status, None
        while len(rest) < 2 or len(rest) < 2 + (rest[1] & 0x7F):
            rest += conn.recv(4096)
        # A server's text frame: unmasked, a short payload.
        assert rest[0] == 0x81, rest
        return status, json.loads(rest[2 : 2 + (rest[1] & 0x7F)])


def test_a_websocket_route_accepts_the_session_and_refuses_a_logged_out_one(services):
    from django.contrib.auth import get_user_model

    _, fastapi_port, _ = services
    user = get_user_model().objects.create_user("ws-%s" % uuid.uuid4().hex[:8], "w@example.com", "pw")
    client, cookie = django_session(user)
    assert handshake(fastapi_port, {"Cookie": cookie}) == (101, {"pk": user.pk, "method": "session"})
    client.logout()
    assert handshake(fastapi_port, {"Cookie": cookie}) == (403, None)
    assert handshake(fastapi_port, {}) == (403, None)


def test_a_login_through_fastapi_is_request_user_in_django(services):
    from django.conf import settings
    from django.contrib.auth import get_user_model

    auth_port, fastapi_port, _ = services
    user = get_user_model().objects.create_user("fa-%s" % uuid.uuid4().hex[:8], "f@example.com", "pw")
    browser = Jar()
    status, _, body, set_cookie = browser.call(fastapi_port, "GET", "/csrf")
    assert status == 200 and set_cookie, body
    token = json.loads(body)["csrf_token"]
    # Without the token: Django's CSRF refusal; a wrong password: the login form's.
    form = urlencode({"username": user.username, "password": "pw"})
    status, _, body, _ = browser.call(fastapi_port, "POST", "/login", FORM, form)
    assert status == 403 and json.loads(body)["detail"].startswith("CSRF Failed"), body
    wrong = urlencode({"username": user.username, "password": "no", "csrfmiddlewaretoken": token})
    assert browser.call(fastapi_port, "POST", "/login", FORM, wrong)[0] == 400
    form = urlencode({"username": user.username, "password": "pw", "csrfmiddlewaretoken": token})
    status, headers, body, _ = browser.call(fastapi_port, "POST", "/login", FORM, form)
    assert status == 200 and headers["cache-control"] == "no-store", (status, headers, body)
    answer = json.loads(body)
    assert answer["pk"] == user.pk
    django = Client(enforce_csrf_checks=True)
    for name, value in browser.cookies.items():
        django.cookies[name] = value
    assert django.get("/whoami/").json()["user"] == str(user.pk)
    assert django.post("/whoami/", HTTP_X_CSRFTOKEN=answer["csrf_token"]).json()["user"] == str(user.pk)
    assert browser.call(auth_port, "GET", "/auth")[1]["x-auth-user-id"] == str(user.pk)
    # The logout, with the rotated token: Django sees no one (but a signed cookie, which
    # cannot be revoked).
    old = browser.cookies[settings.SESSION_COOKIE_NAME]
    status, _, body, _ = browser.call(fastapi_port, "POST", "/logout", {"X-CSRFToken": answer["csrf_token"]})
    assert status == 200 and settings.SESSION_COOKIE_NAME not in browser.cookies, body
    replayed = Client()
    replayed.cookies[settings.SESSION_COOKIE_NAME] = old
    signed = settings.SESSION_ENGINE.endswith("signed_cookies")
    assert replayed.get("/whoami/").json()["user"] == (str(user.pk) if signed else None)
