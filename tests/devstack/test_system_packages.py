"""`just up` and `just test` install the system packages a fresh machine lacks, saying why.

The script runs with a PATH of the test's own: the tools a fresh machine has
(bash, grep, id), and apt-get, dpkg-query and sudo stand-ins that record how
they were called and change nothing on this machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import settings

SCRIPT = settings.ROOT / "devstack" / "system-packages.sh"
EVERYTHING = [
    "default-jre-headless",
    "maven",
    "redis-server",
    "apertium",
    "apertium-eng-spa",
    "espeak-ng",
    "sox",
    "libsndfile1",
    "iso-codes",
]


def _fresh_machine(tmp_path: Path, uid: int, sudo: bool = True) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "grep", "env", "cat"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    log = tmp_path / "calls"
    stand_ins = {
        "apt-get": f'echo "apt-get $*" >> {log}',
        "dpkg-query": "exit 1",
        "id": f"echo {uid}",
    }
    if sudo:
        stand_ins["sudo"] = f'echo "sudo" >> {log}; exec "$@"'
    for name, body in stand_ins.items():
        tool = bin_dir / name
        tool.write_text(f"#!{shutil.which('bash')}\n{body}\n")
        tool.chmod(0o755)
    return bin_dir


def _run(bin_dir: Path, purpose: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "bash"), str(SCRIPT), purpose],
        env={"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/")},
        capture_output=True,
        text=True,
    )


def test_as_root_it_installs_what_is_missing_and_says_why(tmp_path: Path) -> None:
    bin_dir = _fresh_machine(tmp_path, uid=0)
    done = _run(bin_dir, "test")
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0] == "apt-get update -qq"
    installed = calls[1].split("--no-install-recommends ")[1].split()
    assert installed == [*EVERYTHING, "chromium"]
    assert "Redis holds sessions" in done.stdout and "Chromium runs" in done.stdout


def test_not_root_it_asks_sudo_and_up_needs_no_browser(tmp_path: Path) -> None:
    bin_dir = _fresh_machine(tmp_path, uid=1000)
    done = _run(bin_dir, "up")
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0] == "sudo" and "chromium" not in calls[-1]
    assert calls[-1].split("--no-install-recommends ")[1].split() == EVERYTHING


def test_without_root_or_sudo_it_says_what_to_run(tmp_path: Path) -> None:
    bin_dir = _fresh_machine(tmp_path, uid=1000, sudo=False)
    done = _run(bin_dir, "up")
    assert done.returncode == 1
    assert "run as root: apt-get install default-jre-headless maven" in done.stderr
    assert not (tmp_path / "calls").exists()


def test_nothing_happens_when_everything_is_there() -> None:
    done = subprocess.run(["bash", str(SCRIPT), "test"], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "")
