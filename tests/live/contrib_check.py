"""contrib/ as far as this machine can check it: the systemd unit with `systemd-analyze verify`
(its ExecStart pointed at the binary built here), the Containerfile with hadolint (pinned in
python/tests/tools-requirements.txt; scripts/ensure-tools installs it into .venv/tools). The
image itself is not built: the machine reaches no image registry.

    python3 tests/live/contrib_check.py path/to/djtoken
"""

import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    binary = os.path.abspath(sys.argv[1])
    analyze = shutil.which("systemd-analyze")
    if analyze:
        unit = open(os.path.join(TOP, "contrib", "djtoken.service")).read()
        assert "ExecStart=/usr/local/bin/djtoken serve" in unit, "the unit no longer starts djtoken serve"
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "djtoken.service")
            with open(path, "w") as f:
                f.write(unit.replace("/usr/local/bin/djtoken", binary))
            result = subprocess.run([analyze, "verify", path], capture_output=True, text=True)
            # verify prints what it ignores (an unknown key) and still exits 0 for some: any
            # output about the unit is a failure.
            said = [line for line in (result.stdout + result.stderr).splitlines() if "djtoken.service" in line]
            assert result.returncode == 0 and not said, result.stdout + result.stderr
        print("contrib: systemd-analyze verify passes contrib/djtoken.service")
    else:
        print("contrib: *** systemd-analyze is not installed: contrib/djtoken.service NOT checked ***")
    hadolint = os.path.join(TOP, ".venv", "tools", "bin", "hadolint")
    result = subprocess.run([hadolint, os.path.join(TOP, "contrib", "Containerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    print("contrib: hadolint passes contrib/Containerfile")


if __name__ == "__main__":
    main()
