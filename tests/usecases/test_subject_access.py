"""Subject access (issue 12): `person export ID --out FILE` writes everything held about one
person — details, needs, referrals and their histories, follow-ups, notes, who accessed the
record — as a readable PDF plus machine-readable JSON, owner-only, through the output guard."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pypdfium2
import pytest
from pdf_pages import render_png

from referral_desk.app import run
from referral_desk.domain.errors import NotFound, ValidationError
from referral_desk.store.models import Organisation, Service
from referral_desk.usecases.subject_access import export_paths


@pytest.fixture
def case(app) -> dict[str, str]:
    with app.db.write() as s:
        org = Organisation(name="Lighthouse Trust")
        svc = Service(name="Lighthouse Housing Advice", organisation_id=org.id, response_days=3)
        s.add_all([org, svc])
    person = app.people.add(
        given_name="Quillon", family_name="Vex", date_of_birth="1980-01-02", crn="X765432"
    )
    need = app.needs.log(person.id, "accommodation", "Sofa surfing since March")
    ref = app.referrals.make(need.id, svc.id, consent=True, availability="Mornings only")
    app.referrals.record_status(ref.id, "acknowledged", note="Rang the hostel")
    app.follow_ups.add(person.id, "2026-03-20", "Ring the hostel again", referral_id=ref.id)
    app.people.add_note(person.id, "Seen at the office; keen to move")
    app.people.detail(person.id)
    other = app.people.add(given_name="Other", family_name="Person", date_of_birth="1970-05-05")
    app.needs.log(other.id, "finance", "Someone else's debts")
    return {"person": person.id, "need": need.id, "referral": ref.id, "reference": ref.reference}


def _pdf_text(pdf: bytes) -> str:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def test_export_holds_everything_about_the_person_and_nothing_about_others(
    app, case, tmp_path: Path
) -> None:
    pdf_path, json_path = app.subject_access.export(case["person"], tmp_path / "sar")
    assert (pdf_path.name, json_path.name) == ("sar.pdf", "sar.json")
    data = json.loads(json_path.read_text("utf-8"))
    assert data["person"]["family_name"] == "Vex" and data["person"]["crn"] == "X765432"
    assert [n["description"] for n in data["needs"]] == ["Sofa surfing since March"]
    assert [h["to_status"] for h in data["needs"][0]["status_history"]] == ["open", "referred"]
    referral = data["referrals"][0]
    assert referral["reference"] == case["reference"] and referral["availability"] == (
        "Mornings only"
    )
    assert [h["to_status"] for h in referral["status_history"]][-1] == "acknowledged"
    assert referral["status_history"][-1]["note"] == "Rang the hostel"
    assert {f["note"] for f in data["follow_ups"]} >= {"Ring the hostel again"}
    assert [n["text"] for n in data["case_notes"]] == ["Seen at the office; keen to move"]
    assert {(a["officer"], a["kind"]) for a in data["accesses"]} == {
        ("Alex Morgan", "open"),
        ("Alex Morgan", "export"),
    }
    whole = json_path.read_text("utf-8")
    assert "Someone else" not in whole and "Other" not in whole
    text = _pdf_text(pdf_path.read_bytes())
    expected_text = (
        "Quillon",
        "Vex",
        "X765432",
        "Sofa surfing since March",
        "Rang the",
        "Ring the hostel",
        "keen to move",
        "Who accessed the record",
    )
    for expected in expected_text:
        assert expected in text, expected
    assert "Someone else" not in text


def test_the_pdf_renders_as_readable_pages(app, case, tmp_path: Path) -> None:
    pdf_path, _ = app.subject_access.export(case["person"], tmp_path / "sar.pdf")
    pages = render_png(pdf_path.read_bytes())
    assert 1 <= len(pages) <= 6
    for page in pages:  # ink on every page, and no page all ink
        histogram = page.histogram()
        dark = sum(histogram[:128]) / (page.width * page.height)
        assert 0.001 < dark < 0.3


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_both_files_are_owner_only(app, case, tmp_path: Path) -> None:
    for path in app.subject_access.export(case["person"], tmp_path / "sar.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_out_name_gives_both_files() -> None:
    for out in ("a/sar", "a/sar.pdf", "a/sar.JSON"):
        pdf, js = export_paths(out)
        assert (str(pdf), str(js)) == ("a/sar.pdf", "a/sar.json")
    names = [p.name for p in export_paths("x/report.2026")]
    assert names == ["report.2026.pdf", "report.2026.json"]


def test_refused_targets_and_bad_ids_write_nothing(app, case, tmp_path: Path) -> None:
    data_dir = Path(app.db.path).parent
    with pytest.raises(ValidationError):
        app.subject_access.export(case["person"], data_dir / "copy")
    with pytest.raises(ValidationError):
        app.subject_access.export(case["person"], tmp_path / "no-such-folder" / "sar")
    (tmp_path / "folder.pdf").mkdir()
    with pytest.raises(ValidationError):
        app.subject_access.export(case["person"], tmp_path / "folder")
    with pytest.raises(NotFound):
        app.subject_access.export("not-a-person", tmp_path / "sar")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "folder.pdf"]
    assert not list(data_dir.glob("copy*"))


def test_the_command_line_export_and_its_refusals(app, case, tmp_path: Path, capsys) -> None:
    data = str(Path(app.db.path).parent)
    app.close()
    out = tmp_path / "out"
    out.mkdir()
    assert (
        run(["--data-dir", data, "person", "export", case["person"], "--out", str(out / "sar")])
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == ["sar.json", "sar.pdf"]
    capsys.readouterr()
    bads = (
        ["nope", "--out", str(out / "x")],
        [case["person"], "--out", data + "/copy"],
        [case["person"], "--out", str(out / "missing" / "x")],
        ["", "--out", "y"],
    )
    for bad in bads:
        assert run(["--data-dir", data, "person", "export", *bad]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["sar.json", "sar.pdf"]


def test_ethnicity_is_given_in_words_not_as_the_lists_code(app, tmp_path: Path) -> None:
    item = app.reference.list("ethnicity")[0]
    person = app.people.add(
        given_name="Wyn", family_name="Label", date_of_birth="1981-02-03", ethnicity=item.code
    )
    pdf_path, json_path = app.subject_access.export(person.id, tmp_path / "sar")
    assert json.loads(json_path.read_text("utf-8"))["person"]["ethnicity"] == item.label
    assert item.label in _pdf_text(pdf_path.read_bytes()).replace("\r\n", " ").replace("\n", " ")
