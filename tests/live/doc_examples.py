"""The documentation's examples that need no Django, run verbatim: the README's main command
starts the server, its quick-start requests run against it, and the command-line examples
(docs/cli.md) run in a scratch directory; the README's test command is the one .ci/run runs.

    python3 tests/live/doc_examples.py path/to/target/debug

The server's database goes to a scratch directory (DJTOKEN_DATABASE) so the checkout stays
clean; everything else is the documentation's text as written.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from docs_blocks import TOP, block

BIN_DIR = os.path.abspath(sys.argv[1])


def port_free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def run_block(script, cwd, env):
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(
            "documentation block failed (%d):\n%s\n--- stdout\n%s\n--- stderr\n%s"
            % (result.returncode, script, result.stdout, result.stderr)
        )
    return result.stdout


def main():
    scratch = tempfile.mkdtemp(prefix="djtoken-readme-")
    assert port_free(8000), "the documentation's examples need 127.0.0.1:8000 free"
    env = dict(os.environ, DJTOKEN_DATABASE="sqlite:%s/db.sqlite3" % scratch, DJTOKEN_LOG_LEVEL="warn")
    for name in ["DJTOKEN_SECRET_KEY", "DJTOKEN_SECRET_KEY_FILE", "DJTOKEN_BIND"]:
        env.pop(name, None)
    server = subprocess.Popen(
        ["bash", "-c", block("main-command", "sh")],
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
        out = run_block(block("quick-start", "sh"), TOP, dict(os.environ))
        assert out.count('"success": true') >= 3, out
        assert "x-auth-user-id: 1" in out and "x-auth-username: alice" in out, out
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    commands = tempfile.mkdtemp(prefix="djtoken-readme-cmd-")
    env = dict(os.environ, PATH=BIN_DIR + os.pathsep + os.environ["PATH"])
    for name in ["DJTOKEN_DATABASE", "DJTOKEN_SECRET_KEY_FILE"]:
        env.pop(name, None)
    out = run_block(block("cli-examples", "sh"), commands, env)
    assert "valid" in out and "match" in out and '"success": true' in out, out
    assert '{"user":42}' in out and "hello:" in out, out
    # The session check printed bob's pk last (and exited 0: the block runs with -e).
    assert out.rstrip().endswith("\n1"), out
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(commands, ignore_errors=True)
    # .ci/run runs exactly the README's test command.
    test_command = block("test-command", "sh").strip()
    ci = open(os.path.join(TOP, ".ci", "run")).read().rstrip().splitlines()[-1]
    assert ci == "exec " + test_command, (ci, test_command)
    print("docs: the main command, the quick start and the command-line examples ran; .ci/run is the test command")


if __name__ == "__main__":
    main()
