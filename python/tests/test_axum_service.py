"""The tower layer against `djtoken serve`'s `/auth`, with real Django's credentials: the
example service (`examples/axum_service.rs`, the layer in front of `GET`/`POST /whoami`) and
`djtoken serve` read one `djtoken.toml` (the project's `djtoken_config`, with every method),
and each request — Django's session cookie with and without its CSRF token, cross-site,
DRF's, knox's and simplejwt's tokens, tokenapi's, wrong ones, none — gets the same verdict
from both: the same user (and the method that found it), or the same refusal (status,
`WWW-Authenticate`, `Cache-Control`, body).

Run with DJTOKEN_FIXTURE_DRF=1 DJTOKEN_FIXTURE_SIMPLEJWT=1 DJTOKEN_FIXTURE_KNOX=1; the example
is built by `cargo build --example axum_service --features axum,…` (scripts/test), or named by
DJTOKEN_AXUM_SERVICE.
"""

import http.client
import json
import os
import re
import subprocess
import time
import uuid

import pytest
from conftest import TOP, free_port
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
    from django.conf import settings
    from djtoken.config.export import export

    folder = tmp_path_factory.mktemp("axum")
    key = folder / "secret-key"
    key.write_text(settings.SECRET_KEY)
    key.chmod(0o600)
    text = export(secret_key_file=str(key)).text
    methods = json.dumps(request.param.split(","))
    text = re.sub(r"(?m)^AUTHENTICATION_METHODS = .*$", "AUTHENTICATION_METHODS = " + methods, text)
    config = folder / "djtoken.toml"
    config.write_text(text)
    server = Served(djtoken_bin, database_url, scratch_dir, ["--config", str(config)], configured=True)
    example = Example(str(config), scratch_dir)
    yield server.port, example.port
    example.stop()
    server.stop()


def ask(port, method, path, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=b"" if method == "POST" else None, headers=headers)
    response = conn.getresponse()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()


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
