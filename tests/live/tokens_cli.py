"""Independent token vectors: real Django makes them with fresh random secrets and inputs on
every run, and `djtoken token make` / `check` must agree, in UTC and in other TIME_ZONEs,
at the expiry boundary and on either side of it.

    python tests/live/tokens_cli.py path/to/djtoken [cases]

Run with the Python of a Django virtualenv (scripts/venv SERIES); scripts/test does so for
every series.
"""

import datetime
import os
import random
import secrets
import subprocess
import sys
import uuid
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "gen"))
warnings.simplefilter("ignore")

ZONES = ["UTC", "America/Chicago", "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns", "Europe/Paris"]
BINARY = os.path.abspath(sys.argv[1])
CASES = int(sys.argv[2]) if len(sys.argv) > 2 else 40
SEED = int(os.environ.get("DJTOKEN_CROSSCHECK_SEED", secrets.randbits(32)))
rng = random.Random(SEED)

# One TIME_ZONE per process, set the way Django sets it: from settings, before setup().
ZONE = os.environ.get("DJTOKEN_FIXTURE_TIME_ZONE") or rng.choice(ZONES)
os.environ["DJTOKEN_FIXTURE_TIME_ZONE"] = ZONE
os.environ["DJTOKEN_FIXTURE_SECRET_KEY"] = secrets.token_urlsafe(rng.randint(20, 60))

from common import series, setup  # noqa: E402

setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.tokens import PasswordResetTokenGenerator  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from tokenapi.tokens import token_generator  # noqa: E402

UTC = datetime.timezone.utc
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=$._-éü日本"


def text(lo, hi):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(lo, hi)))


def random_pk():
    kind = rng.choice(["int", "bigint", "uuid", "str"])
    if kind == "int":
        return rng.randint(1, 2**31 - 1), "int"
    if kind == "bigint":
        return rng.randint(-(2**63), 2**63 - 1), "int"
    if kind == "uuid":
        return uuid.UUID(int=rng.getrandbits(128)), "uuid"
    return text(1, 20), "str"


class User:
    def __init__(self):
        self.pk, self.pk_kind = random_pk()
        self.password = "pbkdf2_sha256$%d$%s$%s" % (rng.randint(1, 2_000_000), text(8, 22), text(20, 44))
        self.email = rng.choice(["", None, text(3, 30) + "@example.com"])
        self.last_login = rng.choice(
            [
                None,
                datetime.datetime(
                    2024,
                    rng.randint(1, 12),
                    rng.randint(1, 28),
                    rng.randint(0, 23),
                    rng.randint(0, 59),
                    rng.randint(0, 59),
                    rng.randint(0, 999999),
                    tzinfo=UTC,
                ),
            ]
        )

    @classmethod
    def get_email_field_name(cls):
        return "email"


def djtoken(args, env):
    run = subprocess.run([BINARY, "token", *args], env=env, capture_output=True, text=True, encoding="utf-8")
    if run.returncode not in (0, 1):
        raise SystemExit("djtoken %s failed (%d): %s" % (" ".join(args), run.returncode, run.stderr))
    return run.stdout.strip(), run.returncode


failures = []
checked = 0
for _ in range(CASES):
    user = User()
    fmt = rng.choice(["tokenapi", "reset"])
    # A random instant in 2020-2030, then the local time Django sees there.
    instant = datetime.datetime(2020, 1, 1, tzinfo=UTC) + datetime.timedelta(
        seconds=rng.randint(0, 10 * 365 * 86400), microseconds=rng.randint(0, 999999)
    )
    local = datetime.datetime.fromtimestamp(int(instant.timestamp())).replace(microsecond=instant.microsecond)
    old_key = secrets.token_urlsafe(30)
    env = dict(os.environ, DJTOKEN_SECRET_KEY=settings.SECRET_KEY, DJTOKEN_SECRET_KEY_FALLBACKS=old_key + "\n")
    common = [
        "--format=" + fmt,
        "--user=%s" % user.pk,
        "--pk-type=" + user.pk_kind,
        "--password-hash=" + user.password,
        "--time-zone=" + ZONE,
        "--now=" + instant.isoformat().replace("+00:00", "Z"),
    ]
    if user.email:
        common.append("--email=" + user.email)
    if user.last_login:
        common.append("--last-login=" + user.last_login.isoformat())

    if fmt == "tokenapi":
        timeout = rng.choice([None, 0, 1, 7, 30])
        token_generator._today = lambda local=local: local.date()
        overrides = {} if timeout is None else {"TOKEN_TIMEOUT_DAYS": timeout}
        with override_settings(**overrides):
            made = token_generator.make_token(user)
            today = (local.date() - datetime.date(2001, 1, 1)).days
            effective = 7 if timeout is None else timeout
            candidates = [(made, True)]
            for age in (effective, effective + 1, -3):
                token = token_generator._make_token_with_timestamp(user, today - age)
                candidates.append((token, token_generator.check_token(user, token)))
    else:
        timeout = rng.choice([None, 0, 60, 3600, 259200])
        overrides = {} if timeout is None else {"PASSWORD_RESET_TIMEOUT": timeout}
        with override_settings(**overrides):
            gen = PasswordResetTokenGenerator()
            gen._now = lambda local=local: local
            made = gen.make_token(user)
            now_s = int((local - datetime.datetime(2001, 1, 1)).total_seconds())
            effective = 259200 if timeout is None else timeout
            candidates = [(made, True)]
            for age in (effective, effective + 1, -500):
                if series() == "3.2":
                    token = gen._make_token_with_timestamp(user, now_s - age)
                else:
                    token = gen._make_token_with_timestamp(user, now_s - age, settings.SECRET_KEY)
                candidates.append((token, gen.check_token(user, token)))
            if series() != "3.2":
                # A token signed with the old key, which SECRET_KEY_FALLBACKS accepts.
                with override_settings(SECRET_KEY=old_key):
                    old_gen = PasswordResetTokenGenerator()
                    old_token = old_gen._make_token_with_timestamp(user, now_s, old_key)
                with override_settings(SECRET_KEY_FALLBACKS=[old_key]):
                    fb_gen = PasswordResetTokenGenerator()
                    fb_gen._now = lambda local=local: local
                    candidates.append((old_token, fb_gen.check_token(user, old_token)))
    unit = "--timeout-days" if fmt == "tokenapi" else "--timeout-seconds"
    args = common + ([] if timeout is None else ["%s=%d" % (unit, timeout)])
    ours, _ = djtoken(["make", *args], env)
    if ours != made:
        failures.append("make %s: Django %s, djtoken %s (args %r)" % (fmt, made, ours, args))
    for token, django_says in candidates:
        word, code = djtoken(["check", *args, "--", token], env)
        checked += 1
        if (word == "valid") != django_says or (code == 0) != django_says:
            failures.append(
                "check %s %s: Django %s, djtoken %s/%d (args %r)" % (fmt, token, django_says, word, code, args)
            )

print(
    "Django %s, TIME_ZONE %s, seed %d: %d tokens made, %d checks, %d mismatches"
    % (series(), ZONE, SEED, CASES, checked, len(failures))
)
for failure in failures:
    print("  " + failure)
sys.exit(1 if failures else 0)
