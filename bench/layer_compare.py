"""The tower layer's cost, measured: requests per second of examples/axum_service.rs's
`GET /whoami` behind the layer (a tokenapi token, Django's session cookie, a DRF token),
against the same service's open route with no layer (the ceiling), and against the
forward-auth path to that open route (nginx's `auth_request` → `djtoken serve`'s `/auth` →
the service: the README's recipe), on one SQLite database.

    bench/layer-compare [--duration 4] [--rounds 3]

Run by bench/layer-compare (the release binaries, the bench virtualenv). Real Django makes
the database (migrate), a user, its session and its tokens (bench/http_compare.py's
`prepare`); then djtoken serve, the example and nginx (the documented recipe from
docs/forward-auth.md), and runs wrk (-t2 -c64) on each path, the paths alternating round by
round; prints each path's median req/s and p99, and the ratios the Rust-services issue asks
for (layer / open route: at least 0.7 with a tokenapi token; layer / forward auth: at least
2). Needs wrk and nginx.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "live"))
sys.path.insert(0, os.path.join(TOP, "bench"))
from docs_blocks import block  # noqa: E402
from http_compare import SECRET, prepare  # noqa: E402

NGINX_CONF = """
daemon off;
worker_processes 2;
error_log {tmp}/error.log warn;
pid {tmp}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream djtoken {{ server 127.0.0.1:{djtoken}; keepalive 64; }}
    upstream service {{ server 127.0.0.1:{service}; keepalive 64; }}
{server}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, log):
    deadline = time.time() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError as e:
            if time.time() > deadline:
                raise SystemExit("nothing listens on %d: %s" % (port, log())) from e
            time.sleep(0.05)


def wrk(url, duration, headers):
    command = ["wrk", "-t2", "-c64", "-d%ds" % duration, "--latency"]
    for name, value in headers.items():
        command += ["-H", "%s: %s" % (name, value)]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit("%s answered %s non-2xx responses: the credential was refused" % (url, non2xx.group(1)))
    return rate, p99


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            raise SystemExit("bench/layer_compare.py needs %s" % tool)
    binary = os.path.join(TOP, "target", "release", "djtoken")
    example = os.path.join(TOP, "target", "release", "examples", "axum_service")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    with tempfile.TemporaryDirectory() as tmp:
        url = "sqlite:" + os.path.join(tmp, "db.sqlite3")
        pk, token, session, drf = prepare(url)[:4]
        key = os.path.join(tmp, "secret-key")
        with open(key, "w") as f:
            f.write(SECRET)
        config = os.path.join(tmp, "djtoken.toml")
        with open(config, "w") as f:
            f.write(
                'DJANGO_VERSION = "6.1"\nDATABASE_URL = "%s"\nSECRET_KEY_FILE = "secret-key"\n'
                'AUTHENTICATION_METHODS = ["session", "drf-token", "tokenapi"]\nALLOWED_HOSTS = ["127.0.0.1"]\n' % url
            )
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}
        env["DJTOKEN_CONFIG"] = config
        procs = []
        try:
            serve_log = os.path.join(tmp, "serve.log")
            djtoken_port, service_port, nginx_port = free_port(), free_port(), free_port()
            with open(serve_log, "w") as log:
                procs.append(
                    subprocess.Popen(
                        [binary, "serve", "--bind", "127.0.0.1:%d" % djtoken_port, "--log-level", "warn"]
                        + [
                            "--forwarded-uri-header",
                            "X-Original-URI",
                            "--forwarded-method-header",
                            "X-Original-Method",
                        ],
                        env=env,
                        stdout=log,
                        stderr=log,
                    )
                )
                procs.append(
                    subprocess.Popen(
                        [example, "--config", config, "--bind", "127.0.0.1:%d" % service_port],
                        env=env,
                        stdout=log,
                        stderr=log,
                    )
                )
            server = block("nginx-recipe", "nginx").replace("listen 8080;", "listen 127.0.0.1:%d;" % nginx_port)
            server = server.replace("proxy_pass http://127.0.0.1:9000;", "proxy_pass http://service;")
            server = server.replace("proxy_pass http://127.0.0.1:8000/auth;", "proxy_pass http://djtoken/auth;")
            # Keep-alive to both upstreams, as a production nginx would have it.
            server = server.replace(
                "location /app/ {",
                'location /app/ {\n        proxy_http_version 1.1;\n        proxy_set_header Connection "";',
            )
            server = server.replace(
                "internal;", 'internal;\n        proxy_http_version 1.1;\n        proxy_set_header Connection "";'
            )
            with open(os.path.join(tmp, "nginx.conf"), "w") as f:
                f.write(NGINX_CONF.format(tmp=tmp, server=server, djtoken=djtoken_port, service=service_port))
            procs.append(
                subprocess.Popen(
                    [nginx, "-p", tmp, "-c", os.path.join(tmp, "nginx.conf")],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            for port in (djtoken_port, service_port, nginx_port):
                wait_for(port, lambda: open(serve_log).read())
            query = "?user=%s&token=%s" % (pk, token)
            service = "http://127.0.0.1:%d" % service_port
            proxy = "http://127.0.0.1:%d" % nginx_port
            paths = [
                ("open route, no layer (the ceiling)", service + "/app/x", {}),
                ("layer, tokenapi token", service + "/whoami" + query, {}),
                ("layer, session cookie", service + "/whoami", {"Cookie": "sessionid=" + session}),
                ("layer, DRF token", service + "/whoami", {"Authorization": "Token " + drf}),
                ("nginx → /auth → open route, tokenapi token", proxy + "/app/x" + query, {}),
                ("nginx → /auth → open route, session cookie", proxy + "/app/x", {"Cookie": "sessionid=" + session}),
            ]
            results = {name: [] for name, _, _ in paths}
            for _ in range(args.rounds):
                for name, url, headers in paths:
                    results[name].append(wrk(url, args.duration, headers))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(30)
    rate = {name: statistics.median(r for r, _ in runs) for name, runs in results.items()}
    for name, runs in results.items():
        print("%-46s %9.0f req/s   p99 %s" % (name, rate[name], runs[-1][1]))
    ceiling = rate["open route, no layer (the ceiling)"]
    for credential, forward in (("tokenapi token", "tokenapi token"), ("session cookie", "session cookie")):
        layer = rate["layer, " + credential]
        print(
            "layer with a %s: %.2f× the open route, %.2f× the forward-auth path"
            % (credential, layer / ceiling, layer / rate["nginx → /auth → open route, " + forward])
        )
    print("layer with a DRF token: %.2f× the open route" % (rate["layer, DRF token"] / ceiling))


if __name__ == "__main__":
    main()
