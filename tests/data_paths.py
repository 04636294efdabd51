"""Where the test data shipped with the repository lives (every clone runs every test)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
# The official HSDS 3.0 example package (CC BY-SA 4.0; see its SOURCE.md and LICENSE).
HSDS_EXAMPLE = DATA / "hsds-3.0-example"
