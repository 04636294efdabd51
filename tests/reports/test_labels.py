"""Issue 11, point 3: no free-typed value becomes a report label, in any format.

Values typed in an older version, or synced from a site that allowed them, are counted under
"Other" and never printed. Text with control characters from an old database never stops an
export (openpyxl refuses C0 controls) and never reaches a file raw.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pypdf
import pytest
from openpyxl import load_workbook

from referral_desk.domain.text import has_controls
from referral_desk.reports.export import prepare
from referral_desk.reports.model import Column, Period, Report, ReportTable
from referral_desk.store.models import (
    FollowUp,
    Need,
    Officer,
    Organisation,
    Person,
    ReferralStatusChange,
    Service,
    ServiceCategory,
)
from referral_desk.usecases.reports import ReportService

TYPED = "HMP Xylo cell of Yolanda"
PERIOD = ("2026-01-01", "2026-03-31")
FORMATS = ("csv", "json", "xlsx", "pdf")


def text_of(content: bytes, fmt: str) -> str:
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(content))
        return "\n".join(
            str(c.value)
            for s in book.worksheets
            for row in s.iter_rows()
            for c in row
            if c.value is not None
        )
    if fmt == "pdf":
        reader = pypdf.PdfReader(io.BytesIO(content))
        return "\n".join(page.extract_text() for page in reader.pages)
    return content.decode("utf-8-sig")


@pytest.fixture
def old_values(app) -> dict[str, str]:
    """Records as an older version (or another site) could have left them: typed freely."""
    app.clock.fixed_today = date(2026, 2, 2)
    person = app.people.add(
        given_name="Fay",
        family_name="Fern",
        date_of_birth="1990-01-01",
        consent_given_on="2025-01-01",
        setting="custody",
        prison="HMP Leeds",
    )
    need = app.needs.log(person.id, "accommodation", "x", unmet="full")
    app.needs.log(person.id, "family", "x", unmet="no-service")
    with app.db.write() as s:
        s.get(Person, person.id).prison = TYPED
        s.get(Need, need.id).place_at_time = TYPED
        s.get(Need, need.id).category_code = "pets_typed_in"
        org = Organisation(name="Org\x00 with\x1b[31m NUL")
        svc = Service(name="Svc\x07 bell\x0b", organisation_id=org.id)
        s.add_all([org, svc])
        s.flush()
        s.add(ServiceCategory(service_id=svc.id, category_code="typed_category"))
        officer = Officer(name="Bea Bright", team=TYPED)
        s.add(officer)
        s.flush()
        s.add(
            FollowUp(
                person_id=person.id,
                officer_id=officer.id,
                kind="typed_kind",
                due_on=date(2026, 2, 3),
            )
        )
    ref = app.referrals.make(need.id, svc.id, consent=True)
    app.referrals.record_status(ref.reference, "declined", reason="not_eligible")
    with app.db.write() as s:
        for change in s.query(ReferralStatusChange).filter_by(to_status="declined"):
            change.reason_code = "typed_reason"
    app.clock.fixed_today = date(2026, 3, 2)
    return {"service": svc.id}


def service(app) -> ReportService:
    return ReportService(app.db, app.clock)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_places_categories_teams_and_reasons_print_as_other(app, old_values, fmt):
    for name in ("unmet-needs", "outcomes", "followups", "freshness"):
        text = text_of(service(app).render(name, *PERIOD, fmt), fmt)
        for typed in (
            "Xylo",
            "Yolanda",
            "pets_typed_in",
            "typed_reason",
            "typed_category",
            "typed_kind",
            "Typed kind",
        ):
            assert typed not in text, (name, typed)
        assert "\x00" not in text and "\x1b" not in text and "\x07" not in text
        if fmt != "pdf":  # the PDF draws "Other" too, but may hyphenate column titles
            assert "Other" in text, name


def test_the_tables_count_them_under_other(app, old_values) -> None:
    report = service(app).run("unmet-needs", *PERIOD)
    places = {row[0]: row for row in report.table("by_place").rows}
    assert set(places) == {"HMP Leeds", "Other"}  # the typed prison is never printed
    categories = {row[0]: row[-1] for row in report.table("by_category").rows}
    assert categories["Other"] == 1 and categories["Family and children"] == 1
    outcomes = service(app).run("outcomes", *PERIOD)
    declined = outcomes.table("declined_by_reason")
    assert "Other" in [c.title for c in declined.columns]
    assert declined.totals[-1] == 1
    follow = service(app).run("followups", *PERIOD)
    assert "Other" in [row[1] for row in follow.table("by_officer").rows]  # the team
    assert "Other" in [row[0] for row in follow.table("by_kind").rows]
    fresh = service(app).run("freshness", *PERIOD).table("by_category")
    assert fresh.row("Other")["services"] == 1


def test_a_service_name_with_control_characters_never_stops_an_export(app, old_values, tmp_path):
    for fmt in FORMATS:
        path = service(app).export("outcomes", *PERIOD, fmt, tmp_path / f"out.{fmt}")
        text = text_of(path.read_bytes(), fmt)
        assert "Svc bell" in text.replace("\n", " ") or fmt == "pdf"
        assert not has_controls(text.replace("\n", "").replace("\r", "")), fmt


def test_prepare_cleans_every_text_and_still_withholds_case_numbers() -> None:
    table = ReportTable(
        "t",
        "Title\x1b[2J",
        (Column("label", "Place\x00", "label"), Column("n", "N")),
        (("Near A1234BC", 7), ("Ward\x07 9", 8)),
        ("Total\x1b", 15),
        notes=("Note\x00",),
    )
    report = Report(
        "r",
        "R\x00",
        Period(date(2026, 1, 1), date(2026, 1, 31)),
        date(2026, 2, 1),
        (table,),
        notes=("n\x1b",),
    )
    safe = prepare(report, 5)
    dumped = json.dumps(
        [
            safe.title,
            safe.notes,
            safe.tables[0].title,
            safe.tables[0].notes,
            safe.tables[0].rows,
            safe.tables[0].totals,
            [c.title for c in safe.tables[0].columns],
        ]
    )
    assert "\\u0000" not in dumped and "\\u001b" not in dumped and "\\u0007" not in dumped
    assert safe.tables[0].rows == (("Withheld", 7), ("Ward 9", 8))
