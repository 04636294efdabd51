"""hub return -> load -> regional report on a real PostgreSQL; no personal data at the hub."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

from referral_desk.hub.connection import HubDatabase
from referral_desk.store.models import (
    CaseNote,
    FollowUp,
    Need,
    NeedStatusChange,
    Person,
    Referral,
    ReferralStatusChange,
)
from referral_desk.usecases.base import Clock

TODAY = date(2026, 3, 2)
PASS = "region passphrase for tests"
FROM, TO = "2025-03-01", "2026-03-02"


@pytest.fixture
def clock() -> Clock:
    return Clock(fixed_today=TODAY)


@pytest.fixture
def teams(tmp_path: Path, clock: Clock, make_team):
    apps = [
        make_team(tmp_path / "leeds", "Leeds North", people=70, seed=1, clock=clock),
        make_team(tmp_path / "styal", "HMP Styal OMU", people=50, seed=2, clock=clock),
    ]
    yield apps
    for app in apps:
        app.close()


def carry(app, folder: Path, name: str) -> Path:
    out = folder / name
    app.hub.write_return(out, PASS)
    return out


def hub_rows(url: str) -> list[str]:
    """Every row of every table and view in the hub database, as text."""
    with psycopg.connect(url) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        ]
        out: list[str] = []
        for name in names:
            out.extend(r[0] for r in conn.execute(f'SELECT t::text FROM "{name}" t'))
        return out


def personal_strings(app) -> set[str]:
    """Names, dates of birth, CRN/NOMIS/PNC and free text held by a team."""
    found: set[str] = set()
    with app.db.read() as s:
        for p in s.scalars(select(Person)):
            found.add(f"{p.given_name} {p.family_name}")
            found.add(p.family_name if len(p.family_name) >= 7 else "")
            if p.date_of_birth:
                found.add(p.date_of_birth.isoformat())
            found.update(x for x in (p.crn, p.nomis, p.pnc) if x)
        texts = [
            *s.scalars(select(Need.description)),
            *s.scalars(select(NeedStatusChange.note)),
            *s.scalars(select(Referral.risk_note)),
            *s.scalars(select(Referral.outcome_note)),
            *s.scalars(select(Referral.accessibility_needs)),
            *s.scalars(select(Referral.availability)),
            *s.scalars(select(ReferralStatusChange.note)),
            *s.scalars(select(FollowUp.note)),
            *s.scalars(select(FollowUp.result_note)),
            *s.scalars(select(CaseNote.text)),
        ]
        found.update(t for t in texts if t and len(t) >= 12)
    found.discard("")
    return found


def test_returns_load_and_the_regional_report_adds_up_the_teams(teams, ready_hub, tmp_path):
    files = [carry(app, tmp_path, f"team{i}.rdreturn") for i, app in enumerate(teams)]
    loaded = teams[0].hub.load_files(ready_hub, files, PASS)
    assert [r.status for r in loaded] == ["loaded", "loaded"]
    assert all(r.registered for r in loaded)

    region = teams[0].hub.regional("unmet-needs", ready_hub, FROM, TO)
    own = [app.reports.run("unmet-needs", FROM, TO) for app in teams]
    for key in ("by_category", "by_gender", "by_age", "by_disability", "by_foreign_national"):
        totals = region.table(key).totals_dict()
        expected = [app_report.table(key).totals_dict() for app_report in own]
        for column in ("no_service", "full", "not_eligible", "out_of_area", "total"):
            assert totals[column] == sum(e[column] for e in expected), (key, column)
    by_team = region.table("by_team")
    for name, report in zip(("Leeds North", "HMP Styal OMU"), own, strict=True):
        assert by_team.row(name)["total"] == report.table("by_category").totals_dict()["total"]
    assert region.table("trend").rows == tuple(
        (month, *(a + b for a, b in zip(r0[1:], r1[1:], strict=True)))
        for (month, *_), r0, r1 in zip(
            own[0].table("trend").rows,
            own[0].table("trend").rows,
            own[1].table("trend").rows,
            strict=True,
        )
    )


def test_nothing_identifying_a_person_reaches_the_hub(teams, ready_hub, tmp_path):
    files = [carry(app, tmp_path, f"team{i}.rdreturn") for i, app in enumerate(teams)]
    teams[0].hub.load_files(ready_hub, files, PASS)
    teams[1].hub.push(ready_hub)  # the direct path too
    rows = "\n".join(hub_rows(ready_hub)).casefold()
    assert "leeds north" in rows  # the scan sees the data
    # Pseudonyms and keys are long hex strings: a case number made only of hex digits can occur
    # inside one by chance, which is not a leak; a leaked value stands outside them.
    rows = re.sub(r"[0-9a-f]{16,}", " ", rows)
    secrets = set().union(*(personal_strings(app) for app in teams))
    assert len(secrets) > 200
    leaked = sorted(s for s in secrets if s.casefold() in rows)
    assert leaked == []


def test_reloading_changes_nothing(teams, ready_hub, tmp_path):
    path = carry(teams[0], tmp_path, "leeds.rdreturn")
    first = teams[0].hub.load_files(ready_hub, [path], PASS)[0]
    before = hub_rows(ready_hub)
    again = teams[0].hub.load_files(ready_hub, [path, path], PASS)
    assert first.status == "loaded"
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert sorted(hub_rows(ready_hub)) == sorted(before)


def test_a_newer_return_replaces_the_team_and_an_older_one_changes_nothing(
    teams, ready_hub, tmp_path
):
    app = teams[0]
    old = carry(app, tmp_path, "old.rdreturn")
    with app.db.write() as s:  # the team deletes a need after the first return
        unmet = select(NeedStatusChange.need_id).where(
            NeedStatusChange.to_status == "unmet_no_service"
        )
        need = s.scalars(select(Need).where(Need.deleted_at.is_(None), Need.id.in_(unmet))).first()
        need.deleted_at = need.updated_at
    new = carry(app, tmp_path, "new.rdreturn")
    results = app.hub.load_files(ready_hub, [new, old], PASS)
    assert [r.status for r in results] == ["loaded", "superseded"]
    with psycopg.connect(ready_hub) as conn:
        count = conn.execute("SELECT count(*) FROM hub_need").fetchone()[0]
    assert count == results[0].needs == results[1].needs - 1


def test_cli_return_load_and_report(teams, ready_hub, tmp_path, capsys, monkeypatch):
    from referral_desk.app import run

    monkeypatch.setenv("REFERRAL_DESK_HUB_PASSPHRASE", PASS)
    data = str(teams[0].data_path.parent)
    out = tmp_path / "leeds.rdreturn"
    assert run(["--data-dir", data, "hub", "return", "--out", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o600
    assert run(["--data-dir", data, "hub", "load", str(out), "--url", ready_hub, "--json"]) == 0
    capsys.readouterr()
    report = tmp_path / "region.json"
    code = run(
        [
            "--data-dir",
            data,
            "hub",
            "report",
            "unmet-needs",
            "--url",
            ready_hub,
            "--from",
            FROM,
            "--to",
            TO,
            "--format",
            "json",
            "--out",
            str(report),
        ]
    )
    assert code == 0, capsys.readouterr().err
    exported = json.loads(report.read_text(encoding="utf-8"))
    assert exported["suppression"]["threshold"] == 5
    tables = {t["key"]: t for t in exported["tables"]}
    assert "by_team" in tables
    for fmt in ("csv", "xlsx", "pdf"):
        target = tmp_path / f"region.{fmt}"
        code = run(
            [
                "--data-dir",
                data,
                "hub",
                "report",
                "unmet-needs",
                "--url",
                ready_hub,
                "--from",
                FROM,
                "--to",
                TO,
                "--format",
                fmt,
                "--out",
                str(target),
            ]
        )
        assert code == 0 and target.stat().st_size > 0
    capsys.readouterr()


def test_regional_tables_are_suppressed_as_a_whole(teams, ready_hub, tmp_path):
    teams[0].hub.push(ready_hub)
    teams[1].hub.push(ready_hub)
    shown = teams[0].hub.regional_suppressed("unmet-needs", ready_hub, FROM, TO)
    assert shown.suppressed_below == 5
    for table in shown.tables:
        for row in (*table.rows, *((table.totals,) if table.totals else ())):
            assert not any(isinstance(v, int) and 0 < v < 5 for v in row), table.key


def test_the_hub_schema_matches_its_migrations(ready_hub):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from referral_desk.hub.schema import HUB_HEAD, VERSION_TABLE, metadata

    hub = HubDatabase(ready_hub)
    try:
        with hub.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}), metadata
            )
            assert hub.revision(conn) == HUB_HEAD
    finally:
        hub.close()
    assert diff == []


def test_regional_outcomes_add_up_the_teams(teams, ready_hub):
    for app in teams:
        app.hub.push(ready_hub)
    region = teams[0].hub.regional("outcomes", ready_hub, FROM, TO)
    own = [app.reports.run("outcomes", FROM, TO) for app in teams]
    totals = region.table("by_service").totals_dict()
    counted = (
        "made",
        "acknowledged",
        "accepted",
        "waiting_list",
        "started",
        "completed",
        "ended_early",
        "withdrawn",
        "outcomes",
    )
    for key in counted:
        assert totals[key] == sum(r.table("by_service").totals_dict()[key] for r in own), key
    assert totals["score"] == pytest.approx(
        sum(r.table("by_service").totals_dict()["score"] or 0 for r in own)
    )
    for name, report in zip(("Leeds North", "HMP Styal OMU"), own, strict=True):
        row = region.table("by_team").row(name)
        team_totals = report.table("by_service").totals_dict()
        assert {k: row[k] for k in counted} == {k: team_totals[k] for k in counted}
        assert row["median_ack"] == team_totals["median_ack"]
        assert row["median_start"] == team_totals["median_start"]
    declined = region.table("declined_by_reason").totals_dict()["total"]
    assert declined == sum(r.table("declined_by_reason").totals_dict()["total"] for r in own)
    region_silent = {row[0] for row in region.table("never_respond").rows}
    assert region_silent <= set().union(
        *({r[0] for r in o.table("never_respond").rows} for o in own)
    )


def test_regional_followups_and_freshness_match_each_team(teams, ready_hub):
    for app in teams:
        app.hub.push(ready_hub)
    follow = teams[0].hub.regional("followups", ready_hub, FROM, TO)
    fresh = teams[0].hub.regional("freshness", ready_hub, FROM, TO)
    own_follow = [app.reports.run("followups", FROM, TO) for app in teams]
    own_fresh = [app.reports.run("freshness", FROM, TO) for app in teams]
    for name, f_report, s_report in zip(
        ("Leeds North", "HMP Styal OMU"), own_follow, own_fresh, strict=True
    ):
        row = follow.table("by_team").row(name)
        assert tuple(row.values())[1:] == tuple(f_report.table("by_officer").totals)[2:]
        team_row = fresh.table("by_team").row(name)
        bands = {r[0]: r[1] for r in s_report.table("by_band").rows}
        for key, label in (("under_3", "Under 3 months"), ("never", "Never verified")):
            assert team_row[key] == bands[label]
        assert team_row["services"] == s_report.table("by_band").totals[1]
    kinds = follow.table("by_kind").totals
    assert kinds[1] == sum(r.table("by_kind").totals[1] for r in own_follow)
    assert fresh.table("by_band").totals[1] <= sum(r.table("by_band").totals[1] for r in own_fresh)


@pytest.mark.parametrize("name", ["unmet-needs", "outcomes", "followups", "freshness"])
def test_every_regional_report_exports_in_every_format(teams, ready_hub, name):
    teams[0].hub.push(ready_hub)
    for fmt in ("csv", "xlsx", "pdf", "json"):
        content = teams[0].hub.render_regional(name, ready_hub, FROM, TO, fmt)
        assert len(content) > 100, fmt
    data = teams[0].hub.regional_data(name, ready_hub, FROM, TO)
    assert data["suppression"]["threshold"] == 5
    assert "by_team" in {t["key"] for t in data["tables"]}
