"""What a sync preview or run found, in words: the counts table and the notes."""

from __future__ import annotations

import pytest
import sync_gui

pytestmark = pytest.mark.gui

# The shared fixtures (tests/sync_gui.py) this module uses.
no_os_keyring = sync_gui.no_os_keyring
no_leaked_threads = sync_gui.no_leaked_threads


def test_waiting_records_are_told_in_words(qtbot, app) -> None:
    from referral_desk.ui.sync_summary import attention as _attention
    from referral_desk.ui.sync_summary import count_rows as _count_rows
    from referral_desk.usecases.sync import ImportSummary

    imp = ImportSummary(bundles=1, pending=3, pending_reasons=(("person", 3),))
    notes = _attention(imp, preview=True)
    assert (
        "3 records arrived before the person they belong to; they will be added when "
        "that person's record arrives."
    ) in notes
    assert not any("related records" in n for n in notes)
    assert ("Records to be added later", 3) in _count_rows(imp)
