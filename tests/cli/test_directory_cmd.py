"""`referral-desk directory …` through a local parser (main.py wires it in separately)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import pytest
from data_paths import HSDS_EXAMPLE as EXAMPLE
from hsds_packages import small_tables, write_package
from legacy_packages import V11_FILES, oruk_service, write_csvs, write_json, write_v11

from referral_desk.cli import commands
from referral_desk.cli.directory_cmd import add_directory_parser, run_directory
from referral_desk.cli.main import OneLineParser, run_command
from referral_desk.usecases.directory_admin import DirectoryAdminService


def parser() -> argparse.ArgumentParser:
    js = argparse.ArgumentParser(add_help=False)
    js.add_argument("--json", action="store_true")
    top = OneLineParser(prog="referral-desk")
    sub = top.add_subparsers(dest="command", parser_class=OneLineParser)
    add_directory_parser(sub, js)
    return top


@pytest.fixture
def cli(app: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run a command line against `app`; returns (exit code, stdout, stderr)."""
    monkeypatch.setitem(commands.HANDLERS, "directory", run_directory)

    def call(*argv: str) -> tuple[int, str, str]:
        try:
            args = parser().parse_args(["directory", *argv])
        except SystemExit as exc:
            out = capsys.readouterr()
            return int(exc.code or 0), out.out, out.err
        code = run_command(args, lambda: app)
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def _package(app: Any, folder: Path) -> Path:
    admin = DirectoryAdminService(app.db, app.clock)
    org = admin.create_organisation(name="New Leaf Trust")
    admin.create_service(org.id, "Housing advice")
    admin.export_package(folder)
    return folder


def test_export_then_dry_run_import_preview(app: Any, cli: Any, tmp_path: Path) -> None:
    code, out, err = cli("export", str(tmp_path / "pkg"))
    assert (code, err) == (0, "")
    assert out.startswith("Exported 0 services")
    _package(app, tmp_path / "pkg2")
    code, out, _ = cli("import", str(tmp_path / "pkg2"), "--dry-run")
    assert code == 0
    assert "dry run: nothing was written" in out
    assert "unchanged" in out and "rejected" in out
    code, out, _ = cli("import", str(tmp_path / "pkg2"), "--json")
    data = json.loads(out)
    assert data["applied"] is True and data["counts"]["service"]["unchanged"] == 1


def test_example_import_exits_zero_and_lists_what_was_skipped(cli: Any) -> None:
    code, out, err = cli("import", str(EXAMPLE))
    assert (code, err) == (0, "")
    assert "Directory import applied" in out
    assert "Rejected rows (skipped): 1" in out
    assert "attributes.csv row 2" in out
    assert "parent_organization_id points to an organization that is not in the package" in out
    service_line = next(line for line in out.splitlines() if line.startswith("service "))
    assert service_line.split()[1] == "1"  # one new service


