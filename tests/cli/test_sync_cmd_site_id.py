"""The CLI says, first and in one line, why this PC took a new site id (issue 14)."""

from __future__ import annotations

from referral_desk.cli import sync_cmd
from referral_desk.sync.exchange import ExportSummary, SyncSummary
from referral_desk.sync.site_identity import MOVED, SHARED_ID


def test_sync_text_says_why_the_site_id_changed_first() -> None:
    summary = SyncSummary("site", ExportSummary(entries=0), new_site_id=SHARED_ID)
    text = sync_cmd._sync_text(summary.to_dict())
    assert text.splitlines()[0] == SHARED_ID


def test_export_text_says_why_the_site_id_changed() -> None:
    summary = ExportSummary(False, "/tmp/x.rdsync", "b", 3, 1, MOVED)
    assert sync_cmd.export_text(summary.to_dict()).splitlines()[0] == MOVED


def test_nothing_is_said_when_the_id_stayed() -> None:
    text = sync_cmd._sync_text(SyncSummary("site", ExportSummary()).to_dict())
    assert MOVED not in text and SHARED_ID not in text
