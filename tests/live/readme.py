"""The README's examples, run verbatim: the main command starts the server, the quick-start
requests run against it, and the command examples run in a scratch directory.

    python3 tests/live/readme.py path/to/target/debug

The server's database goes to a scratch directory (DJTOKEN_DATABASE) so the checkout stays
clean; everything else is the README's text as written.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
README = open(os.path.join(TOP, "README.md"), encoding="utf-8").read()
BIN_DIR = os.path.abspath(sys.argv[1])


def block(marker):
    match = re.search(r"<!-- readme-test: %s -->\n```sh\n(.*?)```" % marker, README, re.S)
    assert match, "README has no %s block" % marker
    return match.group(1)


def main_command():
    match = re.search(r"\| run the server on a new SQLite database[^|]*\| `([^`]+)` \|", README)
    assert match, "README has no main command"
    return match.group(1)


def port_free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def run_block(script, cwd, env):
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(
            "README block failed (%d):\n%s\n--- stdout\n%s\n--- stderr\n%s"
            % (result.returncode, script, result.stdout, result.stderr)
        )
    return result.stdout


def main():
    scratch = tempfile.mkdtemp(prefix="djtoken-readme-")
    assert port_free(8000), "the README's examples need 127.0.0.1:8000 free"
    env = dict(os.environ, DJTOKEN_DATABASE="sqlite:%s/db.sqlite3" % scratch, DJTOKEN_LOG_LEVEL="warn")
    for name in ["DJTOKEN_SECRET_KEY", "DJTOKEN_SECRET_KEY_FILE", "DJTOKEN_BIND"]:
        env.pop(name, None)
    server = subprocess.Popen(
        ["bash", "-c", main_command()],
        cwd=TOP,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.time() + 600  # cargo run may build first
        while port_free(8000):
            assert server.poll() is None, "the main command exited: " + server.stdout.read()
            assert time.time() < deadline, "the server did not start"
            time.sleep(0.2)
        out = run_block(block("requests"), TOP, dict(os.environ))
        assert out.count('"success": true') >= 3, out
        assert "x-auth-user-id: 1" in out and "x-auth-username: alice" in out, out
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    commands = tempfile.mkdtemp(prefix="djtoken-readme-cmd-")
    env = dict(os.environ, PATH=BIN_DIR + os.pathsep + os.environ["PATH"])
    for name in ["DJTOKEN_DATABASE", "DJTOKEN_SECRET_KEY_FILE"]:
        env.pop(name, None)
    out = run_block(block("commands"), commands, env)
    assert "valid" in out and "match" in out and '"success": true' in out, out
    assert '{"user":42}' in out and "hello:" in out, out
    # The session check printed bob's pk last (and exited 0: the block runs with -e).
    assert out.rstrip().endswith("\n1"), out
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(commands, ignore_errors=True)
    print("README: main command, quick-start requests and command examples all ran")


if __name__ == "__main__":
    main()
