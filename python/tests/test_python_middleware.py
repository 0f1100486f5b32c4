"""The ASGI and WSGI middleware (`djtoken.asgi`, `djtoken.wsgi`) against `djtoken serve`'s
`/auth`, with real Django's credentials: both read one `djtoken.toml` (the project's
`djtoken_config`, with every method), and each request of test_axum_service's list --
Django's session cookie with and without its CSRF token, cross-site, DRF's, knox's and
simplejwt's tokens, tokenapi's, wrong ones, none -- gets the same verdict: the same user
(and the method that found it) in `scope["user"]` and `environ["djtoken.user"]`, or, with
`required=True`, the same answer (status, headers, body). A WebSocket handshake is decided
from its cookie; a refused one is closed before it is accepted. A form body is read for its
credentials and handed on unchanged; one above the limit is a 413.

Run with DJTOKEN_FIXTURE_DRF=1 DJTOKEN_FIXTURE_SIMPLEJWT=1 DJTOKEN_FIXTURE_KNOX=1.
"""

import asyncio
import io
import re
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from conftest import Served, methods_config
from test_axum_service import ORDERS, ask, credentials

pytestmark = pytest.mark.database

COMPARED = ("www-authenticate", "cache-control", "content-type", "retry-after")


@pytest.fixture(scope="module", params=ORDERS)
def configured(request, djtoken_bin, database_url, scratch_dir, tmp_path_factory):
    """`djtoken serve` and a gate, on one configuration naming every method."""
    from djtoken.gate import Gate

    config = methods_config(tmp_path_factory.mktemp("middleware"), request.param)
    server = Served(djtoken_bin, database_url, scratch_dir, ["--config", config], configured=True)
    yield server.port, Gate(config)
    server.stop()


def header_list(headers, port):
    """The headers http.client sends /auth, as ASGI carries them."""
    sent = {"host": "127.0.0.1:%d" % port}
    sent.update({k.lower(): v for k, v in headers.items()})
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in sent.items()]


async def asgi_call(middleware, scope, body=b""):
    """Run the middleware on one request: what the app saw (scope, body) and what was sent."""
    seen = {}
    sent = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def app(scope, receive, send):
        seen["scope"] = scope
        if scope["type"] == "http":
            seen["body"] = (await receive())["body"]
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"app"})
        else:
            await receive()
            await send({"type": "websocket.accept"})

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    middleware.app = app
    await middleware(scope, receive, send)
    return seen, sent


def http_scope(method, query, headers, port):
    return {
        "type": "http",
        "method": method,
        "path": "/whoami",
        "query_string": query.lstrip("?").encode(),
        "headers": header_list(headers, port),
    }


def wsgi_call(middleware, method, query, headers, port, body=b""):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": "/whoami", "QUERY_STRING": query.lstrip("?")}
    for name, value in header_list(headers, port):
        key = name.decode().upper().replace("-", "_")
        key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key
        environ[key] = value.decode("latin-1")
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = environ.get("CONTENT_LENGTH", str(len(body)))
    setup_testing_defaults(environ)
    started = {}

    def app(environ, start_response):
        started["environ"] = environ
        start_response("200 OK", [])
        return [environ["wsgi.input"].read()]

    def start_response(status, headers):
        started["status"] = int(status.split()[0])
        started["headers"] = {k.lower(): v for k, v in headers}

    middleware.app = app
    answer = b"".join(middleware(environ, start_response))
    return started, answer


