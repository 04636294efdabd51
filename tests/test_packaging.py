"""The package installs quietly and completely: every folder that ships files is a listed
package (setuptools warns, and a later setuptools drops it, otherwise), the licence is an SPDX
string, and the migrations and resources are mapped into the package."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def _package_folders() -> dict[str, Path]:
    setuptools = _config()["tool"]["setuptools"]
    mapped = {name: ROOT / path for name, path in setuptools["package-dir"].items()}
    folders = {}
    for name in setuptools["packages"]:
        base = next((m for m in sorted(mapped, key=len, reverse=True) if name.startswith(m)), None)
        if base is None:
            folders[name] = ROOT / name.replace(".", "/")
        else:
            rest = name[len(base) :].strip(".")
            folders[name] = mapped[base] / rest.replace(".", "/") if rest else mapped[base]
    return folders


def test_every_folder_that_ships_files_is_a_listed_package() -> None:
    listed = {path.resolve() for path in _package_folders().values()}
    for top in ("referral_desk", "db", "resources"):
        for folder in [ROOT / top, *(p for p in (ROOT / top).rglob("*") if p.is_dir())]:
            if folder.name == "__pycache__":
                continue
            if any(f.is_file() and f.suffix != ".pyc" for f in folder.iterdir()):
                assert folder.resolve() in listed, f"{folder.relative_to(ROOT)} is not a package"


def test_licence_is_an_spdx_expression_not_a_deprecated_table() -> None:
    assert isinstance(_config()["project"]["license"], str)
