"""Can Qt open a window here? Checked before Qt is imported or started.

Without its platform plugin (a damaged or partial installation, an antivirus quarantine of one
DLL) Qt aborts the whole process with a message on a console that the windowed app does not
have: the officer sees nothing at all. So the composition root looks for the plugin first, as
files, without importing Qt (importing it early would slow every later import of the start,
DESIGN.md §9), and says what is wrong in a native message box (Windows) or on standard error.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from pathlib import Path

APP_NAME = "Referral Desk"


def _plugin_folders() -> list[Path]:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return []
    package = Path(next(iter(spec.submodule_search_locations)))
    folders = [package / "Qt" / "plugins" / "platforms", package / "plugins" / "platforms"]
    extra = os.environ.get("QT_PLUGIN_PATH", "")
    folders += [Path(p) / "platforms" for p in extra.split(os.pathsep) if p]
    return folders


def missing_platform_plugin() -> str | None:
    """The platform Qt would use, if no folder Qt looks in has its plugin; None when it is there
    (or when this cannot tell, e.g. Qt built some other way: then Qt decides)."""
    wanted = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] or {
        "win32": "windows",
        "darwin": "cocoa",
    }.get(sys.platform, "xcb")
    folders = _plugin_folders()
    if not folders:
        return None
    for folder in folders:
        if folder.is_dir() and any(
            p.name.lower().startswith(("q" + wanted, "libq" + wanted)) for p in folder.iterdir()
        ):
            return None
    return wanted


def tell_without_qt(message: str) -> None:
    """A message when Qt cannot show one: logged, a native box on Windows, and standard error."""
    logging.getLogger("referral_desk").error("window cannot start: %s", message)
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        ctypes.windll.user32.MessageBoxW(None, message, APP_NAME, 0x10)  # type: ignore[attr-defined]
    print(f"referral-desk: {message}", file=sys.stderr)
