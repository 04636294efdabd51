"""The demo's word lists are data (resources/demo/*.json), shipped as package data, and read
into the names the generator uses."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from referral_desk.demo import content

ROOT = Path(__file__).resolve().parents[2]


def test_every_file_explains_itself_and_no_name_is_given_twice() -> None:
    names: list[str] = []
    for name in content.FILES:
        data = json.loads((ROOT / "resources" / "demo" / f"{name}.json").read_text("utf-8"))
        assert isinstance(data.pop("_about"), str)
        names += list(data)
    assert len(names) == len(set(names))
    assert set(names) == set(content.load())


def test_the_lists_the_generator_uses_are_there() -> None:
    assert content.DEMO_OFFICER["name"] == "Alex Morgan"
    assert "West Yorkshire" in content.TOWNS and content.TOWNS["Wales"]
    assert set(content.OUTCOME_NOTES) == {"achieved", "partly_achieved", "not_achieved"}
    assert all(len(pool) == 4 for pool in content.NAME_POOLS.values())
    with pytest.raises(AttributeError):
        _ = content.NO_SUCH_LIST


def test_the_files_ship_in_the_wheel_and_the_frozen_build() -> None:
    folder = resources.files("referral_desk.resources") / "demo"
    assert {f"{n}.json" for n in content.FILES} <= {p.name for p in folder.iterdir()}
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    assert "referral_desk.resources.demo" in setuptools["packages"]
    assert setuptools["package-data"]["referral_desk.resources.demo"] == ["*.json"]
    spec = (ROOT / "packaging" / "referral-desk.spec").read_text("utf-8")
    assert '(str(ROOT / "resources"), "referral_desk/resources")' in spec
