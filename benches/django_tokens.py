"""Time Django's own token checks, for benches/tokens.rs to print beside djtoken's.

Prints "<name> <nanoseconds per call>" lines. Runs in a Django virtualenv (scripts/venv).
"""

import os
import sys
import timeit
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "gen"))
warnings.simplefilter("ignore")

from common import setup  # noqa: E402

setup()

import datetime  # noqa: E402

from django.contrib.auth.tokens import PasswordResetTokenGenerator  # noqa: E402
from tokenapi.tokens import token_generator  # noqa: E402

PH = "pbkdf2_sha256$1500000$abcdefghijklmnopqrstuv$pNqHYgQMzZwLzZH8KDx+/7Hu5G0/nkZvE3+OniqKI9o="


class User:
    pk = 1234
    password = PH
    email = "alice@example.com"
    last_login = datetime.datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc)

    @classmethod
    def get_email_field_name(cls):
        return "email"


def per_call(fn):
    timer = timeit.Timer(fn)
    n, _ = timer.autorange()
    return min(timer.repeat(repeat=7, number=n)) / n * 1e9


user = User()
token = token_generator.make_token(user)
assert token_generator.check_token(user, token)
print("tokenapi_check_token %.0f" % per_call(lambda: token_generator.check_token(user, token)))
reset = PasswordResetTokenGenerator()
reset_token = reset.make_token(user)
assert reset.check_token(user, reset_token)
print("reset_check_token %.0f" % per_call(lambda: reset.check_token(user, reset_token)))
