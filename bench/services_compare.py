"""A Python service beside Django, measured: a FastAPI endpoint behind djtoken.asgi answering
the request's user pk, under uvicorn with one worker per core, against the Django views that
do the same (a view behind SessionMiddleware and AuthenticationMiddleware, and a DRF APIView
with TokenAuthentication) under gunicorn at its best, on one database made by real Django.

    bench/services-compare [--duration 5] [--rounds 3] [--databases sqlite,postgres]

Run by bench/services-compare (release wheels in both virtualenvs). For each database: real
Django migrates, makes a user, its session, its DRF token and a tokenapi token
(bench/http_compare.py's `prepare`); gunicorn's best configuration for the session view is
found (bench/http_compare.py's `best_gunicorn`); then wrk (-t1 -c64, the median of the rounds)
loads Django's two views and the FastAPI endpoint with the session cookie and the DRF token,
and the FastAPI endpoint with a tokenapi token and without the middleware (the same endpoint:
the ceiling). Prints requests per second, the ratios (the Python-services issue asks for at
least 5x Django for the session cookie and the DRF token), and the middleware's own cost per
request, measured in process (bench/services_cost.py: the same endpoint called as ASGI with
and without the middleware, a tokenapi token, one request at a time: the process's CPU time,
every thread included, and the wall time; the issue asks for at most 20 us).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "bench"))
from http_compare import (  # noqa: E402
    SECRET,
    Server,
    best_gunicorn,
    check_answers_for,
    free_port,
    gunicorn,
    median_run,
    postgres_database,
    prepare,
)


def uvicorn(python, config, target, workers):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}
    env.update(DJTOKEN_CONFIG=config, PYTHONPATH=os.path.join(TOP, "bench"))
    args = [python, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    return Server(args, env, port, "/pk")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--services-python", required=True)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres", default=os.environ.get("DJTOKEN_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    )
    opts = parser.parse_args()
    workers = os.cpu_count() or 1
    tmp = tempfile.mkdtemp(prefix="djtoken-services-bench-")
    key = os.path.join(tmp, "secret-key")
    with open(key, "w") as f:
        f.write(SECRET)
    rows = []
    for database in opts.databases.split(","):
        cleanup = None
        if database == "sqlite":
            url = "sqlite:" + os.path.join(tmp, "bench.sqlite3")
        else:
            url, cleanup = postgres_database(opts.postgres, "djtoken_services_bench_")

        pk, token, session, drf_key = prepare(url)[:4]
        config = os.path.join(tmp, "djtoken-%s.toml" % database)
        with open(config, "w") as f:
            f.write(
                'DJANGO_VERSION = "6.1"\nDATABASE_URL = "%s"\nSECRET_KEY_FILE = "secret-key"\n'
                'AUTHENTICATION_METHODS = ["session", "drf-token", "tokenapi"]\nALLOWED_HOSTS = ["127.0.0.1"]\n' % url
            )
        cookie = ("Cookie: sessionid=%s" % session,)
        drf = ("Authorization: Token %s" % drf_key,)
        query = "user=%s&token=%s" % (pk, token)

        def load(base, path, headers=()):
            return median_run(base + path, opts.duration, opts.connections, opts.rounds, headers=headers)

        results = {}
        g_workers, g_threads = best_gunicorn(url, "/whoami/", opts.connections, database, headers=cookie)
        server = gunicorn(url, g_workers, g_threads)
        base = "http://127.0.0.1:%d" % server.port
        check_answers_for(base + "/whoami/", cookie[0], pk)
        check_answers_for(base + "/drf-whoami/", drf[0], pk)
        results["Django, session"] = load(base, "/whoami/", cookie)
        results["Django, DRF token"] = load(base, "/drf-whoami/", drf)
        server.stop()
        server = uvicorn(opts.services_python, config, "services_app:app", workers)
        base = "http://127.0.0.1:%d" % server.port
        check_answers_for(base + "/pk", cookie[0], pk)
        check_answers_for(base + "/pk", drf[0], pk)
        results["FastAPI, session"] = load(base, "/pk", cookie)
        results["FastAPI, DRF token"] = load(base, "/pk", drf)
        results["FastAPI, tokenapi"] = load(base, "/pk?" + query)
        server.stop()
        server = uvicorn(opts.services_python, config, "services_app:bare", workers)
        results["FastAPI, no middleware"] = load("http://127.0.0.1:%d" % server.port, "/pk")
        server.stop()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}
        env.update(DJTOKEN_CONFIG=config)
        cost = json.loads(
            subprocess.run(
                [opts.services_python, os.path.join(TOP, "bench", "services_cost.py"), query],
                env=env,
                cwd=os.path.join(TOP, "bench"),
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        gunicorn_config = "gunicorn -w %d%s" % (g_workers, " --threads %d" % g_threads if g_threads > 1 else "")
        rows.append((database, gunicorn_config, results, cost))
        if cleanup:
            cleanup()

    print("\n%-10s %-26s %10s %8s %8s %8s" % ("database", "server", "req/s", "p50 ms", "p99 ms", "non-2xx"))
    for database, gunicorn_config, results, cost in rows:
        for name, r in results.items():
            print("%-10s %-26s %10.0f %8.2f %8.2f %8d" % (database, name, r["rps"], r["p50"], r["p99"], r["non2xx"]))
        for credential in ("session", "DRF token"):
            ratio = results["FastAPI, " + credential]["rps"] / results["Django, " + credential]["rps"]
            print("%-10s FastAPI / Django (%s), %s: %.1fx" % (database, gunicorn_config, credential, ratio))
        print(
            "%-10s the middleware's cost per request (tokenapi, in process): %.1f us of CPU (%.1f with it, %.1f"
            " without); wall time %.1f us with it, %.1f without"
            % (
                database,
                cost["cpu_with"] - cost["cpu_without"],
                cost["cpu_with"],
                cost["cpu_without"],
                cost["with"],
                cost["without"],
            )
        )


if __name__ == "__main__":
    main()
