"""The rendering processes of a bulk issue leave with the process they render for, even one
killed with SIGKILL (a jobs worker), instead of living on orphaned with their memory."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie that init has not reaped yet counts as gone.
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_rendering_processes_leave_when_their_owner_is_killed(tmp_path):
    owner = subprocess.Popen([sys.executable, "tests/certificates/pool_owner.py", f"sqlite:///{tmp_path}/x.sqlite3"],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             start_new_session=True)
    try:
        children = [int(pid) for pid in owner.stdout.readline().split()]
        assert children and all(map(alive, children))
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        deadline = time.monotonic() + 10
        while any(map(alive, children)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(map(alive, children)), "rendering processes outlived their owner"
    finally:
        owner.stdout.close()
        try:
            os.killpg(owner.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        owner.wait(10)