def test_the_middleware_answers_every_credential_as_auth_does(configured):
    from djtoken.asgi import AuthenticationMiddleware as Asgi
    from djtoken.wsgi import AuthenticationMiddleware as Wsgi

    port, gate = configured
    user, cases, cross_site = credentials()
    optional, required = Asgi(None, gate=gate), Asgi(None, gate=gate, required=True)
    wsgi_optional, wsgi_required = Wsgi(None, gate=gate), Wsgi(None, gate=gate, required=True)
    allowed = 0
    for name, expected, method, query, headers in cases:
        status, got, body = ask(port, method, "/auth" + query, headers)
        scope = http_scope(method, query, headers, port)
        seen, _ = asyncio.run(asgi_call(optional, dict(scope)))
        refused_seen, refused_sent = asyncio.run(asgi_call(required, dict(scope)))
        started, answer = wsgi_call(wsgi_optional, method, query, headers, port)
        required_started, required_answer = wsgi_call(wsgi_required, method, query, headers, port)
        asgi_user, wsgi_user = seen["scope"]["user"], started["environ"]["djtoken.user"]
        if status == 200:
            allowed += 1
            for found in (asgi_user, wsgi_user, refused_seen["scope"]["user"]):
                assert found.is_authenticated, (name, found)
                assert found.pk == user.pk == int(got["x-auth-user-id"]), (name, found)
                assert found.username == user.username and found.method == expected, (name, found)
            assert required_started["environ"]["djtoken.user"] == wsgi_user
        else:
            assert not asgi_user.is_authenticated and not wsgi_user.is_authenticated, name
            assert seen["scope"]["djtoken.refusal"].status == status, name
            assert "scope" not in refused_seen, name
            start, sent_body = refused_sent
            assert (start["status"], sent_body["body"].decode()) == (status, body), name
            sent_headers = {k.decode(): v.decode() for k, v in start["headers"]}
            assert {h: sent_headers.get(h) for h in COMPARED} == {h: got.get(h) for h in COMPARED}, name
            assert (required_started["status"], required_answer.decode()) == (status, body), name
            assert {h: required_started["headers"].get(h) for h in COMPARED} == {h: got.get(h) for h in COMPARED}
    assert allowed == 5 + (cross_site is not None), allowed


def test_a_websocket_handshake_is_decided_by_its_cookie(configured):
    from djtoken.asgi import AuthenticationMiddleware

    port, gate = configured
    user, cases, _ = credentials()
    session = next(c for c in cases if c[0] == "session")[4]
    scope = {"type": "websocket", "path": "/ws", "query_string": b"", "headers": header_list(session, port)}

    async def handshake(middleware, scope):
        seen = {}
        sent = []

        async def app(scope, receive, send):
            seen["scope"] = scope
            await send({"type": "websocket.accept"})

        async def receive():
            return {"type": "websocket.connect"}

        async def send(message):
            sent.append(message)

        middleware.app = app
        await middleware(scope, receive, send)
        return seen, sent

    seen, sent = asyncio.run(handshake(AuthenticationMiddleware(None, gate=gate, required=True), dict(scope)))
    assert seen["scope"]["user"].pk == user.pk and seen["scope"]["user"].method == "session"
    assert sent == [{"type": "websocket.accept"}]
    # No cookie: closed before it is accepted (the server answers the handshake 403).
    anonymous = dict(scope, headers=header_list({}, port))
    seen, sent = asyncio.run(handshake(AuthenticationMiddleware(None, gate=gate, required=True), anonymous))
    assert "scope" not in seen and sent == [{"type": "websocket.close", "code": 1008}]
    seen, sent = asyncio.run(handshake(AuthenticationMiddleware(None, gate=gate), anonymous))
    assert not seen["scope"]["user"].is_authenticated and sent == [{"type": "websocket.accept"}]


