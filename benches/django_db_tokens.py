"""Time Django's authenticate(pk=…, token=…) (tokenapi's TokenBackend) on a database, for
benches/db_tokens.rs to print beside djtoken's database-backed check.

    python benches/django_db_tokens.py DATABASE_URL USER_ID TOKEN

Prints "<nanoseconds per call>". Runs in a Django virtualenv (scripts/venv).
"""

import os
import sys
import timeit
import warnings

warnings.simplefilter("ignore")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "gen"))
os.environ["DJTOKEN_FIXTURE_DATABASE"] = sys.argv[1]
os.environ["DJTOKEN_FIXTURE_TOKENAPI_URLS"] = "1"

from common import setup  # noqa: E402

setup()

from django.contrib.auth import authenticate  # noqa: E402

user_id, token = sys.argv[2], sys.argv[3]
assert authenticate(pk=user_id, token=token) is not None, "the token must be valid in Django too"
timer = timeit.Timer(lambda: authenticate(pk=user_id, token=token))
n, _ = timer.autorange()
print("%.0f" % (min(timer.repeat(repeat=5, number=n)) / n * 1e9))
