"""No shortcut of the client fights the platform: none is a standard editing or window key on
Windows, macOS or Linux (unless it means the same thing, such as Ctrl+N for New).

Ctrl+U ("record as unmet") cleared the line being typed on Linux, where it is QLineEdit's
"delete the whole line". The whole key map is checked: every QAction and QShortcut of the main
window and of every dialog (opened as in `client_windows.DIALOGS`), against
`QKeySequence.keyBindings()` of every StandardKey on this platform, Qt's bindings for the other
platforms (macOS, X11, KDE, GNOME: offscreen reports only its own), the line-edit keys of Linux
desktops and the keys the operating systems keep for themselves.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from client_windows import DIALOGS, Ctx, settle
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)
from settling import settle as settle_ops

pytestmark = pytest.mark.gui

SK = QKeySequence.StandardKey
PORTABLE = QKeySequence.SequenceFormat.PortableText

# Qt's own bindings on the other platforms (qplatformtheme.cpp). "Ctrl" is Command on macOS,
# "Meta" its Control key, as in Qt's key sequences.
OTHER_PLATFORMS: dict[str, list[str]] = {
    "Close": ["Ctrl+W", "Ctrl+F4"],
    "Delete": ["Ctrl+D", "Meta+D"],  # X11: emacs delete-char in line edits
    "Cut": ["Meta+K", "Shift+Del", "F20"],
    "Copy": ["Ctrl+Ins", "F16"],
    "Paste": ["Ctrl+Shift+Ins", "Shift+Ins", "F18", "Meta+Y"],
    "Undo": ["Alt+Backspace", "F14"],
    "Redo": ["Ctrl+Shift+Z", "Ctrl+Y", "Alt+Shift+Backspace"],
    "Back": ["Alt+Left", "Ctrl+Left", "Ctrl+[", "Backspace"],
    "Forward": ["Alt+Right", "Ctrl+Right", "Ctrl+]", "Shift+Backspace"],
    "Refresh": ["Ctrl+R", "F5"],  # GNOME and macOS: Ctrl+R
    "AddTab": ["Ctrl+Shift+N", "Ctrl+T"],  # KDE: Ctrl+Shift+N
    "NextChild": ["Ctrl+F6", "Ctrl+Tab", "Ctrl+}", "Ctrl+,"],  # KDE: Ctrl+,
    "PreviousChild": ["Ctrl+Shift+F6", "Ctrl+Shift+Backtab", "Ctrl+{", "Ctrl+."],
    "FindNext": ["Ctrl+G", "F3"],
    "FindPrevious": ["Ctrl+Shift+G", "Shift+F3"],
    "Replace": ["Ctrl+R", "Ctrl+H"],  # KDE: Ctrl+R; GNOME and Windows: Ctrl+H
    "Underline": ["Ctrl+U"],
    "MoveToNextChar": ["Meta+F"],
    "MoveToPreviousChar": ["Meta+B"],
    "MoveToNextWord": ["Alt+Right"],
    "MoveToPreviousWord": ["Alt+Left"],
    "MoveToNextLine": ["Meta+N"],
    "MoveToPreviousLine": ["Meta+P"],
    "MoveToNextPage": ["Meta+PgDown", "Meta+Down", "Meta+V", "Alt+PgDown"],
    "MoveToPreviousPage": ["Meta+PgUp", "Meta+Up", "Alt+PgUp"],
    "MoveToStartOfLine": ["Meta+Left", "Ctrl+Left", "Home"],
    "MoveToEndOfLine": ["Meta+Right", "Ctrl+Right", "End", "Ctrl+E"],  # X11: Ctrl+E
    "MoveToStartOfBlock": ["Meta+A", "Alt+Up"],  # macOS
    "MoveToEndOfBlock": ["Meta+E", "Alt+Down"],  # macOS
    "MoveToStartOfDocument": ["Ctrl+Up", "Home"],
    "MoveToEndOfDocument": ["Ctrl+Down", "End"],
    "DeleteStartOfWord": ["Alt+Backspace", "Ctrl+Backspace"],
    "DeleteEndOfWord": ["Alt+Del", "Ctrl+Del"],
    "DeleteEndOfLine": ["Ctrl+K"],  # X11: emacs kill-line in line edits
    "DeleteCompleteLine": ["Ctrl+U"],  # X11: clears the line edit
    "SaveAs": ["Ctrl+Shift+S"],
    "Preferences": ["Ctrl+,"],
    "Quit": ["Ctrl+Q"],
    "FullScreen": ["Meta+Ctrl+F", "Alt+Return", "Ctrl+Shift+F", "Ctrl+F11", "F11"],
    "Deselect": ["Ctrl+Shift+A"],
    "Backspace": ["Meta+H"],
    "Cancel": ["Ctrl+."],
    "HelpContents": ["Ctrl+?", "F1"],
}
# Line-edit keys of Linux desktops beyond Qt's table (GTK's Emacs key theme, readline habits),
# and keys the operating systems or input methods take before any application sees them.
SYSTEM_KEYS: dict[str, str] = {
    "Ctrl+A": "start of line (Emacs key theme)",
    "Ctrl+E": "end of line (Emacs key theme)",
    "Ctrl+W": "delete word (Emacs key theme)",
    "Ctrl+H": "backspace (Emacs key theme); hide the application (macOS)",
    "Ctrl+M": "minimise the window (macOS)",
    "Ctrl+Shift+U": "type a Unicode character (IBus, GNOME)",
    "Ctrl+Space": "switch input method",
    "Ctrl+Shift+Space": "switch input method",
    "Alt+Space": "window menu",
    "Alt+Tab": "switch windows",
    "Alt+F4": "close the window (Windows)",
    "Alt+F2": "run a command (GNOME, KDE)",
    "Ctrl+Esc": "start menu (Windows)",
    "Ctrl+Shift+Esc": "task manager (Windows)",
}
# Standard keys an action may use because it means the same thing there.
SAME_MEANING: dict[str, set[str]] = {
    "new_person": {"New"},
    "open_referral": {"Open"},
    "find_service": {"Find"},
    "quit": {"Quit"},
    "preferences": {"Preferences"},
    "refresh": {"Refresh"},
    "shortcuts": {"HelpContents"},
    "delete_need": {"Delete"},
    "delete_referral": {"Delete"},
    "search": {"Find"},  # Find a service: back to the search box
    "print": {"Print"},
    "save_pdf": {"Save"},
    "run_report": {"InsertParagraphSeparator"},  # Enter runs the report
}


def standard_keys() -> dict[str, set[str]]:
    """Every key sequence bound to a StandardKey anywhere, with the StandardKeys it means."""
    meaning: dict[str, set[str]] = defaultdict(set)
    for key in SK:
        if key == SK.UnknownKey:
            continue
        for seq in QKeySequence.keyBindings(key):
            meaning[seq.toString(PORTABLE)].add(key.name)
    for name, sequences in OTHER_PLATFORMS.items():
        for text in sequences:
            meaning[QKeySequence(text).toString(PORTABLE)].add(name)
    return meaning


def context(owner: QAction | QShortcut) -> Qt.ShortcutContext:
    return owner.shortcutContext() if isinstance(owner, QAction) else owner.context()


TEXT_FIELDS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox, QComboBox)


def never_in_text_fields(owner: QAction | QShortcut) -> bool:
    """A shortcut that works only while its table (or its menu, or button) has the focus never
    meets a text field's editing keys."""
    if context(owner) != Qt.ShortcutContext.WidgetShortcut:
        return False
    widgets = (
        [w for w in owner.associatedObjects() if isinstance(w, QWidget)]
        if isinstance(owner, QAction)
        else [owner.parentWidget()]
    )
    tables = [w for w in widgets if isinstance(w, QAbstractItemView)]
    return bool(tables) and not any(isinstance(w, TEXT_FIELDS) for w in widgets)


