"""Every colour the client paints with, named by what it means.

One place so that a meaning keeps one colour on every screen (an error is the same red in a
message bar, under a field and on the lock screen), and so that contrast can be checked once:
each text colour here is at least 4.5:1 on white or on its own background (WCAG AA), and no
meaning is carried by colour alone (every coloured state also has words).
"""

from __future__ import annotations

# Errors, refusals, overdue work.
ERROR = "#b00020"
ERROR_BACKGROUND = "#fde7e9"
ERROR_TEXT = "#5c0011"

# Warnings that need a look but stop nothing.
WARNING = "#8a5300"
WARNING_BACKGROUND = "#fff4e0"
WARNING_BORDER = "#b36b00"
WARNING_TEXT = "#4a2c00"
CAUTION = "#7a4b00"  # a service not accepting, a risk to mention
NOTE = "#5c3b00"  # a side note in a dialog

# Information, and the main action.
INFO = "#1d5fa8"
INFO_BACKGROUND = "#e6f1fb"
INFO_TEXT = "#0b2c4f"

# Done, achieved, strong.
GOOD = "#1b6e20"
GOOD_BACKGROUND = "#e4f3e5"
GOOD_TEXT = "#1b4d1f"

# Quiet things.
MUTED = "#6b6b6b"
NEUTRAL_BACKGROUND = "#d8dde3"
NEUTRAL_TEXT = "#333333"

STALE = "#9b1c1c"  # a directory entry past its check date: 7:1 on white, readable when printed
NOTICE_BACKGROUND = "#fff4d6"  # a standing note at the top of a page
NOTICE_BORDER = "#c9a227"
BACKDROP = "#5f676c"  # behind printed pages in the preview, so white paper stands out

# Report charts: distinguishable in order, and for the commonest colour-vision deficiencies.
SERIES = ("#1f5f99", "#d9822b", "#3a8f4b", "#9b3a8f", "#7a7a7a", "#b8a12a")

_BANNERS = {
    "error": (ERROR_BACKGROUND, ERROR, ERROR_TEXT),
    "warning": (WARNING_BACKGROUND, WARNING, WARNING_TEXT),
    "info": (INFO_BACKGROUND, INFO, INFO_TEXT),
}


def banner_style(kind: str) -> str:
    """Style sheet body of a message banner of this kind ("error", "warning", "info")."""
    background, border, text = _BANNERS[kind]
    return f"background: {background}; border: 1px solid {border}; color: {text};"
