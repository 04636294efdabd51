"""The demo closes follow-ups by the rule the referral service applies
(`followup_rules.closed_by_transition`), not by a copy of it: telling a provider that a person
moved is never closed by a status change, in the demo as in the service."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

from sqlalchemy import select
from unlocking import open_test_services

from referral_desk.demo import followups as demo_followups
from referral_desk.demo import generate_demo
from referral_desk.domain.followup_rules import PlannedFollowUp, on_sent
from referral_desk.domain.states import FollowUpKind
from referral_desk.store.database import DB_FILENAME
from referral_desk.store.models import FollowUp
from referral_desk.usecases.base import Clock

TODAY = date(2026, 3, 2)


def test_a_status_change_never_closes_telling_the_provider(monkeypatch, tmp_path, template_db):
    def sent_and_moved(sent_on, response_days, calendar, rules):
        # As if the person were moving: one more follow-up owed, due after the demo's today,
        # so still pending whatever the referral does next.
        told = PlannedFollowUp(FollowUpKind.TELL_PROVIDER, TODAY + timedelta(days=30), "Tell")
        return [*on_sent(sent_on, response_days, calendar, rules), told]

    monkeypatch.setattr(demo_followups, "on_sent", sent_and_moved)
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    shutil.copy2(template_db, folder / DB_FILENAME)
    app = open_test_services(folder, Clock(fixed_today=TODAY))
    try:
        generate_demo(app, people=20, services=30, seed=2)
        with app.db.read() as session:
            told = list(session.scalars(select(FollowUp).where(FollowUp.kind == "tell_provider")))
    finally:
        app.close()
    assert told and all(fu.done_on is None for fu in told)
    closed_by_status = [
        fu.result_note
        for fu in told
        if fu.result_note.startswith(("Referral ", "Provider answered"))
    ]
    assert closed_by_status == []
