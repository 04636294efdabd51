"""Listing the bundle files of other sites in a shared store, without following links.

A folder that is a link, or one that cannot be listed, is reported (as a refused file), never
read; a file is listed only if it is named like a bundle (`<uuid>.rdsync`).
"""

from __future__ import annotations

import os
from pathlib import Path

from referral_desk.sync.bundle import is_bundle_name
from referral_desk.sync.import_results import RefusedFile
from referral_desk.sync.state import OUTBOX, StoreError

LINKED_FOLDER = "This folder is a link, not a folder of the shared store: it was not read."
UNREADABLE_FOLDER = "This folder of the shared store cannot be read."


def list_store(store_dir: Path, site: str) -> tuple[list[os.DirEntry[str]], list[RefusedFile]]:
    """Files named like bundles in other sites' outbox folders, without following links: a
    folder that is a link, or one that cannot be listed, is reported, not read."""
    root = store_dir / OUTBOX
    files: list[os.DirEntry[str]] = []
    refused: list[RefusedFile] = []
    try:
        if root.is_symlink():
            return [], [RefusedFile(OUTBOX, LINKED_FOLDER)]
        if not root.is_dir():
            return [], []
        with os.scandir(root) as it:
            folders = sorted(it, key=lambda e: e.name)
    except OSError as err:
        raise StoreError("The shared store folder cannot be read.") from err
    for folder in folders:
        if folder.name == site:
            continue
        rel = f"{OUTBOX}/{folder.name}"
        try:
            if folder.is_symlink():
                refused.append(RefusedFile(rel, LINKED_FOLDER))
                continue
            if not folder.is_dir(follow_symlinks=False):
                continue
            with os.scandir(folder.path) as it:
                names = sorted((e for e in it if is_bundle_name(e.name)), key=lambda e: e.name)
        except OSError:
            refused.append(RefusedFile(rel, UNREADABLE_FOLDER))
            continue
        files.extend(names)
    return files, refused


__all__ = ["LINKED_FOLDER", "UNREADABLE_FOLDER", "list_store"]
