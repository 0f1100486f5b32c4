"""Runs django-tokenapi 2.1.1's own test suite (tests/tests.py of its PyPI sdist) against the
package named by DJTOKEN_TOKENAPI_PACKAGE: `tokenapi` (the control) or `djtoken.tokenapi`.

The sdist ships tests.py and test_settings.py but not the urls.py they name; the URLconf
written here includes the package's urls and the `test_view` the suite reverses.
"""

import glob
import json
import os
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = os.environ.get("DJTOKEN_TOKENAPI_PACKAGE", "djtoken.tokenapi")
SDIST_DIR = os.environ["DJTOKEN_SDIST_DIR"]
VERSION = "2.1.1"


def sdist():
    found = glob.glob(os.path.join(SDIST_DIR, "django_tokenapi-%s.tar.gz" % VERSION))
    if not found:
        os.makedirs(SDIST_DIR, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                SDIST_DIR,
                "django-tokenapi==%s" % VERSION,
            ],
            check=True,
        )
        found = glob.glob(os.path.join(SDIST_DIR, "django_tokenapi-%s.tar.gz" % VERSION))
    return found[0]


def main():
    work = tempfile.mkdtemp(prefix="tokenapi-suite-")
    package_dir = os.path.join(work, "tokenapi_suite")
    os.makedirs(package_dir)
    with tarfile.open(sdist()) as tar:
        tests = tar.extractfile("django_tokenapi-%s/tests/tests.py" % VERSION).read().decode()
        settings_text = tar.extractfile("django_tokenapi-%s/tests/test_settings.py" % VERSION).read().decode()
    tests = tests.replace("from tokenapi.", "from %s." % PACKAGE)
    with open(os.path.join(package_dir, "__init__.py"), "w") as f:
        f.write("")
    with open(os.path.join(package_dir, "tests.py"), "w") as f:
        f.write(tests)
    with open(os.path.join(package_dir, "urls.py"), "w") as f:
        f.write(
            "from django.http import JsonResponse\n"
            "from django.urls import include, path\n"
            "from %s.decorators import token_required\n\n\n"
            "@token_required\n"
            "def test_view(request):\n"
            "    return JsonResponse({'success': True})\n\n\n"
            "urlpatterns = [\n"
            "    path('', include('%s.urls')),\n"
            "    path('test_view/', test_view, name='test_view'),\n"
            "]\n" % (PACKAGE, PACKAGE)
        )
    namespace = {}
    exec(compile(settings_text, "test_settings.py", "exec"), namespace)  # the suite's own settings
    options = {k: v for k, v in namespace.items() if k.isupper()}
    options["ROOT_URLCONF"] = "tokenapi_suite.urls"
    options["AUTHENTICATION_BACKENDS"] = [
        "django.contrib.auth.backends.ModelBackend",
        "%s.backends.TokenBackend" % PACKAGE,
    ]
    options["DATABASES"]["default"].setdefault("NAME", ":memory:")
    sys.path.insert(0, work)

    import warnings

    warnings.simplefilter("ignore")
    import django
    from django.conf import settings

    settings.configure(**options)
    django.setup()
    from django.test.utils import get_runner

    runner = get_runner(settings)(verbosity=1)
    failures = runner.run_tests(["tokenapi_suite.tests"])
    print(json.dumps({"package": PACKAGE, "failures": failures}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
