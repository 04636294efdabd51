"""Convergence with the store's lifecycle: random work on three sites, syncs, store bundles
imported by hand in any order and again (duplicates, out of order), snapshots, pruning as days
pass, and a passphrase rotation somewhere in the middle. At the end every site holds the same
data and nothing is lost: every person added and not deleted is there, everywhere."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from referral_desk.domain.errors import DomainError
from referral_desk.sync.bundle import is_bundle_name

NEW = "the passphrase after someone left"
START = datetime(2026, 1, 5, 9, 0)
OPS = ["add", "add", "edit", "delete", "need", "sync", "sync", "file", "file"]
OPS += ["snapshot", "days", "prune", "rotate"]


class World:
    def __init__(self, root: Path, make: Any, passphrase: str) -> None:
        self.day = 0
        self.sites = [make(root / f"site{i}") for i in range(3)]
        for site in self.sites:
            site.sync.engine._now = self.now
        self.store = root / "store"
        self.store.mkdir()
        self.passphrase = passphrase
        self.rotated = False
        self.added: set[str] = set()
        self.deleted: set[str] = set()

    def now(self) -> datetime:
        return START + timedelta(days=self.day)

    def people(self, i: int) -> list[str]:
        return [p.id for p in self.sites[i].people.list()]

    def step(self, data: st.DataObject, op: str) -> None:
        """Do `op` at a site drawn; every draw is made whatever the state, so a failing case
        replays (ids and file names are random, so lists are picked from by position)."""
        i = data.draw(st.sampled_from([0, 1, 2]), label="site")
        k = data.draw(st.integers(0, 999), label="which")
        days = data.draw(st.integers(5, 60), label="days")
        site, pw = self.sites[i], self.passphrase
        event(op)
        try:
            people = sorted(self.people(i))
            if op == "add" or (op in ("edit", "delete", "need") and not people):
                name = ["Ann", "Bo", "Cy"][k % 3]
                self.added.add(
                    site.people.add(given_name=name, family_name="T", date_of_birth="1990-01-01").id
                )
            elif op == "edit":
                site.people.update(people[k % len(people)], given_name="Ed")
            elif op == "delete":
                pid = people[k % len(people)]
                site.people.delete(pid)
                self.deleted.add(pid)
            elif op == "need":
                site.needs.log(people[k % len(people)], "accommodation", "x")
            elif op == "sync":
                site.sync.sync_now(self.store, pw)
            elif op == "file":  # one store file, in any order, perhaps again
                files = self.files(site.site_id)
                if files:
                    site.sync.import_file(files[k % len(files)], pw)
            elif op == "snapshot" and self.store_exists():
                site.sync.write_snapshot(self.store, pw)
            elif op == "days":
                self.day += days
            elif op == "prune" and self.store_exists():
                site.sync.prune_store(self.store, pw)
            elif op == "rotate" and not self.rotated and self.store_exists():
                self.sites[0].sync.rotate_passphrase(self.store, pw, NEW)  # the manager
                self.passphrase, self.rotated = NEW, True
        except DomainError as err:
            event(f"refused: {op}: {type(err).__name__}")

    def store_exists(self) -> bool:
        return (self.store / "referral-desk-store.json").exists()

    def files(self, own: str) -> list[Path]:
        root = self.store / "outbox"
        found = sorted(root.glob("*/*")) if root.is_dir() else []
        return [p for p in found if is_bundle_name(p.name) and p.parent.name != own]

    def settle(self) -> None:
        for _round in range(8):
            moved = 0
            for site in [*self.sites, *reversed(self.sites)]:
                got = site.sync.sync_now(self.store, self.passphrase)
                moved += got.exported.entries + got.imported.entries_new
            if moved == 0:
                return
        raise AssertionError("sync did not settle")


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_sites_converge_with_snapshots_pruning_and_a_rotation(
    template_dir, tmp_path_factory, h, data
):
    root = tmp_path_factory.mktemp("lifecycle")
    opened: list[Any] = []

    def make(folder: Path) -> Any:
        site = h.copy_site(template_dir, folder)
        opened.append(site)
        return site

    try:
        world = World(root, make, h.PASSPHRASE)
        world.sites[0].sync.sync_now(world.store, h.PASSPHRASE)  # site 0 is the team's manager
        for _ in range(data.draw(st.integers(8, 24), label="steps")):
            world.step(data, data.draw(st.sampled_from(OPS), label="op"))
        if data.draw(st.booleans(), label="rotate at the end"):
            world.step(data, "rotate")
        world.settle()
        first, *others = [h.digest(s.db) for s in world.sites]
        for other in others:
            assert other == first
        for i, site in enumerate(world.sites):
            ids = set(world.people(i))
            assert ids == world.added - world.deleted  # nothing lost, nothing resurrected
            status = site.sync.status()
            assert status.pending_records == 0 and status.quarantined == 0
    finally:
        for site in opened:
            site.close()
