"""Preferences › "Also unlock with my computer login" (issue 12): an officer alone on a PC may
choose it; turning it on needs the passphrase, turning it off removes the key from the store."""

from __future__ import annotations

from pathlib import Path

from unlocking import TEST_PASSPHRASE, MemoryKeyring, open_test_services

from referral_desk.ui.preferences import PreferencesDialog


def _answer(text: str):
    def answer(dialog) -> None:
        dialog.setTextValue(text)
        dialog.accept()

    return answer


def test_os_login_is_turned_on_with_the_passphrase_and_off_again(qtbot, gui, host, tmp_path: Path):
    ring = MemoryKeyring()
    services = open_test_services(tmp_path / "data", keyring_backend=ring)
    try:
        services.profile.set(name="Alex Morgan")
        dialog = PreferencesDialog(services, host)
        qtbot.addWidget(dialog)
        dialog.show()
        gui.wait_ops(host)
        assert dialog.os_login.isEnabled() and not dialog.os_login.isChecked()

        gui.on_next_dialog(_answer("not the passphrase"))
        dialog.os_login.setChecked(True)
        gui.wait_ops(host)
        assert not dialog.os_login.isChecked() and not services.security.os_login_enabled()
        assert "passphrase is not right" in dialog.message_bar.text()
        assert ring.items == {}

        gui.on_next_dialog(_answer(TEST_PASSPHRASE))
        dialog.os_login.setChecked(True)
        gui.wait_ops(host)
        assert dialog.os_login.isChecked() and services.security.os_login_enabled()
        assert len(ring.items) == 1 and TEST_PASSPHRASE not in next(iter(ring.items.values()))

        dialog.os_login.setChecked(False)
        gui.wait_ops(host)
        assert not services.security.os_login_enabled() and ring.items == {}
    finally:
        services.close()


def test_without_a_password_store_the_choice_is_not_offered(qtbot, gui, host, tmp_path: Path):
    from keyring.backends import fail

    services = open_test_services(tmp_path / "data", keyring_backend=fail.Keyring())
    try:
        services.profile.set(name="Alex Morgan")
        dialog = PreferencesDialog(services, host)
        qtbot.addWidget(dialog)
        gui.wait_ops(host)
        assert not dialog.os_login.isEnabled() and "no password store" in dialog.os_login.toolTip()
    finally:
        services.close()
