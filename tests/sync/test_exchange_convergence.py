"""Convergence: random work on three sites, bundles exchanged in random orders, duplicated and
relayed (the prison PC only ever sees site 1's files), and every site ends with the same data.

Sites 0 and 1 use a shared store (and also import single store files out of order); site 2 is
a prison PC that only imports files exported by site 1, whose own files only site 1 imports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from referral_desk.domain.errors import DomainError

NAMES = ["Ann", "Bo", "Cy"]
NEED_STATES = ["open", "referred", "met", "unmet-no-service", "closed_no_longer_needed"]
REF_STATES = [
    "acknowledged",
    "accepted",
    "declined",
    "started",
    "completed",
    "withdrawn",
    "ended_early",
]
REASONS = {"declined": "no_capacity", "withdrawn": "duplicate", "ended_early": "moved"}
WORK = [
    "ref_status",
    "edit",
    "need_status",
    "refer",
    "need",
    "add",
    "followup",
    "ref_status",
    "edit",
    "delete_referral",
    "delete_need",
    "delete_person",
]
EXCHANGE = ["store", "export", "import", "store_file"]


class World:
    def __init__(self, root: Path, make: Any, h: Any) -> None:
        self.root = root
        self.h = h
        self.sites = [make(root / f"site{i}") for i in range(3)]
        self.store = root / "store"
        self.store.mkdir()
        self.files: list[tuple[int, Path]] = []  # (exporting site, file)
        self.imported: set[tuple[int, Path]] = set()
        self.n = 0

    def live(self, i: int, kind: str) -> list[str]:
        s = self.sites[i]
        if kind == "people":
            return [p.id for p in s.people.list()]
        if kind == "needs":
            return [n.id for n in s.needs.list()]
        if kind == "referrals":
            return [r.id for r in s.referrals.list()]
        return [f.id for f in s.follow_ups.list()]

    def work(self, data: st.DataObject, i: int, op: str) -> None:
        """Do `op` at site i; when it has nothing to work on, make that first (so most steps
        change something)."""
        s = self.sites[i]
        pick = lambda ids: data.draw(st.sampled_from(ids))  # noqa: E731
        name = lambda: data.draw(st.sampled_from(NAMES))  # noqa: E731
        try:
            people = self.live(i, "people")
            if op == "add" or not people:
                op = "add"
                s.people.add(given_name=name(), family_name="Test", date_of_birth="1990-01-01")
                return
            if op == "edit":
                field = data.draw(st.sampled_from(["given_name", "family_name", "area"]))
                s.people.update(pick(people), **{field: name()})
                return
            if op == "delete_person":
                s.people.delete(pick(people))
                return
            needs = self.live(i, "needs")
            if op == "need" or not needs:
                op = "need"
                s.needs.log(pick(people), "accommodation", name())
                return
            if op == "need_status":
                s.needs.set_status(pick(needs), data.draw(st.sampled_from(NEED_STATES)))
                return
            if op == "delete_need":
                s.needs.delete(pick(needs))
                return
            referrals = self.live(i, "referrals")
            if op == "refer" or not referrals:
                op = "refer"
                s.referrals.make(
                    pick(needs), data.draw(st.sampled_from(self.h.SERVICE_IDS)), consent=True
                )
                return
            if op == "ref_status":
                state = data.draw(st.sampled_from(REF_STATES))
                s.referrals.record_status(
                    pick(referrals),
                    state,
                    reason=REASONS.get(state),
                    outcome="achieved" if state == "completed" else None,
                )
                return
            if op == "delete_referral":
                s.referrals.delete(pick(referrals))
                return
            if followups := self.live(i, "followups"):
                op = "followup"
                s.follow_ups.complete(pick(followups), "done")
        except DomainError:
            event(f"refused: {op}")  # a transition the lifecycle refuses: fine
        finally:
            event(f"tried: {op}")

    def export(self, i: int) -> None:
        self.n += 1
        path = self.root / f"f{self.n}.rdsync"
        self.sites[i].sync.export_file(path, self.h.PASSPHRASE)
        self.files.append((i, path))

    def visible(self, i: int) -> list[Path]:
        """Files site i can get: the prison only site 1's; site 0 none of the prison's."""
        allowed = {0: {0, 1}, 1: {0, 1, 2}, 2: {1}}[i]
        return [p for src, p in self.files if src in allowed and src != i]

    def exchange(self, data: st.DataObject, op: str) -> None:
        pw = self.h.PASSPHRASE
        if op == "store":
            self.sites[data.draw(st.sampled_from([0, 1]))].sync.sync_now(self.store, pw)
        elif op == "export":
            self.export(data.draw(st.sampled_from([0, 1, 2])))
        elif op == "import":
            i = data.draw(st.sampled_from([0, 1, 2]))
            if files := self.visible(i):
                self.import_file(i, data.draw(st.sampled_from(files)))
        elif op == "store_file":  # one store bundle, in any order, maybe again
            bundles = (
                sorted((self.store / "outbox").glob("*/*.rdsync"))
                if (self.store / "outbox").is_dir()
                else []
            )
            i = data.draw(st.sampled_from([0, 1]))
            mine = self.sites[i].site_id
            bundles = [b for b in bundles if b.parent.name != mine]
            if bundles:
                self.import_file(i, data.draw(st.sampled_from(bundles)))

    def import_file(self, i: int, path: Path) -> None:
        self.sites[i].sync.import_file(path, self.h.PASSPHRASE)
        self.imported.add((i, path))

    def settle(self) -> None:
        """Deliver everything: store for 0 and 1, files between 1 and the prison; again until a
        round moves nothing (a site that erases records arriving for a deleted person logs a
        tombstone of its own, which then has to travel too)."""
        pw = self.h.PASSPHRASE
        s0, s1, _prison = self.sites
        for _round in range(8):
            moved = 0
            for site in (s0, s1):
                got = site.sync.sync_now(self.store, pw)
                moved += got.exported.entries + got.imported.entries_new
            self.export(1)
            self.import_file(2, self.files[-1][1])
            self.export(2)
            self.import_file(1, self.files[-1][1])
            for site in (s1, s0):
                got = site.sync.sync_now(self.store, pw)
                moved += got.exported.entries + got.imported.entries_new
            if moved == 0:
                return
        raise AssertionError("sync did not settle")


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_all_sites_converge(template_dir, tmp_path_factory, h, data):
    root = tmp_path_factory.mktemp("converge")
    opened: list[Any] = []

    def make(folder: Path) -> Any:
        site = h.copy_site(template_dir, folder)
        opened.append(site)
        return site

    try:
        world = World(root, make, h)
        for i, site in enumerate(world.sites):  # something to work on everywhere
            pid = site.people.add(
                given_name=NAMES[i], family_name="Start", date_of_birth="1985-02-03"
            ).id
            need = site.needs.log(pid, "accommodation", "start")
            site.referrals.make(need.id, h.SERVICE_IDS[0], consent=True)
        for _ in range(data.draw(st.integers(6, 20), label="steps")):
            if data.draw(st.integers(0, 9), label="work?") < 6:
                i = data.draw(st.sampled_from([0, 1, 2]), label="site")
                world.work(data, i, data.draw(st.sampled_from(WORK), label="op"))
            else:
                world.exchange(data, data.draw(st.sampled_from(EXCHANGE), label="exchange"))
        world.settle()
        first, *others = [h.digest(s.db) for s in world.sites]
        for other in others:
            assert other == first
        for s in world.sites:  # nothing left waiting, nothing quarantined
            status = s.sync.status()
            assert status.pending_records == 0 and status.quarantined == 0
            said, found = h.held_by_log(s.db)  # sync_site kept in step with the log
            assert said == found
        # Idempotence: importing any file again changes nothing and says "already seen".
        for i, path in sorted(world.imported):
            again = world.sites[i].sync.import_file(path, h.PASSPHRASE)
            assert again.already_seen == 1 and again.entries_new == 0
        assert [h.digest(s.db) for s in world.sites] == [first] * 3
    finally:
        for site in opened:
            site.close()
