"""Memory stays bounded whatever the file: a huge file with a valid header is refused without
being read into memory (measured as the peak resident size of a child process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from referral_desk.sync import container as c
from referral_desk.sync.keys import KdfParams

BUDGET_MB = 300  # DESIGN.md §9: importing any file of any size
HUGE = 500 << 20

CHILD = r"""
import json, resource, sys
from pathlib import Path
from referral_desk.domain.errors import DomainError
from referral_desk.store.database import Database
from referral_desk.store.keys import DataKey
from referral_desk.sync.exchange import SyncEngine
from referral_desk.sync.keys import KdfParams
db = Database.open(Path(sys.argv[1]), key=DataKey(bytes(range(32))))  # tests' key
try:
    SyncEngine(db, kdf=KdfParams(n=2**14)).import_file(Path(sys.argv[2]), sys.argv[3])
    outcome = "imported"
except DomainError as err:
    outcome = str(err)
def peak_mb():
    # VmHWM: this process's own peak (ru_maxrss on Linux also counts the parent's memory
    # copied into the child before it exec'd Python, e.g. a big test runner's)
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
peak = peak_mb()
print(json.dumps({"outcome": outcome, "peak_mb": peak}))
"""


def _huge_file(path: Path, fmt: int) -> None:
    """A valid header followed by 500 MB (a sparse file: no disk space used)."""
    header = c.BundleHeader(
        format=fmt,
        schema=2,
        app="0.1.0",
        bundle_id=str(uuid.uuid4()),
        site_id=str(uuid.uuid4()),
        created="2026-03-02T10:00:00",
        salt=b"\x05" * 16,
        kdf=KdfParams(n=2**14),
        nonce=b"\x00" * (12 if fmt == 1 else 7),
        segment=c.SEGMENT if fmt == 2 else 0,
    )
    with open(path, "wb") as fh:
        fh.write(header.prefix())
        fh.seek(HUGE)
        fh.write(b"\x01")


@pytest.mark.skipif(sys.platform != "linux", reason="peak RSS as Linux reports it")
@pytest.mark.parametrize("fmt", [1, 2])
def test_a_huge_file_with_a_valid_header_is_refused_within_budget(
    make_site, tmp_path, passphrase, fmt
):
    site = make_site("me")
    site.close()
    path = tmp_path / "huge.rdsync"
    _huge_file(path, fmt)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(site.path), str(path), passphrase],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["outcome"] != "imported" and "\n" not in result["outcome"]
    if fmt == 1:
        assert "export it again with this version" in result["outcome"]
    assert result["peak_mb"] < BUDGET_MB, result
