"""The demo's fixed content: word lists read from `resources/demo/*.json`.

Kept as data, apart from the generator's logic, so that a practitioner can review and extend
it without reading Python. Every organisation, service, person, street and phone number there is
invented: phone numbers come from the ranges Ofcom reserves for drama (so dialling one reaches
nobody), web and email addresses use `.example.org.uk`-style domains, and postcodes only have
the right shape for their town. Each file explains its own shapes under `_about`.

The lists are read once, when the demo is first imported (never by the production path), and
exposed as module attributes: `content.TOWNS`, `content.NAME_POOLS`, ...
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

FILES = ("places", "directory", "people", "casework")


def load() -> dict[str, Any]:
    """Every list of every file, by name; a name given twice is a mistake in the data."""
    folder = resources.files("referral_desk.resources") / "demo"
    merged: dict[str, Any] = {}
    for name in FILES:
        data = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        data.pop("_about", None)
        clash = merged.keys() & data.keys()
        if clash:
            raise ValueError(f"demo content {name}.json repeats {sorted(clash)}")
        merged.update(data)
    return merged


_CONTENT = load()
globals().update(_CONTENT)


def __getattr__(name: str) -> Any:  # for type checkers and a clear error on a typo
    try:
        return _CONTENT[name]
    except KeyError:
        raise AttributeError(f"no demo content named {name}") from None
