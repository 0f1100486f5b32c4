"""The `djtoken` command as a new user meets it: prompts, mistakes, the configuration file, the
standalone start. Each test runs the binary."""

import hashlib
import json
import os
import pty
import re
import select
import signal
import stat
import subprocess
import termios
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.contrib.auth.hashers import check_password, make_password

CLEAN = {k: v for k, v in os.environ.items() if not k.startswith("DJTOKEN_")}


def djtoken(binary, *args, stdin=b"", env=None, cwd=None):
    result = subprocess.run([binary, *args], input=stdin, capture_output=True, env=dict(CLEAN, **(env or {})), cwd=cwd)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def on_a_terminal(binary, args, typed, env=None):
    """Run the command with a pseudo-terminal as its controlling terminal; type `typed` at
    each prompt; return everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal is its stdin, stdout and stderr
        os.execve(binary, [binary, *args], dict(CLEAN, **(env or {})))
    shown, answers, deadline = b"", list(typed), time.time() + 60
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
        if answers and shown.rstrip().endswith(b":"):
            # The prompt is written just before echo is turned off: type once it is off, as
            # a person would (typing into the gap was echoed, and failed this test at times).
            echo_off_by = time.time() + 5
            while termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < echo_off_by:
                time.sleep(0.005)
            os.write(fd, answers.pop(0).encode() + b"\r")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def test_passwords_on_a_terminal_are_asked_for_without_echo(djtoken_bin):
    code, shown = on_a_terminal(djtoken_bin, ["password", "hash"], ["s3cret typed"])
    assert code == 0, shown
    assert "Password:" in shown and "s3cret typed" not in shown, shown
    encoded = re.search(r"pbkdf2_sha256\$\S+", shown).group(0)
    assert check_password("s3cret typed", encoded)
    code, shown = on_a_terminal(djtoken_bin, ["password", "check", encoded], ["s3cret typed"])
    assert code == 0 and "s3cret typed" not in shown and "match" in shown, shown


@pytest.mark.parametrize(
    "args",
    [["password", "hash"], ["password", "check", make_password("x", "abcdefghijklmnopqrstuv")]],
)
def test_an_empty_stdin_is_an_error_not_an_empty_password(djtoken_bin, args):
    code, out, err = djtoken(djtoken_bin, *args, stdin=b"")
    assert code == 2 and out == "" and "no password" in err, (code, out, err)


def test_the_empty_password_is_a_lone_newline(djtoken_bin):
    code, out, err = djtoken(djtoken_bin, "password", "hash", stdin=b"\n")
    assert code == 0 and check_password("", out.strip()), (code, out, err)


def test_token_new_refuses_an_empty_stdin(djtoken_bin, database_url):
    code, out, err = djtoken(
        djtoken_bin,
        "token",
        "new",
        "--username",
        "nobody",
        env={"DJTOKEN_SECRET_KEY": "k", "DJTOKEN_DATABASE": database_url},
    )
    assert code == 2 and "no password" in err, (code, out, err)


def test_password_check_tells_a_non_hash_from_a_hash_it_does_not_use(djtoken_bin):
    code, out, err = djtoken(djtoken_bin, "password", "check", "not a hash", stdin=b"pw")
    assert code == 2 and out == "" and "not a Django password hash" in err, (code, out, err)
    # A hash of an algorithm Django knows but this PASSWORD_HASHERS lacks: Django says
    # mismatch (check_password finds no hasher); djtoken says so and names the algorithm.
    salt = "abcdefghijklmnopqrstuv"
    encoded = "md5$%s$%s" % (salt, hashlib.md5((salt + "pw").encode()).hexdigest())
    code, out, err = djtoken(djtoken_bin, "password", "check", encoded, stdin=b"pw")
    assert code == 1 and out.strip() == "mismatch" and "md5 is not in PASSWORD_HASHERS" in err, (code, out, err)


def test_old_spellings_still_work_and_timeouts_say_their_unit(djtoken_bin):
    env = {"DJTOKEN_SECRET_KEY": "k"}
    base = ["token", "make", "--password-hash", "x", "--now", "2025-01-10"]
    _, new, _ = djtoken(djtoken_bin, *base, "--user", "1", env=env)
    _, old, _ = djtoken(djtoken_bin, *base, "--user-pk", "1", env=env)
    assert new == old and new.strip()
    token = new.strip()
    check = ["token", "check", token, "--password-hash", "x", "--user", "1", "--now", "2025-01-13"]
    assert djtoken(djtoken_bin, *check, "--timeout-days", "2", env=env)[1].strip() == "expired"
    assert djtoken(djtoken_bin, *check, "--token-timeout-days", "3", env=env)[1].strip() == "valid"
    assert djtoken(djtoken_bin, *check, "--timeout", "2", env=env)[1].strip() == "expired"


def test_mistakes_get_did_you_mean_and_the_subcommands_help(djtoken_bin):
    code, _, err = djtoken(djtoken_bin, "token", "make", "--usr", "1")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "--user" in err and "djtoken token make --help" in err, err
    code, _, err = djtoken(djtoken_bin, "toke")
    assert code == 2 and "token" in err and "tip" in err, err


def test_a_configuration_file_with_an_unknown_key_or_a_wrong_type_is_refused(djtoken_bin, tmp_path):
    config = tmp_path / "djtoken.toml"
    config.write_text('TIME_ZONE = "UTC"\nTOKEN_TIMEOUT_DAY = 3\n')
    code, _, err = djtoken(djtoken_bin, "user", "list", cwd=tmp_path)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "TOKEN_TIMEOUT_DAY" in err and "line 2" in err, err
    config.write_text('TOKEN_TIMEOUT_DAYS = "three"\n')
    code, _, err = djtoken(djtoken_bin, "--config", str(config), "user", "list")
    assert code == 2 and "TOKEN_TIMEOUT_DAYS" in err, err
    code, _, err = djtoken(djtoken_bin, "user", "list", env={"DJTOKEN_CONFIG": str(tmp_path / "missing.toml")})
    assert code == 2 and "missing.toml" in err and "DJTOKEN_CONFIG" in err, err


def test_config_show_says_where_each_value_came_from(djtoken_bin, tmp_path):
    (tmp_path / "djtoken.toml").write_text('TIME_ZONE = "Europe/Paris"\nTOKEN_TIMEOUT_DAYS = 3\n')
    code, out, err = djtoken(
        djtoken_bin,
        "config",
        "show",
        "--token-timeout-days",
        "5",
        env={"DJTOKEN_PREFIX": "/api/token/", "DJTOKEN_SECRET_KEY": "hunter2-secret"},
        cwd=tmp_path,
    )
    assert code == 0, err
    assert 'TIME_ZONE = "Europe/Paris"  # file djtoken.toml' in out, out
    assert "TOKEN_TIMEOUT_DAYS = 5  # flag --token-timeout-days" in out, out
    assert 'prefix = "/api/token/"  # environment DJTOKEN_PREFIX' in out, out
    assert "QUERY_TIMEOUT = 5.0  # default" in out, out
    assert "hunter2" not in out and "DJTOKEN_SECRET_KEY is set" in out, out


def test_no_connection_password_is_ever_printed(djtoken_bin, tmp_path):
    """config show, the start-up log and /readyz show connection URLs with the password
    masked, whatever it holds (a '/' once cut the old masking short: the URL in clear)."""
    database = "postgres://postgres:pa/ss@127.0.0.1:1/app"
    cache = "redis://:r3d/s3cret@127.0.0.1:1/0"
    args = ["--database", database, "--session-cache-url", cache]
    code, out, err = djtoken(djtoken_bin, "config", "show", *args, env={"DJTOKEN_SECRET_KEY": "k"}, cwd=tmp_path)
    assert "pa/ss" not in out + err and "r3d/s3cret" not in out + err, out + err
    assert 'DATABASE_URL = "postgres://***@127.0.0.1:1/app"' in out, out
    # A password with a '/' is no URL to the parser: everything before the '@' is masked.
    assert 'SESSION_CACHE_URL = "redis://***@127.0.0.1:1/0"' in out, out
    (tmp_path / "secret").write_text("pa/ss\n")
    code, out, err = djtoken(
        djtoken_bin,
        "config",
        "show",
        "--database",
        "postgres://postgres@127.0.0.1:1/app",
        "--database-password-file",
        str(tmp_path / "secret"),
        env={"DJTOKEN_SECRET_KEY": "k"},
        cwd=tmp_path,
    )
    assert "pa/ss" not in out and 'DATABASE_PASSWORD_FILE = "' in out, out
    # The Redis client refuses a URL with a '/' in the password (its error is masked too):
    # the server runs with a plain one.
    cache = "redis://:r3d-s3cret@127.0.0.1:1/0"
    args = ["--database", database, "--session-cache-url", cache]
    proc, port = start(
        djtoken_bin,
        [*args, "--authentication", "session,tokenapi", "--session-engine", "django.contrib.sessions.backends.cache"],
        tmp_path,
        env={"DJTOKEN_SECRET_KEY": "k", "DJTOKEN_QUERY_TIMEOUT": "1"},
    )
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=30)
        body = refused.value.read().decode()
        assert refused.value.code == 503 and "***" in body, body
    finally:
        stop(proc)
    log = "".join(p.read_text() for p in tmp_path.glob("serve-*.log"))
    assert "pa/ss" not in log + body and "r3d-s3cret" not in log + body, log + body
    assert "postgresql://***@127.0.0.1:1/app" in log, log


def wait_listening(log_path, proc):
    deadline = time.time() + 30
    while time.time() < deadline:
        found = re.search(r"listening address=127\.0\.0\.1:(\d+)", open(log_path).read())
        if found:
            return int(found.group(1))
        assert proc.poll() is None, open(log_path).read()
        time.sleep(0.02)
    raise AssertionError(open(log_path).read())


def start(binary, args, cwd, env=None):
    log = cwd / ("serve-%d.log" % time.time_ns())
    proc = subprocess.Popen(
        [binary, "serve", "--bind", "127.0.0.1:0", *args],
        cwd=cwd,
        env=dict(CLEAN, **(env or {})),
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
    return proc, wait_listening(log, proc)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0


def started_as(tmp_path):
    """The newest server log's Django version and whether it rehashes, from its start-up line."""
    log = max(tmp_path.glob("serve-*.log"), key=lambda p: p.stat().st_mtime).read_text()
    line = [line for line in log.splitlines() if "djtoken serve starting" in line][0]
    return re.search(r"django_version=(\S+)", line).group(1), re.search(r"rehash_passwords=(\S+)", line).group(1)


