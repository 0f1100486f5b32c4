"""From Python: djtoken beside Django's and django-tokenapi's own code.

    .venv/django-6.1/bin/python bench/python_compare.py      (bench/python-compare builds first)

Per-call times of token make and check (tokenapi's tokens and Django's reset tokens) and of a
password check at this Django's default hasher, then password checks per second on 1 and 2
threads (djtoken hashes without the interpreter lock; Django's hashlib.pbkdf2_hmac also
releases it, so both columns are shown).
"""

import datetime
import itertools
import os
import sys
import threading
import time
import timeit
import warnings

warnings.simplefilter("ignore")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "gen"))
os.environ["DJTOKEN_FIXTURE_TOKENAPI_URLS"] = "1"

from common import setup  # noqa: E402

setup()

import django  # noqa: E402
import djtoken  # noqa: E402
from django.contrib.auth import hashers as dj  # noqa: E402
from django.contrib.auth.tokens import PasswordResetTokenGenerator as DjangoReset  # noqa: E402
from django.core import signing as django_signing  # noqa: E402
from djtoken import signing as djtoken_signing  # noqa: E402
from djtoken.tokenapi.tokens import token_generator as djtoken_tokenapi  # noqa: E402
from djtoken.tokens import PasswordResetTokenGenerator as DjtokenReset  # noqa: E402
from tokenapi.tokens import token_generator as tokenapi_generator  # noqa: E402


class User:
    pk = 1234
    password = dj.make_password("correct horse", "abcdefghijklmnopqrstuv")
    email = "alice@example.com"
    last_login = datetime.datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc)

    @classmethod
    def get_email_field_name(cls):
        return "email"


def per_call(fn):
    timer = timeit.Timer(fn)
    n, _ = timer.autorange()
    return min(timer.repeat(repeat=5, number=max(n, 1))) / max(n, 1)


def fmt(seconds):
    return "%.2f µs" % (seconds * 1e6) if seconds < 1e-3 else "%.1f ms" % (seconds * 1e3)


def throughput(check, threads, seconds=4.0):
    stop = time.perf_counter() + seconds
    counts = [0] * threads

    def work(i):
        while time.perf_counter() < stop:
            check()
            counts[i] += 1

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) / (time.perf_counter() - start)


def main():
    user = User()
    token = tokenapi_generator.make_token(user)
    assert djtoken_tokenapi.check_token(user, token) and tokenapi_generator.check_token(user, token)
    django_reset, ours_reset = DjangoReset(), DjtokenReset()
    reset_token = django_reset.make_token(user)
    assert ours_reset.check_token(user, reset_token)
    # (what, Django's or tokenapi's call, djtoken's call)
    calls = [
        (
            "tokenapi make_token",
            lambda: tokenapi_generator.make_token(user),
            lambda: djtoken_tokenapi.make_token(user),
        ),
        (
            "tokenapi check_token",
            lambda: tokenapi_generator.check_token(user, token),
            lambda: djtoken_tokenapi.check_token(user, token),
        ),
    ]
    # The drop-in remembers the tokens whose signature checked out lately (2,048 users here,
    # twice what it keeps, so every call is a first sight): the HMAC each time, as tokenapi.
    users = []
    for pk in range(2048):
        other = User()
        other.pk = pk
        other.password = user.password[:-8] + "%08d" % pk
        users.append((other, tokenapi_generator.make_token(other)))
    cycle = itertools.cycle(users)

    def first_sight(check):
        def call():
            other, other_token = next(cycle)
            return check(other, other_token)

        return call

    calls += [
        (
            "tokenapi check_token, first sight",
            first_sight(tokenapi_generator.check_token),
            first_sight(djtoken_tokenapi.check_token),
        ),
        ("reset make_token", lambda: django_reset.make_token(user), lambda: ours_reset.make_token(user)),
        (
            "reset check_token",
            lambda: django_reset.check_token(user, reset_token),
            lambda: ours_reset.check_token(user, reset_token),
        ),
    ]
    # django.core.signing.loads of a login session's data, as the db engine stores it
    # (compressed: zlib's inflate alone is about 1.8 µs of it, on either side) and plain.
    session = {
        "_auth_user_id": "1",
        "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
        "_auth_user_hash": "8baaebb6d444b579a460c620aabd3a05f5cb2093942d2bf37ae86fee8f3ef727",
    }
    salt = "django.contrib.sessions.SessionStore"
    for compress in (True, False):
        signed = django_signing.dumps(session, salt=salt, compress=compress)
        assert djtoken_signing.loads(signed, salt=salt) == django_signing.loads(signed, salt=salt) == session
        calls.append(
            (
                "signing.loads (%s)" % ("compressed" if compress else "plain"),
                lambda signed=signed: django_signing.loads(signed, salt=salt),
                lambda signed=signed: djtoken_signing.loads(signed, salt=salt),
            )
        )
    rows = [(what, per_call(theirs), per_call(ours)) for what, theirs, ours in calls]
    encoded = dj.make_password("correct horse")
    hashers = djtoken.Hashers("%d.%d" % django.VERSION[:2])
    assert hashers.check_password("correct horse", encoded).is_correct

    def django_check():
        return dj.check_password("correct horse", encoded)

    def djtoken_check():
        return hashers.check_password("correct horse", encoded)

    rows.append(
        (
            "check_password (%s)" % encoded.split("$")[0] + " %s" % encoded.split("$")[1],
            per_call(django_check),
            per_call(djtoken_check),
        )
    )

    print("Django %s, Python %s" % (django.get_version(), sys.version.split()[0]))
    print("%-34s %14s %14s %9s" % ("per call", "Django/tokenapi", "djtoken", "speed-up"))
    for name, theirs, mine in rows:
        print("%-34s %14s %14s %8.1fx" % (name, fmt(theirs), fmt(mine), theirs / mine))
    print()
    print("%-34s %14s %14s" % ("password checks per second", "Django", "djtoken"))
    results = {}
    for threads in (1, 2):
        results[threads] = (throughput(django_check, threads), throughput(djtoken_check, threads))
        print("%-34s %14.2f %14.2f" % ("%d thread%s" % (threads, "s" if threads > 1 else ""), *results[threads]))
    print(
        "%-34s %13.2fx %13.2fx" % ("2 threads / 1 thread", results[2][0] / results[1][0], results[2][1] / results[1][1])
    )


if __name__ == "__main__":
    main()
