"""Django's own test suites for what djtoken replaces, run against djtoken: the test modules of
the installed Django's source release, unchanged but for their imports.

    python tests/live/django_suites.py        (a Django virtualenv with djtoken installed)

The source release (the sdist, pinned by hash in fixtures/requirements/django-sdists.txt) is
fetched from the package index into .venv/django-src/, and these modules run with Django's
own runtests.py on SQLite:

- tests/signing/tests.py: `from django.core import signing` is `from djtoken import signing`;
- tests/auth_tests/test_hashers.py: the hasher classes it imports, and every
  `django.contrib.auth.hashers.<Class>` it names in PASSWORD_HASHERS, are djtoken.hashers'
  (the global default list is djtoken.hashers.PASSWORD_HASHERS); make_password,
  check_password and the rest stay Django's, over djtoken's classes;
- tests/auth_tests/test_tokens.py: PasswordResetTokenGenerator is djtoken.tokens'.

Exit status 0 when every test passes.
"""

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

import django

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PINS = os.path.join(TOP, "fixtures", "requirements", "django-sdists.txt")
MODULES = ["signing", "auth_tests.test_hashers", "auth_tests.test_tokens"]


def pin(version):
    for line in open(PINS):
        if line.startswith("Django==%s " % version):
            return line.strip()
    raise SystemExit("django_suites: no pinned sdist for Django %s in %s" % (version, PINS))


def source(version):
    """The release's tests/ folder, fetched and unpacked once."""
    where = os.path.join(TOP, ".venv", "django-src", version)
    tests = os.path.join(where, "tests")
    if os.path.isdir(tests):
        return tests
    os.makedirs(where, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        requirements = os.path.join(tmp, "requirements.txt")
        with open(requirements, "w") as f:
            f.write(pin(version) + "\n")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps"]
            + ["--no-binary", ":all:", "--require-hashes", "-r", requirements, "-d", tmp],
            check=True,
        )
        (archive,) = [n for n in os.listdir(tmp) if n.endswith(".tar.gz")]
        with tarfile.open(os.path.join(tmp, archive)) as tar:
            members = [m for m in tar.getmembers() if m.name.split("/", 2)[1:2] == ["tests"]]
            for m in members:
                m.name = m.name.split("/", 1)[1]
            # Python 3.12+ (and 3.10.12+) filter members; the pinned hash vouches for older ones.
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(where, members=members, **safe)
    return tests


HASHER_CLASSES = [
    "Argon2PasswordHasher",
    "BCryptPasswordHasher",
    "BCryptSHA256PasswordHasher",
    "MD5PasswordHasher",
    "PBKDF2PasswordHasher",
    "PBKDF2SHA1PasswordHasher",
    "ScryptPasswordHasher",
]


def point_at_djtoken(tests):
    """The three modules with their imports pointed at djtoken's."""
    import djtoken.hashers

    def rewrite(path, edit):
        with open(path) as f:
            text = f.read()
        changed = edit(text)
        assert changed != text, "nothing to point at djtoken in %s" % path
        with open(path, "w") as f:
            f.write(changed)

    rewrite(
        os.path.join(tests, "signing", "tests.py"),
        lambda t: t.replace("from django.core import signing\n", "from djtoken import signing\n"),
    )

    ours = [c for c in HASHER_CLASSES if hasattr(djtoken.hashers, c)]

    def hashers(text):
        text = text.replace(
            "from django.conf.global_settings import PASSWORD_HASHERS\n",
            "from djtoken.hashers import PASSWORD_HASHERS\n",
        )
        # After Django's import block, djtoken's classes under the same names.
        block = re.search(r"from django\.contrib\.auth\.hashers import \((.*?)\)\n", text, re.S)
        names = [c for c in ours if re.search(r"\b%s\b" % c, block.group(1))]
        text = text[: block.end()] + "from djtoken.hashers import %s\n" % ", ".join(names) + text[block.end() :]
        for c in ours:
            text = text.replace('"django.contrib.auth.hashers.%s"' % c, '"djtoken.hashers.%s"' % c)
        return text

    rewrite(os.path.join(tests, "auth_tests", "test_hashers.py"), hashers)
    rewrite(
        os.path.join(tests, "auth_tests", "test_tokens.py"),
        lambda t: t.replace(
            "from django.contrib.auth.tokens import PasswordResetTokenGenerator\n",
            "from djtoken.tokens import PasswordResetTokenGenerator\n",
        ),
    )


def main():
    version = django.get_version()
    pristine = source(version)
    with tempfile.TemporaryDirectory(prefix="djtoken-django-suites-") as tmp:
        tests = os.path.join(tmp, "tests")
        shutil.copytree(pristine, tests)
        point_at_djtoken(tests)
        print("-- Django %s's own suites against djtoken: %s" % (version, ", ".join(MODULES)), flush=True)
        result = subprocess.run(
            [sys.executable, "runtests.py", "--settings=test_sqlite", "--parallel=1", "-v", "1", *MODULES],
            cwd=tests,
        )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
