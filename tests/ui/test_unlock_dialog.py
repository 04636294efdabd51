"""The unlock passphrase in the window: unlock at start (wrong answer, delay, recovery code,
OS login), first-run set-up with the recovery code shown once, and changing it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from qt_helpers import when_modal
from unlocking import TEST_PASSPHRASE, TEST_RECOVERY_CODE, plaintext_folder

from referral_desk.domain.errors import DatabaseError, WrongPassphrase
from referral_desk.ui.unlock_dialog import (
    ChangePassphraseDialog,
    RecoveryCodeDialog,
    SetPassphraseDialog,
    UnlockDialog,
)
from referral_desk.usecases.app_services import open_services
from referral_desk.usecases.security import Unlock

pytestmark = pytest.mark.gui


class Recorder:
    """An `attempt` that refuses the first `wrong` answers, then accepts."""

    def __init__(self, wrong: int = 0, retry_after: float = 0.0) -> None:
        self.seen: list[Unlock] = []
        self.wrong = wrong
        self.retry_after = retry_after

    def __call__(self, unlock: Unlock) -> None:
        self.seen.append(unlock)
        if len(self.seen) <= self.wrong:
            raise WrongPassphrase("The passphrase is not right.", retry_after=self.retry_after)


def test_a_wrong_passphrase_is_shown_and_the_delay_counted_down(qtbot: Any) -> None:
    attempt = Recorder(wrong=1, retry_after=2)
    dialog = UnlockDialog(attempt)
    qtbot.addWidget(dialog)
    dialog.passphrase_edit.setText("wrong")
    dialog.unlock_button.click()
    assert dialog.error.text() == "The passphrase is not right."
    assert dialog.passphrase_edit.text() == ""  # cleared for the next try
    assert not dialog.unlock_button.isEnabled() and "Wait 2" in dialog.unlock_button.text()
    qtbot.waitUntil(dialog.unlock_button.isEnabled, timeout=4000)
    dialog.passphrase_edit.setText(TEST_PASSPHRASE)
    dialog.unlock_button.click()
    assert dialog.result() == UnlockDialog.DialogCode.Accepted
    assert [u.kind for u in attempt.seen] == ["passphrase", "passphrase"]
    assert attempt.seen[-1].secret == TEST_PASSPHRASE


def test_a_delay_left_from_earlier_is_counted_down_at_start(qtbot: Any) -> None:
    dialog = UnlockDialog(Recorder(), retry_after=30)
    qtbot.addWidget(dialog)
    assert not dialog.unlock_button.isEnabled()


def test_the_recovery_code_page_asks_for_a_new_passphrase(qtbot: Any) -> None:
    attempt = Recorder()
    dialog = UnlockDialog(attempt, os_login=False)
    qtbot.addWidget(dialog)
    assert dialog.os_login_button is None
    dialog.switch_button.click()
    dialog.code_edit.setText(TEST_RECOVERY_CODE)
    dialog.new_edit.setText("new passphrase")
    dialog.again_edit.setText("new passphrase!")
    dialog.unlock_button.click()
    assert attempt.seen == [] and "not the same" in dialog.error.text()
    dialog.again_edit.setText("new passphrase")
    dialog.unlock_button.click()
    assert attempt.seen == [Unlock.recovery(TEST_RECOVERY_CODE, "new passphrase")]


def test_os_login_is_offered_when_set_up(qtbot: Any) -> None:
    attempt = Recorder()
    dialog = UnlockDialog(attempt, os_login=True)
    qtbot.addWidget(dialog)
    assert dialog.os_login_button is not None
    dialog.os_login_button.click()
    assert attempt.seen == [Unlock.os_login()]


def test_a_failure_that_is_not_the_passphrase_goes_to_the_caller(qtbot: Any) -> None:
    def attempt(_unlock: Unlock) -> None:
        raise DatabaseError("The database file is damaged.")

    dialog = UnlockDialog(attempt)
    qtbot.addWidget(dialog)
    dialog.passphrase_edit.setText("whatever")
    dialog.unlock_button.click()
    assert isinstance(dialog.failure, DatabaseError)
    assert dialog.result() == UnlockDialog.DialogCode.Rejected


def test_first_run_sets_the_passphrase_typed_twice(qtbot: Any) -> None:
    attempt = Recorder()
    dialog = SetPassphraseDialog(attempt)
    qtbot.addWidget(dialog)
    dialog.passphrase_edit.setText("short")
    assert not dialog.ok_button.isEnabled()
    dialog.passphrase_edit.setText("a good passphrase")
    dialog.again_edit.setText("a good passphras")
    assert not dialog.ok_button.isEnabled()
    dialog.again_edit.setText("a good passphrase")
    dialog.ok_button.click()
    assert attempt.seen == [Unlock.new("a good passphrase")]


def test_the_recovery_code_stays_until_confirmed_written_down(qtbot: Any) -> None:
    dialog = RecoveryCodeDialog("ABCD-EFGH")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.done_button.isEnabled()
    dialog.reject()  # Esc: not yet
    assert dialog.isVisible()
    dialog.written.setChecked(True)
    dialog.done_button.click()
    assert not dialog.isVisible() and dialog.result() == RecoveryCodeDialog.DialogCode.Accepted


def test_change_passphrase_in_preferences(app: Any, qtbot: Any, gui: Any, host: Any) -> None:
    dialog = ChangePassphraseDialog(app.security, host)
    qtbot.addWidget(dialog)
    dialog.old_edit.setText("not the passphrase")
    dialog.new_edit.setText("changed passphrase")
    dialog.again_edit.setText("changed passphrase")
    dialog.ok_button.click()
    gui.wait_ops(host)
    assert "not right" in dialog.error.text() and dialog.old_edit.text() == ""
    dialog.old_edit.setText(TEST_PASSPHRASE)
    dialog.ok_button.click()
    gui.wait_ops(host)
    assert dialog.result() == ChangePassphraseDialog.DialogCode.Accepted
    app.security.lock()
    locked = UnlockDialog(lambda unlock: app.security.unlock(unlock.secret))
    qtbot.addWidget(locked)
    locked.passphrase_edit.setText("changed passphrase")
    locked.unlock_button.click()
    assert not app.security.is_locked()


def test_start_on_a_plaintext_folder_encrypts_and_tells_the_officer(
    tmp_path: Path, qtbot: Any
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from referral_desk.ui import main

    folder = plaintext_folder(tmp_path / "old")

    def choose(dialog: SetPassphraseDialog) -> None:
        dialog.passphrase_edit.setText("a good passphrase")
        dialog.again_edit.setText("a good passphrase")
        dialog.ok_button.click()

    when_modal(SetPassphraseDialog, choose)
    services = main.unlock_at_start(
        lambda u: open_services(folder, unlock=u), setting_up=True, plaintext=True
    )
    assert services is not None
    try:
        codes: list[str] = []
        told: list[str] = []

        def written_down(dialog: RecoveryCodeDialog) -> None:
            codes.append(dialog.code_label.text())
            dialog.written.setChecked(True)
            dialog.done_button.click()

        def read_notice(box: QMessageBox) -> None:
            told.append(box.text())
            box.accept()

        when_modal(RecoveryCodeDialog, written_down)
        when_modal(QMessageBox, read_notice, timeout_ms=10_000)  # opens after the code closes
        main.tell_after_unlock(services)
        assert len(codes) == 1 and len(codes[0]) > 30
        assert len(told) == 1 and "now encrypted" in told[0]
        assert len(services.people.list()) == 1
    finally:
        services.close()
