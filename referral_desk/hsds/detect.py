"""What a file handed to `directory import` is, and the `Package` of HSDS 3.0 rows it gives.

- a `.json` file (not `datapackage.json`): the HSDS 3.0 JSON form of Open Referral UK feeds
  (`oruk_json`);
- a folder or .zip whose `datapackage.json` declares version 1.x or 2.x, or which has the
  files only older HSDS packages have (`physical_addresses.csv`, `regular_schedules.csv`,
  `services_taxonomy.csv`, `taxonomy.csv`…), with or without `datapackage.json`: an HSDS 1.1
  or 2.0 tabular package (`legacy`);
- anything else: an HSDS 3.0 tabular package (`package_reader`), which needs its descriptor.

`Package.form` says which, for the preview. Older ids that are not UUIDs become uuid5 of the
publisher and the id (`staged`): the publisher is the descriptor's `name` when there is one,
else the file or folder name without a trailing date or number, so next month's
`acme-2027-01.zip` updates what `acme-2026-12.zip` created.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from referral_desk.hsds import legacy
from referral_desk.hsds.oruk_json import read_json
from referral_desk.hsds.package import DESCRIPTOR, Limits, Package, PackageError, filling
from referral_desk.hsds.package_reader import read_descriptor, read_package
from referral_desk.hsds.package_source import FolderSource, PackageSource, Source, ZipSource

_TRAILING_DATE = re.compile(r"[\s._-]*[0-9][0-9\s._-]*$")
MAX_LISTED_FILES = 1000  # files of a folder looked at (an HSDS package has about twenty)


def open_package(path: Path, *, limits: Limits, publisher: str | None = None) -> Package:
    """The package at `path` as HSDS 3.0 rows, whatever its version and form; PackageError
    (nothing written) when it cannot be used."""
    path = Path(path)
    if path.suffix.lower() == ".json" and path.name != DESCRIPTOR:
        return read_json(path, limits, publisher or publisher_of(path, {}))
    package = Package()
    with filling(package), PackageSource(path, limits) as source:
        files = _files(source)
        descriptor = read_descriptor(source) if DESCRIPTOR in files else {}
        # With a descriptor, only the files it lists say what the package is (a 3.0
        # package may carry other files beside it).
        listed = _listed(descriptor) if descriptor else list(files.values())
        names = set(legacy.file_names(listed))
        if not legacy.is_legacy(names, descriptor):
            package.close()
            return read_package(path, limits=limits)
        version = legacy.version_of(names, descriptor)
        package.form = f"HSDS {version} tabular package" + (
            "" if descriptor else f" (without {DESCRIPTOR})"
        )
        package.descriptor = descriptor
        found = legacy.file_names(listed)
        legacy.translate(
            package, source, found, publisher or publisher_of(path, descriptor), limits
        )
    return package


def _listed(descriptor: dict[str, Any]) -> list[str]:
    paths = []
    for resource in descriptor.get("resources", []):
        path = resource.get("path") if isinstance(resource, dict) else None
        if isinstance(path, list) and len(path) == 1:
            path = path[0]
        if isinstance(path, str):
            paths.append(path)
    return paths


def publisher_of(path: Path, descriptor: dict[str, Any]) -> str:
    name = descriptor.get("name") if isinstance(descriptor, dict) else None
    if isinstance(name, str) and name.strip():
        return name.strip().lower()
    stem = path.parent.name if path.name == DESCRIPTOR else path.stem
    return _TRAILING_DATE.sub("", stem.strip().lower()) or stem.strip().lower()


def _files(source: Source) -> dict[str, str]:
    """Relative path -> path of the package's files (the folder's top level, a zip's members
    under the folder the package was wrapped in)."""
    if isinstance(source, ZipSource):
        names = list(source.infos)
        if not source.prefix:  # no descriptor: the one folder holding services.csv, if any
            holders = sorted(
                (n for n in names if posixpath.basename(n) == "services.csv"),
                key=lambda n: (n.count("/"), n),
            )
            if holders:
                source.prefix = posixpath.dirname(holders[0]) + "/" if "/" in holders[0] else ""
        prefix = source.prefix
        return {
            n[len(prefix) :]: n[len(prefix) :]
            for n in names
            if n.startswith(prefix) and "/" not in n[len(prefix) :]
        }
    assert isinstance(source, FolderSource)
    out: dict[str, str] = {}
    try:
        for n, entry in enumerate(source.root.iterdir()):
            if n >= MAX_LISTED_FILES:
                raise PackageError(
                    f"The folder holds more than {MAX_LISTED_FILES} files; "
                    "an HSDS package has about twenty."
                )
            out[entry.name] = entry.name
    except OSError as err:
        raise PackageError("The package folder cannot be read (check its permissions).") from err
    return out
