"""Django's side of benches/simplejwt.rs: simplejwt's access token for a user, and the time
of what JWTAuthentication does with it before the user lookup: AccessToken(raw) (PyJWT's
jwt.decode, then simplejwt's verify).

    python benches/django_simplejwt.py

Prints one JSON object: the secret key, the token, and nanoseconds per AccessToken(raw).
Runs in a Django virtualenv (scripts/venv 6.1).
"""

import json
import os
import sys
import timeit
import warnings

warnings.simplefilter("ignore")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "gen"))
os.environ["DJTOKEN_FIXTURE_SIMPLEJWT"] = json.dumps({"ACCESS_TOKEN_LIFETIME": 3600})

from common import setup  # noqa: E402

setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402


def per_call(fn):
    timer = timeit.Timer(fn)
    n, _ = timer.autorange()
    return min(timer.repeat(repeat=5, number=n)) / n * 1e9


call_command("migrate", verbosity=0)
user = get_user_model().objects.create_user("bench", password="x")
token = str(AccessToken.for_user(user))
raw = token.encode()
ns = per_call(lambda: AccessToken(raw))
print(json.dumps({"secret": settings.SECRET_KEY, "token": token, "pk": str(user.pk), "ns": ns}))