def key_map(root: QWidget, where: str) -> list[tuple[str, str, QAction | QShortcut]]:
    """(where, key, owner) for every shortcut of `root` and its children."""
    found = []
    for action in root.findChildren(QAction):
        for seq in action.shortcuts():
            found.append((where, seq.toString(PORTABLE), action))
    for shortcut in root.findChildren(QShortcut):
        for seq in shortcut.keys():  # noqa: SIM118 (QShortcut.keys(), not a dict)
            found.append((where, seq.toString(PORTABLE), shortcut))
    return [(w, k, o) for w, k, o in found if k]


def owner_name(owner: QAction | QShortcut) -> str:
    return owner.objectName() or (owner.text() if isinstance(owner, QAction) else "")


def collisions(entries: list[tuple[str, str, QAction | QShortcut]]) -> list[str]:
    meaning = standard_keys()
    problems = []
    for where, key, owner in entries:
        name = owner_name(owner)
        if "Ctrl+Alt+" in key or key.startswith("Alt+Ctrl+"):
            problems.append(f"{where}: {name or '?'} {key} is AltGr on many keyboards")
        if key in SYSTEM_KEYS:
            problems.append(f"{where}: {name or '?'} {key}: {SYSTEM_KEYS[key]}")
        if never_in_text_fields(owner):
            continue
        clash = meaning.get(key, set()) - SAME_MEANING.get(name, set())
        if clash:
            problems.append(f"{where}: {name or '?'} {key} is {', '.join(sorted(clash))}")
    return problems


def test_the_client_key_map_leaves_the_platform_keys_alone(ctx: Ctx, qtbot: Any) -> None:
    for page in ("directory", "reports"):  # built when first shown
        ctx.window.go(page)
        settle_ops(qtbot, ctx.window, timeout=10_000)
    entries = key_map(ctx.window, "main window")
    problems = collisions(entries)
    window_keys = defaultdict(list)
    for _where, key, owner in entries:
        if context(owner) != Qt.ShortcutContext.WidgetShortcut:
            window_keys[key].append(owner_name(owner))
    problems += [
        f"main window: {key} is used by {names}"
        for key, names in window_keys.items()
        if len(names) > 1
    ]
    for key_name, cases in DIALOGS.items():
        for case in cases:
            dialog = case.make(ctx)
            try:
                problems += collisions(key_map(dialog, f"{key_name} ({case.label})"))
            finally:
                if hasattr(dialog, "confirm_discard"):
                    dialog.confirm_discard = False
                dialog.done(0)
                dialog.deleteLater()
                settle(qtbot, 2)
    assert not problems, "\n".join(problems)


def test_ctrl_u_is_caught_for_what_it_does_on_linux() -> None:
    """The tables above really describe the keys: Ctrl+U clears a line edit on X11."""
    meaning = standard_keys()
    assert "DeleteCompleteLine" in meaning["Ctrl+U"] and "DeleteEndOfLine" in meaning["Ctrl+K"]
    assert "Find" in meaning[QKeySequence(SK.Find).toString(PORTABLE)]
