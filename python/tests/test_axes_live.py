"""django-axes' lockouts, read by djtoken from axes' own tables.

A project with django-axes (its database handler; DJTOKEN_FIXTURE_AXES in
fixtures/gen/settings.py: 3 failures, a 36-second cool-off, lockout by username and by address
and browser together) exports its configuration with `manage.py djtoken_config`; Django then
records failed logins as it does for any site, and djtoken must refuse exactly the logins axes
would refuse (429, as axes answers), whatever the password, and let the rest through. The
oracle is axes itself: `AxesProxyHandler.is_allowed` on the same username, address and
browser.
"""

import datetime
import os
import uuid
from urllib.parse import quote

import pytest
import tomllib
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

pytestmark = pytest.mark.database

if not os.environ.get("DJTOKEN_FIXTURE_AXES"):
    pytest.skip("runs with DJTOKEN_FIXTURE_AXES=1 (scripts/test does)", allow_module_level=True)

from axes.handlers.proxy import AxesProxyHandler  # noqa: E402
from axes.models import AccessAttempt  # noqa: E402

User = get_user_model()
PASSWORD = "correct horse"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    folder = tmp_path_factory.mktemp("axes-project")
    output, key = folder / "djtoken.toml", folder / "djtoken-secret-key"
    call_command("djtoken_config", output=str(output), secret_key_file=str(key))
    with open(output, "a") as f:
        # The address as Django sees it (REMOTE_ADDR behind the proxy): the proxy's header.
        f.write('\n[serve]\nclient_address_header = "X-Real-IP"\n')
    return output


def django_request(ip, agent):
    meta = {"REMOTE_ADDR": ip}
    if agent is not None:
        meta["HTTP_USER_AGENT"] = agent
    return RequestFactory().post("/accounts/login/", **meta)


def django_fails(username, ip, agent):
    """A failed login through Django's authenticate(), which axes records."""
    assert authenticate(django_request(ip, agent), username=username, password="wrong") is None


def django_allows(username, ip, agent):
    return AxesProxyHandler.is_allowed(django_request(ip, agent), {"username": username})


def djtoken_login(server, username, ip, agent):
    headers = {"Content-Type": FORM, "X-Real-IP": ip}
    if agent is not None:
        headers["User-Agent"] = agent
    body = "username=%s&password=%s" % (quote(username), quote(PASSWORD))
    return server.request("POST", "/token/new.json", body=body, headers=headers)


def agree(server, username, ip, agent):
    """djtoken answers as axes decides: 429 where axes refuses, the login's own answer
    (200 for the right password) where it allows."""
    status, headers, _ = djtoken_login(server, username, ip, agent)
    allowed = django_allows(username, ip, agent)
    assert (status == 200) == allowed and status in (200, 429), (username, ip, agent, status, allowed)
    return status, headers


def test_the_file_carries_axes_settings(config):
    conf = tomllib.loads(config.read_text())
    assert conf["AXES_ENABLED"] is True and conf["AXES_FAILURE_LIMIT"] == 3
    assert conf["AXES_COOLOFF_TIME"] == 0.01
    assert conf["AXES_LOCKOUT_PARAMETERS"] == ["username", ["ip_address", "user_agent"]]
    assert "Not carried over" not in config.read_text()


def test_djtoken_refuses_what_axes_refuses(serve, config):
    server = serve(["--config", str(config)], configured=True)
    alice = User.objects.create_user("axes-a-" + uuid.uuid4().hex[:6], "a@example.com", PASSWORD)
    bob = User.objects.create_user("axes-b-" + uuid.uuid4().hex[:6], "b@example.com", PASSWORD)

    # Nothing recorded yet: both log in.
    assert agree(server, alice.username, "10.3.0.1", "Firefox")[0] == 200

    # Three failures for alice in Django, from three places: her username is locked out,
    # from anywhere and with the right password, for the cool-off after the latest failure.
    for i in range(3):
        django_fails(alice.username, "10.3.1.%d" % i, "Browser %d" % i)
    status, headers = agree(server, alice.username, "10.3.9.9", "Firefox")
    # Until the latest failure is 36 s old: a few seconds have passed since it.
    assert status == 429 and 20 <= int(headers["retry-after"]) <= 36, headers
    assert agree(server, bob.username, "10.3.1.0", "Browser 0")[0] == 200

    # By address and browser together: failures under other usernames lock that pair only.
    for i in range(3):
        django_fails("nobody-%d-%s" % (i, uuid.uuid4().hex[:4]), "10.3.2.1", "Chrome")
    assert agree(server, bob.username, "10.3.2.1", "Chrome")[0] == 429
    assert agree(server, bob.username, "10.3.2.1", "Safari")[0] == 200
    assert agree(server, bob.username, "10.3.2.2", "Chrome")[0] == 200
    # No User-Agent at all: axes records and matches "<unknown>".
    for i in range(3):
        django_fails("nobody-%d-%s" % (i, uuid.uuid4().hex[:4]), "10.3.3.1", None)
    assert agree(server, bob.username, "10.3.3.1", None)[0] == 429

    # Once the failures are older than the cool-off, axes and djtoken let alice in again.
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    AccessAttempt.objects.filter(username=alice.username).update(attempt_time=old)
    assert agree(server, alice.username, "10.3.9.9", "Firefox")[0] == 200
    # An administrator's reset (axes_reset) unlocks the address at once.
    AccessAttempt.objects.filter(ip_address="10.3.2.1").delete()
    assert agree(server, bob.username, "10.3.2.1", "Chrome")[0] == 200

    # djtoken only reads axes' tables: its own failures are not recorded there.
    before = AccessAttempt.objects.count()
    body = "username=%s&password=wrong" % quote(bob.username)
    assert server.request("POST", "/token/new.json", body=body, headers={"Content-Type": FORM})[0] == 401
    assert AccessAttempt.objects.count() == before
    assert "django_axes=true" in server.read_log()
