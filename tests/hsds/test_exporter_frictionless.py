"""A third-party validator (frictionless) checks our export of the demo directory against the
official HSDS 3.0 `datapackage.json` (issue 16): 0 errors."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from data_paths import HSDS_EXAMPLE

from referral_desk.demo import generate_demo
from referral_desk.hsds.exporter import export_package

frictionless = pytest.importorskip("frictionless")


def _errors(descriptor: Path) -> list[str]:
    report = frictionless.validate(str(descriptor))
    found = [f"{e.type}: {e.note}" for e in report.errors]
    for task in report.tasks:
        found += [f"{task.name}: {e.type}: {e.note}" for e in task.errors]
    return found


def test_the_demo_export_is_valid_against_the_official_hsds_descriptor(
    app: Any, tmp_path: Path
) -> None:
    generate_demo(app, people=5, services=80, seed=7)
    out = tmp_path / "export"
    with app.db.read() as session:
        export_package(session, out)
    assert _errors(out / "datapackage.json") == []  # our own descriptor
    official = tmp_path / "official"
    official.mkdir()
    for csv_file in out.glob("*.csv"):
        shutil.copy2(csv_file, official / csv_file.name)
    shutil.copy2(HSDS_EXAMPLE / "datapackage.json", official / "datapackage.json")
    assert _errors(official / "datapackage.json") == []
    # Not vacuous: the standard columns we fill are there.
    services = (out / "services.csv").read_text("utf-8")
    assert "By email: " in services and "About " in services
    schedules = (out / "schedules.csv").read_text("utf-8")
    assert ",WEEKLY," in schedules and "MO,TU,WE,TH,FR" in schedules
    assert ",cy," in (out / "languages.csv").read_text("utf-8")
