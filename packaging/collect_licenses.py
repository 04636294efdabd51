"""Copy the licence of everything the frozen build bundles into `packaging/build/licenses/`.

The build ships Python, Qt (PySide6), SQLite and every runtime dependency of referral-desk; their
licences must travel with them. This walks the installed requirement graph of referral-desk
(runtime dependencies only, no extras), copies each distribution's licence files (LICENSE*,
COPYING*, NOTICE*, AUTHORS* and the `licenses/` folder of newer wheels) or, failing that, its
licence metadata, plus the licence of the Python that runs the build, and writes an index.
"""

from __future__ import annotations

import re
import shutil
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

OUT = Path(__file__).resolve().parent / "build" / "licenses"
LICENCE_NAME = re.compile(r"(^|/)(licen[cs]e|copying|notice|authors)[^/]*$", re.IGNORECASE)


def runtime_closure(root: str) -> list[metadata.Distribution]:
    seen: dict[str, metadata.Distribution] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[key] = dist
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return sorted(seen.values(), key=lambda d: d.metadata["Name"].lower())


def copy_licences(dist: metadata.Distribution, target: Path) -> list[str]:
    copied = []
    for file in dist.files or []:
        if LICENCE_NAME.search(str(file)) or "/licenses/" in str(file):
            source = Path(dist.locate_file(file))
            if source.is_file():
                dest = target / Path(str(file)).name
                shutil.copyfile(source, dest)
                copied.append(dest.name)
    if not copied:
        text = dist.metadata.get("License-Expression") or dist.metadata.get("License") or ""
        if text.strip():
            (target / "LICENSE-metadata.txt").write_text(text, "utf-8")
            copied.append("LICENSE-metadata.txt")
    return copied


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    index = ["Licences of the software bundled in this build", ""]
    for dist in runtime_closure("referral-desk"):
        name, version = dist.metadata["Name"], dist.version
        if name.lower() == "referral-desk":
            continue
        target = OUT / name
        target.mkdir()
        files = copy_licences(dist, target)
        licence = dist.metadata.get("License-Expression") or dist.metadata.get("License") or "?"
        index.append(f"{name} {version}: {licence.splitlines()[0][:80]} ({', '.join(files)})")
    # Qt for Python's wheels carry only the licence expression: add the texts it names (LGPL-3.0
    # and the GPL it builds on), from the build machine's common licences (Debian ships them).
    common = Path("/usr/share/common-licenses")
    for folder in ("PySide6_Essentials", "shiboken6"):
        for text in ("LGPL-3", "GPL-3", "GPL-2"):
            if (OUT / folder).is_dir() and (common / text).is_file():
                shutil.copyfile(common / text, OUT / folder / f"{text}.txt")
    python_licence = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    if python_licence.is_file():
        (OUT / "Python").mkdir()
        shutil.copyfile(python_licence, OUT / "Python" / "LICENSE.txt")
        index.append(f"Python {sys.version.split()[0]}: PSF-2.0 (LICENSE.txt)")
    fonts = Path(__file__).resolve().parents[1] / "resources" / "fonts" / "LICENSE-DejaVu.txt"
    (OUT / "DejaVu-fonts").mkdir()
    shutil.copyfile(fonts, OUT / "DejaVu-fonts" / fonts.name)
    index.append("DejaVu Sans fonts: Bitstream Vera / DejaVu licence (LICENSE-DejaVu.txt)")
    (OUT / "INDEX.txt").write_text("\n".join(index) + "\n", "utf-8")
    print(f"{len(index) - 2} licences in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
