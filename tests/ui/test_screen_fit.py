"""Every window, page and dialog of the client fits an office laptop's screen, buttons in view.

The screen is the offscreen platform's, set by the root conftest to 1366 × 768 less a 40-pixel
task bar: a dialog 820 pixels tall really is taller than it, and the test fails. Each dialog is
opened as the client opens it (parented to the main window) on realistic data from the demo
generator, and checked: its frame lies inside the screen's available area, its main button is
shown whole inside the window, so is every other button outside a scroll area, and every label
shows all its text.

Every QDialog subclass in `referral_desk.ui` must have an entry in `client_windows.DIALOGS` (or
be a base listed in BASES): a new dialog without one fails `test_every_dialog_class_is_checked`.
"""

from __future__ import annotations

from typing import Any

import pytest
from client_windows import BASES, DIALOGS, PAGE_BUTTONS, Ctx, dialog_classes, main_button, settle
from screen_checks import button_problems, frame_problems, label_problems, tab_problems
from settling import settle as settle_ops

pytestmark = pytest.mark.gui


def test_every_dialog_class_is_checked() -> None:
    """A dialog added to the client without a case below would escape the fit check."""
    assert dialog_classes() - BASES == set(DIALOGS)


@pytest.mark.parametrize("data", ["demo", "longest"])
def test_every_window_fits_a_laptop_screen(data: str, request: Any, qtbot: Any) -> None:
    """On the demo caseload, then on records holding the longest text allowed (200-character
    names, 4 000-character unbroken descriptions and notes)."""
    ctx: Ctx = request.getfixturevalue("ctx" if data == "demo" else "long_ctx")
    window = ctx.window
    problems: list[str] = []
    problems += frame_problems(window)
    window.open_person(ctx.person.id)
    settle_ops(qtbot, window, timeout=10_000)
    for page in ("my_day", "caseload", "person", "directory", "reports"):
        window.go(page)
        settle_ops(qtbot, window, timeout=10_000)
        widget = window.page_widget(page)
        qtbot.waitUntil(getattr(widget, "is_settled", lambda: True), timeout=10_000)
        settle(qtbot)
        problems += [f"page {page}: {p}" for p in frame_problems(window)]
        main = main_button(widget, PAGE_BUTTONS[page])
        problems += [f"page {page}: {p}" for p in button_problems(window, main)]
        problems += [f"page {page}: {p}" for p in label_problems(window) + tab_problems(window)]
    for key, cases in DIALOGS.items():
        for case in cases:
            dialog = case.make(ctx)
            try:
                dialog.show()
                qtbot.waitUntil(lambda d=dialog, c=case: c.ready(d), timeout=10_000)
                # What it loads from the window's worker is in and laid out: under load a
                # label filled by a late load was measured at its empty height.
                settle_ops(qtbot, dialog, timeout=10_000)
                settle(qtbot)
                main = main_button(dialog, case.main)
                found = frame_problems(dialog) + button_problems(dialog, main)
                found += label_problems(dialog) + tab_problems(dialog)
                problems += [f"{key} ({case.label}): {p}" for p in found]
            finally:
                if hasattr(dialog, "confirm_discard"):
                    dialog.confirm_discard = False
                dialog.done(0)
                dialog.deleteLater()
                settle(qtbot, 2)
    assert not problems, "\n".join(problems)