def test_init_user_leaves_a_folder_where_plain_serve_just_works(djtoken_bin, tmp_path):
    proc, _ = start(djtoken_bin, ["--init-user", "alice"], tmp_path, env={"DJTOKEN_INIT_PASSWORD": "pw"})
    stop(proc)
    first = started_as(tmp_path)
    assert stat.S_IMODE(os.stat(tmp_path / "db.sqlite3").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "djtoken-secret-key").st_mode) == 0o600
    assert 'DATABASE_URL = "sqlite:db.sqlite3"' in (tmp_path / "djtoken.toml").read_text()
    proc, port = start(djtoken_bin, [], tmp_path)
    try:
        body = urllib.parse.urlencode({"username": "alice", "password": "pw"}).encode()
        with urllib.request.urlopen("http://127.0.0.1:%d/token/new.json" % port, body, timeout=30) as reply:
            answer = json.load(reply)
        assert answer["success"] is True and answer["user"] == 1
    finally:
        stop(proc)
    # The first run is the server the file describes: the same version, rehashing alike.
    from djtoken import LATEST_DJANGO_VERSION

    assert first == started_as(tmp_path) == (LATEST_DJANGO_VERSION, "true"), (first, started_as(tmp_path))


def test_config_check_says_what_is_wrong_one_line_each_before_serve_starts(djtoken_bin, tmp_path):
    proc, _ = start(djtoken_bin, ["--init-user", "alice"], tmp_path, env={"DJTOKEN_INIT_PASSWORD": "pw"})
    stop(proc)
    check = subprocess.run([djtoken_bin, "config", "check"], cwd=tmp_path, env=CLEAN, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ok      the user table auth_user and its columns" in check.stdout, check.stdout
    assert "FAILED" not in check.stdout, check.stdout
    # A server that is down, a session store that is down, a column the table lacks: each
    # named on a line of its own, exit 1, and no secret printed.
    broken = [
        "config",
        "check",
        "--database",
        "postgres://app:pa55word@127.0.0.1:1/app",
        "--authentication",
        "session,tokenapi",
        "--session-engine",
        "django.contrib.sessions.backends.cache",
        "--session-cache-url",
        "redis://127.0.0.1:1/0",
    ]
    check = subprocess.run([djtoken_bin, *broken], cwd=tmp_path, env=CLEAN, capture_output=True, text=True)
    assert check.returncode == 1, check.stdout + check.stderr
    failed = [line for line in check.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 2 and "127.0.0.1:1/app" in failed[0] and "redis://127.0.0.1:1/0" in failed[1], failed
    assert "pa55word" not in check.stdout + check.stderr
    check = subprocess.run(
        [djtoken_bin, "config", "check", "--is-active-column", "enabled"],
        cwd=tmp_path,
        env=CLEAN,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 1 and "FAILED  the user table auth_user" in check.stdout, check.stdout
    assert "enabled" in check.stdout, check.stdout
    # No key at all: said, not a traceback.
    (tmp_path / "djtoken-secret-key").unlink()
    check = subprocess.run([djtoken_bin, "config", "check"], cwd=tmp_path, env=CLEAN, capture_output=True, text=True)
    assert check.returncode == 1 and "FAILED  SECRET_KEY" in check.stdout, check.stdout


def test_sigterm_right_after_listening_is_a_clean_stop(djtoken_bin, tmp_path):
    # The signal handlers are installed before "listening" is logged: a supervisor
    # that stops the server at once gets a graceful exit 0, not death by signal.
    proc, _ = start(djtoken_bin, ["--init-user", "alice"], tmp_path, env={"DJTOKEN_INIT_PASSWORD": "pw"})
    stop(proc)
    for _ in range(20):
        proc = subprocess.Popen(
            [djtoken_bin, "serve", "--bind", "127.0.0.1:0"],
            cwd=tmp_path,
            env=CLEAN,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for line in proc.stdout:
            if b"listening address=" in line:
                break
        stop(proc)
        proc.stdout.close()


def test_an_empty_sqlite_file_is_not_ready_and_says_how_to_fix_it(djtoken_bin, tmp_path):
    (tmp_path / "empty.sqlite3").write_bytes(b"")
    proc, port = start(djtoken_bin, ["--database", "sqlite:empty.sqlite3"], tmp_path, env={"DJTOKEN_SECRET_KEY": "k"})
    try:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=10)
            raise AssertionError("ready without tables")
        except urllib.error.HTTPError as e:
            assert e.code == 503
            assert "djtoken db init" in json.load(e)["reason"]
    finally:
        stop(proc)


def test_signing_commands_speak_django_core_signing(djtoken_bin, tmp_path):
    from django.conf import settings
    from django.core import signing

    env = {"DJTOKEN_SECRET_KEY": settings.SECRET_KEY}
    obj = {"user": 42, "name": "é中", "items": [1.5, None, True]}
    code, out, _ = djtoken(djtoken_bin, "signing", "dumps", "--compress", "--salt", "my.salt", json.dumps(obj), env=env)
    assert code == 0 and signing.loads(out.strip(), salt="my.salt") == obj
    theirs = signing.dumps(obj, salt="my.salt", compress=True)
    code, out, _ = djtoken(djtoken_bin, "signing", "loads", "--salt", "my.salt", "-", stdin=theirs.encode(), env=env)
    assert code == 0 and json.loads(out) == obj
    assert out.strip().isascii()
    # Refusals: exit 1 with Django's exception name; input that is not JSON: exit 2.
    code, _, err = djtoken(djtoken_bin, "signing", "loads", "--salt", "other", theirs, env=env)
    assert code == 1 and err.startswith("BadSignature"), err
    code, _, err = djtoken(djtoken_bin, "signing", "loads", "--salt", "my.salt", "--max-age", "0", theirs, env=env)
    assert code == 1 and err.startswith("SignatureExpired"), err
    assert djtoken(djtoken_bin, "signing", "dumps", "{not json", env=env)[0] == 2
    # Signer (no time in it): the same string as Django's; and unsign of Django's.
    code, out, _ = djtoken(djtoken_bin, "signing", "sign", "--salt", "extra", "--sep", "/", "héllo", env=env)
    assert code == 0 and out.strip() == signing.Signer(salt="extra", sep="/").sign("héllo")
    stamped = signing.TimestampSigner().sign("value")
    code, out, _ = djtoken(djtoken_bin, "signing", "unsign", "--timestamp", "--max-age", "60", stamped, env=env)
    assert code == 0 and out.strip() == "value"
    assert djtoken(djtoken_bin, "signing", "sign", "--sep", "a", "x", env=env)[0] == 2
