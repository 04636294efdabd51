"""Where this installation keeps its data (platformdirs' local, not roaming, folder)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

ENV_DATA_DIR = "REFERRAL_DESK_DATA_DIR"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--data-dir` wins, then $REFERRAL_DESK_DATA_DIR, then the per-user local data folder."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir("ReferralDesk", appauthor=False, roaming=False))
