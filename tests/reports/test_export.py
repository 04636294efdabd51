"""Exports: suppressed, stripped of names and free text, formula-safe; service and CLI."""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from referral_desk.cli.report_cmd import add_report_parser, run_report
from referral_desk.domain.errors import ValidationError
from referral_desk.reports.export import escape_cell, prepare, to_csv_bytes, to_data
from referral_desk.store.models import Organisation, Person, Service, TeamSetting
from referral_desk.store.seed import team_setting_id
from referral_desk.usecases.reports import THRESHOLD_SETTING, ReportService, default_period

JAN = ("2026-01-01", "2026-01-31")
SECRET = "Needs help with a pet called Biscuit"
EVIL = '=HYPERLINK("http://example.invalid","click")'


@pytest.fixture
def data(app) -> None:
    """An "Other" need with free text, a place shaped like a prison number, a hostile name."""
    app.clock.fixed_today = date(2026, 1, 10)
    person = app.people.add(
        given_name="Fay",
        family_name="Fern",
        date_of_birth="1990-01-01",
        consent_given_on="2025-01-01",
    )
    with app.db.write() as s:  # an area typed freely in an older version
        s.get(Person, person.id).area = "A1234BC"
    app.needs.log(person.id, "other", SECRET, unmet="full")
    for _ in range(6):
        app.needs.log(person.id, "accommodation", "x", unmet="full")
    for _ in range(5):
        app.needs.log(person.id, "family", "x", unmet="full")
    need = app.needs.log(person.id, "family", "y")
    with app.db.write() as s:
        orgs = [Organisation(name=EVIL), Organisation(name="-minus"), Organisation(name="@at")]
        services = [Service(name=f"+svc {i}", organisation_id=o.id) for i, o in enumerate(orgs)]
        s.add_all([*orgs, *services])
    for svc in services:
        app.referrals.make(need.id, svc.id, consent=True)
    app.clock.fixed_today = date(2026, 3, 2)


def service(app) -> ReportService:
    return ReportService(app.db, app.clock)


def test_escape_cell() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert escape_cell(text) == "'" + text
    for value in ("a=b", "<5", "", 3, -2, 0.5, None):
        assert escape_cell(value) == value


def test_csv_is_suppressed_escaped_and_free_of_free_text(app, data) -> None:
    text = service(app).render("unmet-needs", *JAN, "csv").decode("utf-8-sig")
    assert SECRET not in text and "Biscuit" not in text
    assert "A1234BC" not in text
    assert "Fay" not in text and "Fern" not in text
    rows = list(csv.reader(io.StringIO(text)))
    category = next(i for i, r in enumerate(rows) if r == ["Unmet needs by need category"])
    table = {r[0]: r[1:] for r in rows[category + 2 : category + 20]}
    # The CSV prints exactly the suppressed table.
    safe = prepare(service(app).run("unmet-needs", *JAN), 5).table("by_category")
    for row in (*safe.rows, safe.totals):
        assert table[row[0]] == [str(v) for v in row[1:]]
    assert table["Other"] == ["0", "<5", "0", "0", "<5"]
    assert table["Total"] == ["0", "12", "0", "0", "12"]
    assert table["Accommodation"][1] == "6"


def test_csv_escapes_formula_like_provider_names(app, data) -> None:
    text = service(app).render("outcomes", *JAN, "csv").decode("utf-8-sig")
    cells = {cell for row in csv.reader(io.StringIO(text)) for cell in row}
    assert "'" + EVIL in cells and "'-minus" in cells and "'@at" in cells and "'+svc 0" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_xlsx_has_an_about_sheet_a_sheet_per_table_and_no_formulas(app, data, tmp_path) -> None:
    path = service(app).export("outcomes", *JAN, "xlsx", tmp_path / "outcomes.xlsx")
    book = load_workbook(path)
    assert book.sheetnames[0] == "About"
    assert book.sheetnames[1:] == [
        "Referral outcomes by provider a",  # titles cut to Excel's 31 characters
        "Declined referrals by provider,",
        "Providers that have not answere",
    ]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@"))
    sheet = book.worksheets[1]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Referral outcomes by provider and service"
    assert values[1][:4] == ["Provider", "Service", "Made", "Acknowledged"]
    providers = {row[0]: row[1:3] for row in values[2:5]}
    assert providers == {
        "'" + EVIL: ["'+svc 0", "<5"],
        "'-minus": ["'+svc 1", "<5"],
        "'@at": ["'+svc 2", "<5"],
    }
    total = next(row for row in values if row[0] == "Total")
    assert total[2] == "<5"
    about = [[c.value for c in row] for row in book["About"].iter_rows()]
    assert about[1][0] == "Period" and about[1][1].date() == date(2026, 1, 1)


