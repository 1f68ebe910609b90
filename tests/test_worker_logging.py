"""The job worker writes each log line once (huey's consumer and our root logger used to both print it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.jobs
def test_worker_lines_are_written_once(tmp_path):
    env = {**os.environ, "CLOUDBROKER_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1", "--worker-type", "thread"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        lines: list[str] = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Periodic tasks are enabled" in line:
                break  # the rest, and any duplicate, is read after the worker stops
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    lines += rest.splitlines(keepends=True)
    started = [line for line in lines if "Huey consumer started" in line]
    assert len(started) == 1, "".join(lines)
    assert "INFO:huey.consumer" in started[0]