def test_a_cookie_handshake_from_another_site_is_refused_with_check_origin(configured, tmp_path):
    """Channels' AllowedHostsOriginValidator: the Origin's host must be one ALLOWED_HOSTS
    allows; a token handshake (a browser does not send it on its own) is not checked."""
    from djtoken.asgi import AuthenticationMiddleware
    from djtoken.gate import Gate
    from rest_framework_simplejwt.tokens import AccessToken

    port, _ = configured
    config = methods_config(tmp_path, "session,simplejwt")
    with open(config) as f:
        text = re.sub(r"(?m)^ALLOWED_HOSTS = .*$", 'ALLOWED_HOSTS = ["127.0.0.1", ".example.com"]', f.read())
    with open(config, "w") as f:
        f.write(text)
    gate = Gate(config)
    user, cases, _ = credentials()
    session = next(c for c in cases if c[0] == "session")[4]
    jwt = {"Authorization": "Bearer %s" % AccessToken.for_user(user)}

    def handshake(headers, required=True):
        scope = {"type": "websocket", "path": "/ws", "query_string": b"", "headers": header_list(headers, port)}
        seen, sent = {}, []

        async def app(scope, receive, send):
            seen["user"] = scope["user"]
            await send({"type": "websocket.accept"})

        async def receive():
            return {"type": "websocket.connect"}

        async def send(message):
            sent.append(message)

        middleware = AuthenticationMiddleware(app, gate=gate, required=required, check_origin=True)
        asyncio.run(middleware(scope, receive, send))
        return seen.get("user"), sent[0]["type"]

    for origin in ("http://127.0.0.1:%d" % port, "https://app.example.com", "https://EXAMPLE.com"):
        found, answer = handshake(dict(session, Origin=origin))
        assert found.method == "session" and answer == "websocket.accept", origin
    for origin in (None, "https://evil.example", "https://example.com.evil.example", "null"):
        headers = dict(session) if origin is None else dict(session, Origin=origin)
        assert handshake(headers) == (None, "websocket.close"), origin
        found, answer = handshake(headers, required=False)
        assert not found.is_authenticated and answer == "websocket.accept", origin
    found, answer = handshake(dict(jwt, Origin="https://evil.example"))
    assert found.method == "simplejwt" and answer == "websocket.accept"


def test_a_form_body_is_read_for_its_credentials_and_handed_on(configured):
    from djtoken.asgi import AuthenticationMiddleware as Asgi
    from djtoken.wsgi import AuthenticationMiddleware as Wsgi
    from tokenapi.tokens import token_generator

    port, gate = configured
    user, _, _ = credentials()
    form = urlencode({"user": user.pk, "token": token_generator.make_token(user), "other": "é"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(len(form))}
    seen, sent = asyncio.run(
        asgi_call(Asgi(None, gate=gate, required=True), http_scope("POST", "", headers, port), form)
    )
    assert seen["scope"]["user"].method == "tokenapi" and seen["body"] == form
    started, answer = wsgi_call(Wsgi(None, gate=gate, required=True), "POST", "", headers, port, form)
    assert started["environ"]["djtoken.user"].method == "tokenapi" and answer == form
    # Above serve.body_limit: /auth's 413, for an announced length and for one that is not.
    big = b"x=" + b"y" * gate.body_limit
    status, _, body = ask(port, "POST", "/auth", {"Content-Type": headers["Content-Type"]}, big)
    assert status == 413
    for announced in (True, False):
        sent_headers = {"Content-Type": headers["Content-Type"]}
        if announced:
            sent_headers["Content-Length"] = str(len(big))
        seen, sent = asyncio.run(asgi_call(Asgi(None, gate=gate), http_scope("POST", "", sent_headers, port), big))
        assert "scope" not in seen and (sent[0]["status"], sent[1]["body"].decode()) == (413, body)
    started, answer = wsgi_call(Wsgi(None, gate=gate), "POST", "", {"Content-Type": headers["Content-Type"]}, port, big)
    assert (started["status"], answer.decode()) == (413, body)


def test_a_gate_made_before_a_fork_says_so_in_the_child(configured):
    """A forked process has none of the runtime's threads: a clear error, not a wait forever
    (gunicorn --preload would do this)."""
    import os

    _, gate = configured
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            gate.decide_blocking("GET", "/", b"", [])
            message = b"no error"
        except RuntimeError as e:
            message = str(e).encode()
        os.write(write, message)
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    assert b"before the process forked" in os.read(read, 1000)
