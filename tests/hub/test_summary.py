"""Referral summaries for a hub return (pure, no PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

from referral_desk.hub.summary import summarise
from referral_desk.reports.outcomes import BITS


def test_a_referral_history_is_summarised_as_the_team_report_reads_it() -> None:
    sent = datetime(2026, 1, 5, 16, 30)
    history = [
        ("r1", "draft", sent - timedelta(days=1), ""),
        ("r1", "sent", sent, ""),
        ("r1", "waiting_list", sent + timedelta(days=3), ""),
        ("r1", "accepted", sent + timedelta(days=9), ""),
        ("r1", "started", sent + timedelta(days=20, hours=8), ""),
        ("r2", "draft", sent, ""),
        ("r3", "sent", sent, ""),
        ("r3", "declined", sent + timedelta(hours=10), "no_capacity"),
    ]
    out = summarise(reversed(history))  # order does not matter
    assert out["r1"] == (
        sent.date(),
        3,
        21,
        BITS["waiting_list"] | BITS["accepted"] | BITS["started"],
        None,
    )
    assert out["r2"] == (None, None, None, 0, None)  # never sent: left out by the report
    assert out["r3"] == (sent.date(), 1, None, BITS["declined"], "no_capacity")
