"""The sync result's notes say why this PC took a new site id (issue 14; plain functions)."""

from __future__ import annotations

from referral_desk.sync.site_identity import MOVED
from referral_desk.ui.sync_summary import attention
from referral_desk.usecases.sync import ImportSummary


def test_the_new_site_id_reason_comes_first_in_the_notes() -> None:
    notes = attention(ImportSummary(bundles=1), preview=False, new_site_id=MOVED)
    assert notes[0] == MOVED
    assert MOVED not in attention(ImportSummary(bundles=1), preview=False)
