"""`referral-desk --check-start`: IT (and the frozen build's smoke test) can check that the
window starts and My day loads on a PC, and that it closes cleanly (no traceback on the way out,
as the start-up preload once gave when the window closed at once)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from unlocking import open_test_services as open_services

from referral_desk.demo import generate_demo


def test_check_start_opens_my_day_and_closes_cleanly(tmp_path: Path) -> None:
    services = open_services(tmp_path / "data")
    try:
        generate_demo(services, people=5, services=10, seed=1)
    finally:
        services.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "referral_desk",
            "--data-dir",
            str(tmp_path / "data"),
            "--check-start",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
