"""Django + django-tokenapi under gunicorn against `djtoken serve`, on one database.

    .venv/…/bin/python bench/http_compare.py [--duration 10] [--databases sqlite,postgres,mysql,redis]

Run by bench/http-compare (which builds djtoken and the virtualenv). For each database it
creates the schema, a user and a session (a login through Django) with real Django, finds
gunicorn's best configuration on this machine for the token check (workers and threads;
Django keeps its database connections with CONN_MAX_AGE=None), then loads each server with
wrk on the token check, the forward-auth check (Django: a @token_required view), the
session check (Django: a view behind SessionMiddleware and AuthenticationMiddleware answering
request.user.pk; djtoken: /auth with the session cookie), the DRF token check (Django: an
APIView with TokenAuthentication and IsAuthenticated answering the user's pk; djtoken: /auth
with the drf-token method), the simplejwt access token check (Django: an APIView with
JWTAuthentication and IsAuthenticated; djtoken: /auth with the simplejwt method) and the
knox token check (Django: an APIView with knox's TokenAuthentication; djtoken: /auth with
the knox method alone, since DRF's keyword is knox's) and the login (--endpoints picks some
of: check auth session drf jwt knox login), and prints requests
per second, p50/p99 latency, the ratios, and each server's peak memory (VmHWM; for gunicorn
the sum over its processes). "redis" is the users on SQLite and the sessions in Redis (the
cache engine, DJTOKEN_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0). "mysql" is a fresh
database on DJTOKEN_BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306/test), Django on it
through mysqlclient.
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
GEN = os.path.join(TOP, "fixtures", "gen")
SECRET = "bench-secret-key-" + uuid.uuid4().hex
PASSWORD = "correct-horse-battery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ENDPOINTS = ("check", "auth", "session", "drf", "jwt", "knox", "login")
CACHE_PREFIX = "djtoken-bench-" + uuid.uuid4().hex[:8]


def django_env(url, redis=None):
    env = dict(
        os.environ,
        DJTOKEN_FIXTURE_DATABASE=url,
        DJTOKEN_FIXTURE_TOKENAPI_URLS="1",
        DJTOKEN_FIXTURE_SECRET_KEY=SECRET,
        DJTOKEN_FIXTURE_CONN_MAX_AGE="none",
        DJTOKEN_FIXTURE_DRF="1",
        DJTOKEN_FIXTURE_SIMPLEJWT='{"ACCESS_TOKEN_LIFETIME": 86400}',
        DJTOKEN_FIXTURE_KNOX="1",
        DJANGO_SETTINGS_MODULE="settings",
        PYTHONPATH=GEN,
        PYTHONWARNINGS="ignore",
    )
    if redis:
        env.update(DJTOKEN_FIXTURE_SESSION_CACHE=redis, DJTOKEN_FIXTURE_CACHE_KEY_PREFIX=CACHE_PREFIX)
    return env


def prepare(url, redis=None):
    """migrate, one user and a login (its session), with real Django; returns (pk, tokenapi
    token, session cookie value, DRF key, simplejwt access token, knox token)."""
    code = (
        "import django; django.setup()\n"
        "from django.core.management import call_command; call_command('migrate', verbosity=0)\n"
        "from django.contrib.auth.models import User\n"
        "from django.test import Client\n"
        "from tokenapi.tokens import token_generator\n"
        "u = User.objects.create_user('bench', 'bench@example.com', %r)\n"
        "from rest_framework.authtoken.models import Token\n"
        "c = Client(); c.force_login(u)\n"
        "from rest_framework_simplejwt.tokens import RefreshToken\n"
        "from knox.models import AuthToken\n"
        "print(u.pk, token_generator.make_token(u), c.cookies['sessionid'].value,"
        " Token.objects.create(user=u).key, RefreshToken.for_user(u).access_token,"
        " AuthToken.objects.create(user=u)[1])\n" % PASSWORD
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=django_env(url, redis), check=True, capture_output=True, text=True
    ).stdout.split()
    return out[0], out[1], out[2], out[3], out[4], out[5]


def wait_up(port, path):
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server on port %d did not come up" % port)


def peak_memory_kib(pid):
    pids = [pid]
    try:
        pids += [
            int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        ]
    except OSError:
        pass
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/status" % p) as f:
                total += int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
        except (OSError, AttributeError):
            pass
    return total


def wrk(url, duration, connections, script=None, env=None, headers=()):
    args = ["wrk", "-t1", "-c%d" % connections, "-d%ds" % duration, "--latency", "--timeout", "30s"]
    if script:
        args += ["-s", script]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run(args + [url], capture_output=True, text=True, env=env).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)\b" % p, out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": pct(50), "p99": pct(99), "non2xx": int(errors.group(1)) if errors else 0}


def check_answers_for(url, header, pk):
    """A check with a credential header answers for the user, not for an anonymous one: the
    load measures what it claims to."""
    import json

    name, value = header.split(": ", 1)
    request = urllib.request.Request(url, headers={name: value})
    with urllib.request.urlopen(request, timeout=10) as reply:
        body = reply.read().decode()
        if reply.headers.get("X-Auth-User-Id") != pk and json.loads(body).get("user") != pk:
            raise SystemExit("%s does not answer for user %s: %s" % (url, pk, body))


def median_run(url, duration, connections, rounds, **kw):
    runs = sorted((wrk(url, duration, connections, **kw) for _ in range(rounds)), key=lambda r: r["rps"])
    return runs[len(runs) // 2]


class Server:
    def __init__(self, args, env, port, health):
        self.port = port
        self.proc = subprocess.Popen(
            args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        wait_up(port, health)

    def stop(self):
        memory = peak_memory_kib(self.proc.pid)
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(30)
        return memory


def gunicorn(url, workers, threads, redis=None):
    port = free_port()
    args = [
        os.path.join(os.path.dirname(sys.executable), "gunicorn"),
        "--chdir",
        GEN,
        "-w",
        str(workers),
        "--bind",
        "127.0.0.1:%d" % port,
        "--log-level",
        "warning",
    ]
    if threads > 1:
        args += ["-k", "gthread", "--threads", str(threads)]
    return Server(args + ["wsgi:application"], django_env(url, redis), port, "/token/new.json")


def postgres_database(server_url, prefix):
    """A new database on the PostgreSQL server of ``server_url``: its URL, and the function
    that drops it."""
    import psycopg2

    name = prefix + uuid.uuid4().hex[:8]
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    admin.cursor().execute('CREATE DATABASE "%s"' % name)

    def cleanup():
        admin.cursor().execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)

    return server_url.rsplit("/", 1)[0] + "/" + name, cleanup


def best_gunicorn(url, path, connections, database, redis=None, headers=()):
    """gunicorn's best configuration on this machine for ``path`` (workers, threads)."""
    best = None
    for workers, threads in [(2, 1), (3, 1), (4, 1), (2, 4), (4, 2)]:
        server = gunicorn(url, workers, threads, redis)
        result = wrk("http://127.0.0.1:%d%s" % (server.port, path), 5, connections, headers=headers)
        server.stop()
        print(
            "  gunicorn -w %d --threads %d (%s): %.0f req/s" % (workers, threads, database, result["rps"]),
            file=sys.stderr,
        )
        if best is None or result["rps"] > best[0]:
            best = (result["rps"], workers, threads)
    return best[1], best[2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--djtoken", default=os.path.join(TOP, "target", "release", "djtoken"))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--login-connections", type=int, default=4)
    parser.add_argument("--databases", default="sqlite,postgres,mysql,redis")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--redis", default=os.environ.get("DJTOKEN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument(
        "--postgres", default=os.environ.get("DJTOKEN_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument(
        "--mysql", default=os.environ.get("DJTOKEN_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
    )
    opts = parser.parse_args()
    endpoints = [e for e in opts.endpoints.split(",") if e]
    unknown = set(endpoints) - set(ENDPOINTS)
    if unknown:
        parser.error("unknown endpoints: %s (known: %s)" % (", ".join(sorted(unknown)), ", ".join(ENDPOINTS)))
    rows = []
    tmp = tempfile.mkdtemp(prefix="djtoken-http-bench-")
    for database in opts.databases.split(","):
        cleanup = None
        redis = opts.redis if database == "redis" else None
        if database in ("sqlite", "redis"):
            url = "sqlite:" + os.path.join(tmp, "bench-%s.sqlite3" % database)
        elif database == "mysql":
            from urllib.parse import unquote, urlsplit

            import MySQLdb

            parts = urlsplit(opts.mysql)
            admin = MySQLdb.connect(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 3306,
                user=unquote(parts.username or ""),
                passwd=unquote(parts.password or ""),
            )
            name = "djtoken_http_bench_" + uuid.uuid4().hex[:8]
            admin.cursor().execute("CREATE DATABASE `%s`" % name)
            url = opts.mysql.rsplit("/", 1)[0] + "/" + name

            def cleanup(admin=admin, name=name):
                admin.cursor().execute("DROP DATABASE IF EXISTS `%s`" % name)

        else:
            url, cleanup = postgres_database(opts.postgres, "djtoken_http_bench_")

        pk, token, session, drf_key, access, knox_token = prepare(url, redis)
        knox_header = ("Authorization: Token %s" % knox_token,)
        cookie = ("Cookie: sessionid=%s" % session,)
        drf_header = ("Authorization: Token %s" % drf_key,)
        jwt_header = ("Authorization: Bearer %s" % access,)
        check_path = "/token/%s/%s.json" % (token, pk)
        login_env = dict(os.environ, BENCH_USERNAME="bench", BENCH_PASSWORD=PASSWORD)
        login_script = os.path.join(TOP, "bench", "login.lua")

        workers, threads = best_gunicorn(url, check_path, opts.connections, database, redis)

        results = {}
        for side in ("django", "djtoken"):
            if side == "django":
                server = gunicorn(url, workers, threads, redis)
                auth_path = "/protected/?user=%s&token=%s" % (pk, token)
                session_path = "/whoami/"
                drf_path = "/drf-whoami/"
                jwt_path = "/jwt-whoami/"
                knox_path = "/knox-whoami/"
            else:
                port = free_port()
                env = dict(
                    os.environ,
                    DJTOKEN_SECRET_KEY=SECRET,
                    DJTOKEN_DATABASE=url,
                    DJTOKEN_BIND="127.0.0.1:%d" % port,
                    DJTOKEN_LOG_LEVEL="error",
                    DJTOKEN_AUTHENTICATION="tokenapi,session,drf-token,simplejwt",
                )
                if redis:
                    env.update(
                        DJTOKEN_SESSION_ENGINE="django.contrib.sessions.backends.cache",
                        DJTOKEN_SESSION_CACHE_URL="%s?key_prefix=%s" % (redis, CACHE_PREFIX),
                    )
                server = Server([opts.djtoken, "serve"], env, port, "/healthz")
                auth_path = "/auth?user=%s&token=%s" % (pk, token)
                session_path = "/auth"
                drf_path = "/auth"
                jwt_path = "/auth"
                knox_path = "/auth"
            base = "http://127.0.0.1:%d" % server.port
            check_answers_for(base + session_path, cookie[0], pk)
            check_answers_for(base + drf_path, drf_header[0], pk)
            check_answers_for(base + jwt_path, jwt_header[0], pk)
            loads = {
                "check": lambda: median_run(base + check_path, opts.duration, opts.connections, opts.rounds),
                "auth": lambda: median_run(base + auth_path, opts.duration, opts.connections, opts.rounds),
                "session": lambda: median_run(
                    base + session_path, opts.duration, opts.connections, opts.rounds, headers=cookie
                ),
                "drf": lambda: median_run(
                    base + drf_path, opts.duration, opts.connections, opts.rounds, headers=drf_header
                ),
                "jwt": lambda: median_run(
                    base + jwt_path, opts.duration, opts.connections, opts.rounds, headers=jwt_header
                ),
                "login": lambda: wrk(
                    base + "/token/new.json", opts.duration, opts.login_connections, script=login_script, env=login_env
                ),
            }
            results[side] = {name: loads[name]() for name in endpoints if name != "knox"}
            results[side]["memory"] = server.stop()
            if "knox" in endpoints:
                if side == "djtoken":
                    # DRF's drf-token method would answer for the Token keyword first.
                    server = Server([opts.djtoken, "serve"], dict(env, DJTOKEN_AUTHENTICATION="knox"), port, "/healthz")
                else:
                    server = gunicorn(url, workers, threads, redis)
                base = "http://127.0.0.1:%d" % server.port
                check_answers_for(base + knox_path, knox_header[0], pk)
                results[side]["knox"] = median_run(
                    base + knox_path, opts.duration, opts.connections, opts.rounds, headers=knox_header
                )
                server.stop()
        rows.append(
            (database, "gunicorn -w %d%s" % (workers, " --threads %d" % threads if threads > 1 else ""), results)
        )
        if cleanup:
            cleanup()

    print()
    print(
        "%-10s %-8s %-22s %12s %9s %9s %8s   %s"
        % ("database", "endpoint", "server", "req/s", "p50 ms", "p99 ms", "non-2xx", "ratio")
    )
    for database, config, results in rows:
        for endpoint in endpoints:
            d, t = results["django"][endpoint], results["djtoken"][endpoint]
            print(
                "%-10s %-8s %-22s %12.0f %9.2f %9.2f %8d"
                % (database, endpoint, "Django (" + config + ")", d["rps"], d["p50"], d["p99"], d["non2xx"])
            )
            print(
                "%-10s %-8s %-22s %12.0f %9.2f %9.2f %8d   %.1fx"
                % (database, endpoint, "djtoken serve", t["rps"], t["p50"], t["p99"], t["non2xx"], t["rps"] / d["rps"])
            )
        print(
            "%-10s peak memory: Django %.1f MB (all processes), djtoken %.1f MB"
            % (database, results["django"]["memory"] / 1024, results["djtoken"]["memory"] / 1024)
        )


if __name__ == "__main__":
    main()
