"""The command line is a public interface: words, exit codes and JSON shapes are tested."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from referral_desk.app import run
from referral_desk.store.models import Organisation, Service, ServiceCategory


class Cli:
    def __init__(self, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data = data
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        code = run(["--data-dir", str(self.data), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str):
        code, out, err = self(*args, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def cli(app, capsys) -> Cli:
    return Cli(app.data_path.parent, capsys)


@pytest.fixture
def service_id(app) -> str:
    with app.db.write() as s:
        org = Organisation(name="Lighthouse Trust")
        svc = Service(name="Lighthouse Housing Advice", organisation_id=org.id, response_days=5)
        s.add_all([org, svc, ServiceCategory(service_id=svc.id, category_code="accommodation")])
    return svc.id


def test_init_is_a_no_op_on_a_live_database(cli, app) -> None:
    first = cli.json("init")
    second = cli.json("init")
    assert first["site_id"] == second["site_id"] == app.db.site_id
    assert second["categories"] == 17


def test_init_creates_missing_data_dir(tmp_path, capsys) -> None:
    folder = tmp_path / "a" / "b"
    assert run(["--data-dir", str(folder), "init"]) == 0
    assert (folder / "referral-desk.sqlite3").exists()
    capsys.readouterr()


def test_whole_loop_with_json(cli, service_id) -> None:
    person = cli.json(
        "person",
        "add",
        "--given",
        "Gwenllïan",
        "--family",
        "Hughes",
        "--dob",
        "1988-08-08",
        "--crn",
        "x765432",
    )
    assert person["crn"] == "X765432" and person["given_name"] == "Gwenllïan"
    assert {"id", "given_name", "family_name", "date_of_birth", "crn"} <= person.keys()
    need = cli.json(
        "need",
        "add",
        "--person",
        person["id"],
        "--category",
        "accommodation",
        "--description",
        "Needs a flat",
    )
    assert {"id", "person_id", "category", "status"} <= need.keys()
    results = cli.json("search", "lighthouse")
    assert results[0]["id"] == service_id
    assert {"id", "name", "organisation_name", "status", "categories", "score"} <= results[0].keys()
    ref = cli.json("refer", "--need", need["id"], "--service", service_id, "--consent")
    assert ref["status"] == "sent"
    assert {"id", "reference", "person_id", "need_id", "service_id", "status"} <= ref.keys()
    moved = cli.json("referral", "status", ref["reference"], "waiting-list")
    assert moved["status"] == "waiting_list"
    fus = cli.json("followups", "--due-by", "2026-12-31")
    assert isinstance(fus, list)
    assert cli.json("show", "referral", ref["id"])["reference"] == ref["reference"]
    assert cli.json("show", "person", person["id"])["needs"][0]["id"] == need["id"]
    for kind in ("people", "needs", "referrals", "services", "categories"):
        rows = cli.json("list", kind)
        assert isinstance(rows, list) and rows
    assert cli.json("list", "services")[0]["status"] == "active"


def test_follow_up_done(cli, service_id) -> None:
    person = cli.json("person", "add", "--given", "A", "--family", "B", "--dob", "1990-01-01")
    need = cli.json(
        "need", "add", "--person", person["id"], "--category", "finance", "--description", "Debt"
    )
    cli.json("refer", "--need", need["id"], "--service", service_id, "--consent")
    (fu,) = cli.json("followups")
    done = cli.json("followup", "done", fu["id"], "--note", "Rang them")
    assert done["done_on"] is not None
    assert cli.json("followups") == []


def test_unmet_need_in_one_command(cli) -> None:
    person = cli.json("person", "add", "--given", "A", "--family", "B", "--dob", "1990-01-01")
    need = cli.json(
        "need",
        "add",
        "--person",
        person["id"],
        "--category",
        "bereavement",
        "--description",
        "Grief",
        "--unmet",
        "no-service",
    )
    assert need["status"] == "unmet_no_service"


@pytest.mark.parametrize(
    "args",
    [
        ["person", "add", "--given", "A", "--family", "B", "--dob", "1990-13-01"],
        ["person", "add", "--given", "A", "--family", "B", "--dob", "1990-01-01", "--crn", "12"],
        [
            "person",
            "add",
            "--given",
            "A",
            "--family",
            "B",
            "--dob",
            "1990-01-01",
            "--nomis",
            "AB12345",
        ],
        [
            "need",
            "add",
            "--person",
            "00000000-0000-4000-8000-000000000000",
            "--category",
            "accommodation",
        ],
        ["show", "referral", "ZZZ-ZZZ"],
        ["referral", "status", "K7M-3QH", "sent"],
        ["followup", "done", "nonsense"],
        ["person"],
        ["search", "x", "--limit", "nope"],
    ],
)
def test_bad_input_one_line_non_zero_nothing_changed(cli, args) -> None:
    before = cli.json("list", "people")
    code, _out, err = cli(*args)
    assert code != 0
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert cli.json("list", "people") == before


def test_illegal_transition_and_missing_reason(cli, service_id) -> None:
    person = cli.json("person", "add", "--given", "A", "--family", "B", "--dob", "1990-01-01")
    need = cli.json(
        "need", "add", "--person", person["id"], "--category", "finance", "--description", "Debt"
    )
    ref = cli.json("refer", "--need", need["id"], "--service", service_id, "--consent")
    code, _, err = cli("referral", "status", ref["reference"], "completed")
    assert code != 0 and "Completed" in err
    code, _, err = cli("referral", "status", ref["reference"], "declined")
    assert code != 0 and "reason" in err
    ok = cli.json("referral", "status", ref["reference"], "declined", "--reason", "no_capacity")
    assert ok["status"] == "declined"


def test_refer_needs_consent_and_draft_has_reference(cli, service_id) -> None:
    person = cli.json("person", "add", "--given", "A", "--family", "B", "--dob", "1990-01-01")
    need = cli.json(
        "need", "add", "--person", person["id"], "--category", "finance", "--description", "Debt"
    )
    code, _, err = cli("refer", "--need", need["id"], "--service", service_id)
    assert code != 0 and "consent" in err.lower()
    draft = cli.json("refer", "--need", need["id"], "--service", service_id, "--consent", "--draft")
    assert draft["status"] == "draft" and draft["reference"]


def test_refer_shares_risk_only_with_the_words_to_share(cli, service_id) -> None:
    person = cli.json("person", "add", "--given", "A", "--family", "B", "--dob", "1990-01-01")
    need = cli.json(
        "need", "add", "--person", person["id"], "--category", "finance", "--description", "Debt"
    )
    code, out, err = cli(
        "refer", "--need", need["id"], "--service", service_id, "--consent", "--share-risk"
    )
    assert code == 1 and out == "" and "Write the risk information" in err
    ref = cli.json(
        "refer",
        "--need",
        need["id"],
        "--service",
        service_id,
        "--consent",
        "--share-risk",
        "--risk-note",
        "No lone home visits",
    )
    assert ref["share_risk"] and ref["risk_note"] == "No lone home visits"


def test_duplicate_person_warns_or_refuses_with_strict(cli) -> None:
    cli.json(
        "person", "add", "--given", "A", "--family", "B", "--dob", "1990-01-01", "--crn", "X111111"
    )
    code, _, err = cli(
        "person", "add", "--given", "C", "--family", "D", "--dob", "1991-01-01", "--crn", "X111111"
    )
    assert code == 0 and "warning" in err
    code, _, err = cli(
        "person",
        "add",
        "--given",
        "E",
        "--family",
        "F",
        "--dob",
        "1992-01-01",
        "--crn",
        "X111111",
        "--strict",
    )
    assert code != 0
    assert len(cli.json("list", "people")) == 2


def test_awkward_search_text_never_fails(cli, service_id) -> None:
    for text in ["St Martin's", '"', "*", "-", "(", "a AND OR NOT (", ""]:
        code, _, err = cli("search", text, "--json")
        assert code == 0, (text, err)


def test_profile_set_and_show(cli) -> None:
    prof = cli.json("profile", "set", "--name", "Sam Patel")
    assert prof["name"] == "Sam Patel"
    assert cli.json("profile", "show")["name"] == "Sam Patel"
    # A role is granted by the team's manager, never typed into the profile.
    code, _, err = cli("profile", "set", "--role", "directory-keeper")
    assert code != 0 and "granted by the team's manager" in err
    assert cli.json("role", "show")["role"] == "manager"  # no team yet: its own first manager
    granted = cli.json("role", "grant", "Sam Patel", "commissioner")
    assert granted["roles"] == ["commissioner", "manager"]
    assert cli.json("role", "revoke", prof["id"], "commissioner")["roles"] == ["manager"]
    code, _, err = cli("role", "grant", "Sam Patel", "wizard")
    assert code != 0 and "Role must be one of" in err


def test_data_dir_from_environment(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("REFERRAL_DESK_DATA_DIR", str(tmp_path / "env"))
    assert run(["init"]) == 0
    assert (tmp_path / "env" / "referral-desk.sqlite3").exists()
    capsys.readouterr()


def test_console_script_and_module_entry_points(tmp_path) -> None:
    env = {**os.environ, "REFERRAL_DESK_DATA_DIR": str(tmp_path / "d")}
    exe = Path(sys.executable).with_name("referral-desk")
    for cmd in ([str(exe), "--version"], [sys.executable, "-m", "referral_desk", "--version"]):
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        assert out.stdout.startswith("referral-desk ")


def test_slip_command_writes_a_pdf_and_refuses_unknown_reference(cli, service_id, tmp_path):
    person = cli.json("person", "add", "--given", "A", "--family", "B", "--dob", "1990-01-01")
    need = cli.json(
        "need", "add", "--person", person["id"], "--category", "finance", "--description", "Debt"
    )
    ref = cli.json("refer", "--need", need["id"], "--service", service_id, "--consent")
    out = tmp_path / "slip.pdf"
    done = cli.json("slip", ref["reference"], "--out", str(out))
    assert done["size"] == "A4" and out.read_bytes().startswith(b"%PDF")
    first = out.read_bytes()
    cli.json("slip", ref["reference"], "--out", str(out))
    assert out.read_bytes() == first  # recording the print does not change the document
    form = tmp_path / "form.pdf"
    assert cli.json("slip", ref["reference"], "--out", str(form), "--form", "--size", "a5")
    code, _, err = cli("slip", "ZZZ-ZZZ", "--out", str(tmp_path / "x.pdf"))
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.pdf").exists()


def test_output_piped_into_a_reader_that_stops_early_is_not_an_error(
    app, service_id, monkeypatch
) -> None:
    """`referral-desk … | grep -q x`: the reader is gone while the output is still in Python's
    buffer. The command exits 0 and leaves nothing to fail at interpreter exit (the frozen build
    printed "Exception ignored … Broken pipe" and exited 120)."""
    import io

    from referral_desk.__main__ import main

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has already gone
    pipe = io.TextIOWrapper(io.BufferedWriter(io.FileIO(write_end, "w"), 1 << 20))
    monkeypatch.setattr(sys, "stdout", pipe)
    try:
        assert main(["--data-dir", str(app.data_path.parent), "list", "services", "--json"]) == 0
        pipe.flush()  # what the interpreter does at exit: nothing may be left to fail
    finally:
        monkeypatch.undo()
        pipe.close()
