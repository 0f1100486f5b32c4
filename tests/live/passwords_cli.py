"""Password hashes both ways between real Django and the djtoken CLI, fresh on every run.

    python tests/live/passwords_cli.py path/to/djtoken

1. Django hashes random passwords with every hasher class its version defines (random salts,
   sometimes other work factors or a short salt); `djtoken password check` must give the
   verdict Django's own check gives: match, match-needs-rehash or mismatch.
2. `djtoken password hash` hashes random passwords with every algorithm it writes; Django must
   accept each, and must not want to rehash it (must_update false).

Run with the Python of a Django virtualenv (scripts/venv SERIES); scripts/test does so.
"""

import os
import random
import secrets
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "gen"))
warnings.simplefilter("ignore")

from common import series, setup  # noqa: E402

setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import hashers as H  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

BINARY = os.path.abspath(sys.argv[1])
SEED = int(os.environ.get("DJTOKEN_CROSSCHECK_SEED", secrets.randbits(32)))
rng = random.Random(SEED)
SERIES = series()
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !$%&/()=?éüßøł日本🔑"
WRITES = ["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt", "md5"] + (
    ["scrypt"] if SERIES != "3.2" else []
)

CLASSES = [name for name in dir(H) if name.endswith("PasswordHasher") and name != "BasePasswordHasher"]
ALL = list(settings.PASSWORD_HASHERS) + [
    "django.contrib.auth.hashers." + c
    for c in CLASSES
    if "django.contrib.auth.hashers." + c not in settings.PASSWORD_HASHERS
]


def password(max_bytes=None):
    while True:
        pw = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))
        if max_bytes is None or len(pw.encode()) <= max_bytes:
            return pw


def djtoken(args, password):
    # One trailing newline ends the password (and makes the empty password an explicit one).
    run = subprocess.run(
        [BINARY, "password", args[0], "--django-version", SERIES, *args[1:]],
        input=(password + "\n").encode(),
        capture_output=True,
    )
    return run.returncode, run.stdout.decode().strip(), run.stderr.decode().strip()


def django_verdict(pw, encoded):
    hasher = H.identify_hasher(encoded)
    preferred = H.get_hasher("default")
    must_update = hasher.algorithm != preferred.algorithm or preferred.must_update(encoded)
    correct = H.check_password(pw, encoded)
    return "mismatch" if not correct else ("match-needs-rehash" if must_update else "match")


failures = []
checks = 0
with override_settings(PASSWORD_HASHERS=ALL):
    classes = [H.import_string(path)() for path in ALL]
    for hasher in classes:
        for variant in range(2):
            pw = password(72 if hasher.algorithm == "bcrypt" else None)
            if hasher.algorithm in ("bcrypt", "bcrypt_sha256"):
                salt = __import__("bcrypt").gensalt(rng.choice([4, 5, 12]))
            elif hasher.algorithm in ("unsalted_md5", "unsalted_sha1"):
                salt = ""
            elif hasher.algorithm == "crypt":
                salt = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz./") for _ in range(2))
            else:
                salt = H.get_random_string(rng.choice([22, 22, 12]))
            kwargs = {}
            if hasher.algorithm.startswith("pbkdf2") and variant:
                kwargs["iterations"] = rng.randint(1, 5000)
            if hasher.algorithm == "scrypt" and variant:
                kwargs.update(n=2 ** rng.randint(4, 12), r=rng.randint(1, 8), p=rng.randint(1, 3))
            encoded = hasher.encode(pw, salt, **kwargs)
            for attempt in (pw, pw + "x"):
                expected = django_verdict(attempt, encoded)
                code, out, err = djtoken(["check", "--password-hashers", ",".join(ALL), "--", encoded], attempt)
                checks += 1
                if out != expected or (code == 0) != expected.startswith("match"):
                    failures.append(
                        "check %s: Django %s, djtoken %r (exit %d) %s" % (encoded, expected, out, code, err)
                    )

for algorithm in WRITES:
    for _ in range(2):
        pw = password(72 if algorithm == "bcrypt" else None)
        code, encoded, err = djtoken(["hash", "--algorithm", algorithm], pw)
        if code != 0:
            failures.append("hash %s failed: %s" % (algorithm, err))
            continue
        with override_settings(PASSWORD_HASHERS=ALL):
            hasher = H.identify_hasher(encoded)
            ok = H.check_password(pw, encoded) and not H.check_password(pw + "x", encoded)
            stale = hasher.must_update(encoded)
        checks += 1
        if hasher.algorithm != algorithm or not ok or stale:
            failures.append("Django on djtoken's %s: accepts=%s must_update=%s (%s)" % (algorithm, ok, stale, encoded))

print("Django %s, seed %d: %d password checks both ways, %d mismatches" % (SERIES, SEED, checks, len(failures)))
for failure in failures:
    print("  " + failure)
sys.exit(1 if failures else 0)
