"""What IT support needs to know about an installation, and nothing personal.

The About box shows it and "Copy diagnostics" puts it on the clipboard for a support ticket:
versions, where the data folder is, which database schema it holds, how big it is. Never a
name, a count of people or anything from the records; the user's home folder is written as `~`
(it usually holds the officer's login name, which a ticket does not need).
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from referral_desk import __version__
from referral_desk.store.database import SCHEMA_HEAD, Database, current_revision


def _tilde(path: Path) -> str:
    home = Path.home()
    try:
        return "~/" + path.resolve().relative_to(home.resolve()).as_posix()
    except ValueError:
        return str(path)


def diagnostics(db: Database, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Facts for a support ticket, in display order; `extra` adds the caller's (Qt version)."""
    try:
        size = f"{db.path.stat().st_size / 1_048_576:.1f} MB"
    except OSError:
        size = "unknown"
    facts = {
        "Referral Desk": __version__,
        "Build": "self-contained" if getattr(sys, "frozen", False) else "Python package",
        "Python": platform.python_version(),
        "Operating system": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "Data folder": _tilde(db.path.parent),
        "Database schema": f"{current_revision(db.engine) or 'none'} (this version: {SCHEMA_HEAD})",
        "Database size": size,
    }
    facts.update(extra or {})
    return facts


def diagnostics_text(facts: dict[str, str]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in facts.items())