def test_xlsx_of_unmet_needs_keeps_numbers_numeric(app, data, tmp_path) -> None:
    path = service(app).export("unmet-needs", *JAN, "xlsx", tmp_path / "u.xlsx")
    sheet = load_workbook(path)["Unmet needs by need category"]
    rows = {row[0].value: [c.value for c in row[1:]] for row in sheet.iter_rows(min_row=3)}
    safe = prepare(service(app).run("unmet-needs", *JAN), 5).table("by_category")
    assert rows["Accommodation"] == list(safe.row("Accommodation").values())[1:]
    assert rows["Total"] == [0, 12, 0, 0, 12]  # numbers stay numbers
    assert rows["Other"] == [0, "<5", 0, 0, "<5"]
    text = " ".join(
        str(c.value) for s in load_workbook(path).worksheets for row in s.iter_rows() for c in row
    )
    assert SECRET not in text and "A1234BC" not in text


def test_json_data_is_the_suppressed_report(app, data) -> None:
    out = service(app).data("unmet-needs", *JAN)
    assert out["report"] == "unmet-needs"
    assert out["period"] == {"from": "2026-01-01", "to": "2026-01-31"}
    assert out["suppression"]["threshold"] == 5
    assert "other_descriptions" not in out
    assert SECRET not in json.dumps(out)
    by_category = next(t for t in out["tables"] if t["key"] == "by_category")
    assert by_category["totals"] == ["Total", 0, 12, 0, 0, 12]
    other = next(r for r in by_category["rows"] if r[0] == "Other")
    assert other == ["Other", 0, "<5", 0, 0, "<5"]
    chart = next(c for c in out["charts"] if c["key"] == "chart_category")
    values = dict(zip(chart["labels"], chart["series"][0]["values"], strict=True))
    assert values["Other"] is None  # hidden in the table, so no bar
    assert chart["hidden_marker"] == "hidden"


def test_pdf_renders_deterministically_without_free_text(app, data, tmp_path) -> None:
    first = service(app).render("unmet-needs", *JAN, "pdf")
    second = service(app).render("unmet-needs", *JAN, "pdf")
    assert first.startswith(b"%PDF") and first.rstrip().endswith(b"%%EOF")
    assert first == second
    assert b"Biscuit" not in first
    path = service(app).export("outcomes", *JAN, "pdf", tmp_path / "o.pdf")
    assert path.read_bytes().startswith(b"%PDF")


def test_prepare_is_idempotent(app, data) -> None:
    report = service(app).run("unmet-needs", *JAN)
    once = prepare(report, 5)
    assert prepare(once, 5) is once
    assert to_csv_bytes(once, 5) == to_csv_bytes(report, 5)
    assert to_data(once, 5) == to_data(report, 5)
    assert report.other_descriptions and not once.other_descriptions


def _set_threshold(app, value: object) -> None:
    with app.db.write() as s:
        row = s.get(TeamSetting, team_setting_id(THRESHOLD_SETTING))
        if row is None:
            s.add(
                TeamSetting(
                    id=team_setting_id(THRESHOLD_SETTING), key=THRESHOLD_SETTING, value=value
                )
            )
        else:
            row.value = value


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), ("7", 7), (10, 10), (0, 5), (1, 5), ("x", 5), (True, 5), (None, 5), (500, 5)],
)
def test_threshold_comes_from_the_team_setting(app, value: object, expected: int) -> None:
    assert service(app).threshold() == 5
    _set_threshold(app, value)
    assert service(app).threshold() == expected