def test_structural_fault_is_one_line_and_non_zero(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    code, out, err = cli("import", str(tmp_path / "pkg"))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("referral-desk: ")
    assert "datapackage.json is missing" in err


def test_control_characters_are_reported_and_never_echoed(cli: Any, tmp_path: Path) -> None:
    tables = small_tables()
    tables["service"][0]["name"] = "Housing\x1b[2J advice"
    pkg = write_package(tmp_path / "pkg", tables)
    code, out, err = cli("import", str(pkg), "--dry-run")
    assert (code, err) == (0, "")
    assert "1 cell(s) held control characters" in out
    assert "\x1b" not in out
    data = json.loads(cli("import", str(pkg), "--json")[1])
    assert data["cleaned_cells"] == 1
    names = [c["name"] for c in data["changes"] if c["kind"] == "service"]
    assert names[0] == "Housing [2J advice"


@pytest.mark.skipif(os.name != "posix", reason="POSIX links")
def test_a_linked_file_is_refused_in_one_line(cli: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    (pkg / "services.csv").unlink()
    (pkg / "services.csv").symlink_to("/etc/passwd")
    code, out, err = cli("import", str(pkg), "--dry-run")
    assert code == 1 and out == ""
    assert err == "referral-desk: services.csv is not a regular file (a link).\n"


def test_an_officer_who_is_not_the_keeper_cannot_import_from_the_command_line(
    app: Any, cli: Any, tmp_path: Path
) -> None:
    from role_helpers import join_another_team

    pkg = write_package(tmp_path / "pkg", small_tables())
    join_another_team(app.db)  # the officer holds no role in the team they joined
    code, out, _ = cli("import", str(pkg), "--dry-run")
    assert code == 0 and "dry run" in out  # a preview writes nothing: anyone may look
    code, out, err = cli("import", str(pkg))
    assert (code, out) == (1, "")
    assert err == (
        "referral-desk: Only a directory keeper can do this: ask the team's manager to grant "
        "you the role (referral-desk role grant).\n"
    )
    assert app.directory.list_services() == []  # nothing was imported


def test_stale_problems_and_corrections(app: Any, cli: Any) -> None:
    admin = DirectoryAdminService(app.db, app.clock)
    org = admin.create_organisation(name="Open Door")
    svc = admin.create_service(org.id, "Mentoring")
    code, out, _ = cli("stale")
    assert code == 0 and "never verified" in out and "Mentoring (Open Door)" in out
    code, out, _ = cli("stale", "--months", "6", "--json")
    assert [r["id"] for r in json.loads(out)] == [svc.id]
    admin.verify_today(svc.id)
    assert cli("stale")[1].strip() == "No services need verifying."
    assert cli("problems")[1].strip() == "No services with repeated declines."
    assert cli("corrections")[1].strip() == "No corrections."
    admin.report_correction(svc.id, "Moved to Park Row")
    code, out, _ = cli("corrections")
    assert "open" in out and "Mentoring: Moved to Park Row" in out
    code, out, _ = cli("corrections", "--status", "accepted", "--json")
    assert json.loads(out) == []


def test_usage_errors_are_one_line(cli: Any) -> None:
    code, _, err = cli("import")
    assert code == 2 and err.count("\n") == 1 and "(see --help)" in err
    code, _, err = cli("corrections", "--status", "maybe")
    assert code == 2 and err.count("\n") == 1


def test_oruk_json_dry_run_states_the_detected_form(app: Any, cli: Any, tmp_path: Path) -> None:
    feed = write_json(tmp_path / "feed.json", [oruk_service(1), oruk_service(2)])
    code, out, err = cli("import", str(feed), "--dry-run")
    assert (code, err) == (0, "")
    assert "Detected: HSDS 3.0 JSON (Open Referral UK API: services)" in out
    assert app.directory.list_services() == []
    data = json.loads(cli("import", str(feed), "--json", "--publisher", "acme")[1])
    assert data["applied"] is True and data["counts"]["service"]["new"] == 2
    assert data["form"].startswith("HSDS 3.0 JSON")


def test_older_package_dry_run_lists_what_it_leaves_out(cli: Any, tmp_path: Path) -> None:
    code, out, _ = cli("import", str(write_v11(tmp_path / "pkg")), "--dry-run")
    assert code == 0
    assert "Detected: HSDS 1.1 tabular package (without datapackage.json)" in out
    assert "payment_accepted.csv: not imported" in out


def test_every_service_rejected_exits_non_zero_in_one_line(
    app: Any, cli: Any, tmp_path: Path
) -> None:
    files = {k: v for k, v in V11_FILES.items() if k != "organizations.csv"}
    folder = write_csvs(tmp_path / "pkg", files)
    for extra in ((), ("--dry-run",)):
        code, out, err = cli("import", str(folder), *extra)
        assert code != 0 and out == ""
        assert err.count("\n") == 1
        assert "this looks like an HSDS 1.1 tabular package" in err
        assert "without organizations" in err
    assert app.directory.list_services() == []