def test_a_lower_threshold_shows_more(app, data) -> None:
    _set_threshold(app, 2)
    out = service(app).data("unmet-needs", *JAN)
    by_category = next(t for t in out["tables"] if t["key"] == "by_category")
    assert by_category["totals"] == ["Total", 0, 12, 0, 0, 12]
    row = next(r for r in by_category["rows"] if r[0] == "Other")
    assert row == ["Other", 0, "<2", 0, 0, "<2"]
    cells = [v for r in by_category["rows"] for v in r[1:]]
    assert "<5" not in cells and cells.count("<2") == 2 and "[c]" in cells


def test_service_validates_its_input(app, tmp_path) -> None:
    svc = service(app)
    with pytest.raises(ValidationError, match="Unknown report"):
        svc.run("nope")
    with pytest.raises(ValidationError, match="format"):
        svc.render("outcomes", *JAN, "docx")
    with pytest.raises(ValidationError, match="from date"):
        svc.run("outcomes", "2026-02-01", "2026-01-01")
    with pytest.raises(ValidationError, match="date like 31/12/1980"):
        svc.run("outcomes", "February", None)
    with pytest.raises(ValidationError, match="folder"):
        svc.export("outcomes", *JAN, "csv", tmp_path / "missing" / "x.csv")
    assert svc.run("follow-ups").name == "followups"
    assert svc.run("unmet_needs").name == "unmet-needs"


def test_default_period_is_twelve_calendar_months(app) -> None:
    assert default_period(date(2026, 3, 2)) == (date(2025, 4, 1), date(2026, 3, 2))
    assert default_period(date(2026, 12, 31)) == (date(2026, 1, 1), date(2026, 12, 31))
    report = service(app).run("freshness")
    assert (report.period.date_from, report.period.date_to) == (date(2025, 4, 1), date(2026, 3, 2))


def test_export_replaces_an_existing_file_and_leaves_no_temporary_file(app, data, tmp_path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "r.csv"
    target.write_text("old")
    service(app).export("followups", *JAN, "csv", target)
    assert target.read_bytes().startswith("\ufeffReport,Follow-up discipline".encode())
    assert [p.name for p in folder.iterdir()] == ["r.csv"]


# --- command line ---------------------------------------------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    json_parent = argparse.ArgumentParser(add_help=False)
    json_parent.add_argument("--json", action="store_true")
    add_report_parser(parser.add_subparsers(dest="command"), json_parent)
    return parser.parse_args(argv)


def test_cli_prints_the_suppressed_report_as_json(app, data) -> None:
    out, text = run_report(app, _args("report", "unmet-needs", "--from", JAN[0], "--to", JAN[1]))
    assert out["suppression"]["threshold"] == 5
    printed = text(out)
    assert json.loads(printed) == out
    assert SECRET not in printed


def test_cli_writes_files_and_infers_the_format(app, data, tmp_path) -> None:
    target = tmp_path / "o.xlsx"
    out, text = run_report(
        app, _args("report", "outcomes", "--from", JAN[0], "--to", JAN[1], "--out", str(target))
    )
    assert out == {
        "report": "outcomes",
        "format": "xlsx",
        "path": str(target),
        "suppressed_below": 5,
    }
    assert load_workbook(target).sheetnames[0] == "About"
    assert text(out).startswith("Report written to ")
    pdf = tmp_path / "f.pdf"
    run_report(app, _args("report", "freshness", "--format", "pdf", "--out", str(pdf)))
    assert pdf.read_bytes().startswith(b"%PDF")


def test_cli_csv_to_stdout_and_refusals(app, data, tmp_path: Path) -> None:
    out, text = run_report(app, _args("report", "followups", "--format", "csv"))
    assert text(out).startswith("Report,Follow-up discipline")
    with pytest.raises(ValidationError, match="--out"):
        run_report(app, _args("report", "outcomes", "--format", "pdf"))
    with pytest.raises(SystemExit):
        _args("report", "nonsense")
