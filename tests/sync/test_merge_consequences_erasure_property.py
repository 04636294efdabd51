"""Property: whatever order deletes, new records and syncs happen in, every site ends identical
and nothing personal of what was deleted is left anywhere — not in the database file, not in
its WAL, not in any bundle a site writes once it has erased the record (issue 11, point 1).

Three sites: 0 and 1 share a store (and also import single store files out of order); 2 is a
prison PC that only sees site 1's files, and only site 1 imports its files, so everything it
learns is relayed. Every personal text written is a unique token, and the test knows which
record holds it, so it can tell exactly which tokens must have gone.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from unlocking import connect as connect_db
from unlocking import decrypted_bytes

from referral_desk.domain.errors import DomainError
from referral_desk.store.ownership import owner_links
from referral_desk.sync import bundle as bfmt

WORK = [
    "person",
    "need",
    "need",
    "refer",
    "refer",
    "ref_note",
    "ref_note",
    "need_note",
    "followup",
    "complete",
    "case_note",
    "delete_person",
    "delete_person",
    "delete_person",
    "delete_need",
    "delete_referral",
]
EXCHANGE = ["store", "store", "export", "import", "store_file"]
REF_STATES = ["acknowledged", "accepted", "declined", "started", "withdrawn"]
REASONS = {"declined": "no_capacity", "withdrawn": "duplicate"}
NEED_STATES = ["met", "unmet-no-service", "closed_no_longer_needed", "open"]


def query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = connect_db(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def plaintext(path: Path, h: Any) -> bytes:
    """A bundle decrypted and decompressed: what anyone with the passphrase can read."""
    with bfmt.open_bundle(path, h.PASSPHRASE, h.KEYS) as reader:
        stream = zlib.decompressobj()
        return b"".join(stream.decompress(segment) for segment in reader._segments())


class World:
    def __init__(self, root: Path, sites: list[Any], h: Any) -> None:
        self.root = root
        self.h = h
        self.sites = sites
        self.store = root / "store"
        self.store.mkdir()
        self.files: list[tuple[int, Path]] = []
        self.n = 0
        self.tokens: dict[str, tuple[str, str]] = {}  # token -> (table, record id)
        self.bundles_checked = 0

    # -- helpers --------------------------------------------------------------------------

    def token(self) -> str:
        self.n += 1
        return f"tk{self.n:05d}q"  # no token is part of another, nor of a uuid or a date

    def live(self, i: int, table: str, **where: str) -> list[str]:
        cond = "".join(f" AND {k} = ?" for k in where)
        rows = query(
            self.sites[i].db.path,
            f"SELECT id FROM {table} WHERE deleted_at IS NULL{cond} ORDER BY id",
            tuple(where.values()),
        )
        return [r[0] for r in rows]

    def note(self, i: int, table: str, column: str, tok: str) -> None:
        rows = query(
            self.sites[i].db.path, f"SELECT id FROM {table} WHERE {column} LIKE ?", (f"%{tok}%",)
        )
        for (rid,) in rows:
            self.tokens[tok] = (table, rid)

    def erased_tokens(self, i: int) -> set[str]:
        """Tokens whose record is deleted at site i: nothing of them may leave it any more."""
        out = set()
        for tok, (table, rid) in self.tokens.items():
            if query(
                self.sites[i].db.path,
                f"SELECT 1 FROM {table} WHERE id = ? AND deleted_at IS NOT NULL",
                (rid,),
            ):
                out.add(tok)
        return out

    def check_bundle(self, path: Path, erased: set[str]) -> None:
        text = plaintext(path, self.h)
        leaked = sorted(t for t in erased if t.encode() in text)
        assert not leaked, f"erased text in a bundle written afterwards: {leaked}"
        self.bundles_checked += 1

    def check_no_orphans(self) -> None:
        """After every step, at every site: no live record belongs to a deleted one."""
        for site in self.sites:
            for link in owner_links():
                rows = query(
                    site.db.path,
                    f"SELECT count(*) FROM {link.table} c JOIN {link.owner} o "
                    f"ON o.id = c.{link.column} WHERE c.deleted_at IS NULL "
                    "AND o.deleted_at IS NOT NULL",
                )
                assert rows[0][0] == 0, f"live {link.table} of a deleted {link.owner}"

    # -- work -----------------------------------------------------------------------------

    def work(self, data: st.DataObject, i: int, op: str) -> None:
        s = self.sites[i]
        pick = lambda ids: data.draw(st.sampled_from(ids))  # noqa: E731
        try:
            people = self.live(i, "person")
            if op == "person" or not people:
                op = "person"
                given, family = self.token(), self.token()
                crn = f"Q{self.n:06d}"
                pid = s.people.add(
                    given_name=given, family_name=family, date_of_birth="1990-01-01", crn=crn
                ).id
                for tok in (given, family, crn):
                    self.tokens[tok] = ("person", pid)
                return
            if op == "delete_person":
                s.people.delete(pick(people))
                return
            if op == "case_note":
                pid = pick(people)
                refs = self.live(i, "referral", person_id=pid)
                tok = self.token()
                ref = pick([None, *refs]) if refs else None
                s.people.add_note(pid, f"spoke about {tok}", referral_id=ref)
                self.note(i, "case_note", "text", tok)
                return
            if op == "followup":
                pid = pick(people)
                refs = self.live(i, "referral", person_id=pid)
                tok = self.token()
                ref = pick([None, *refs]) if refs else None
                fu = s.follow_ups.add(pid, "2026-04-01", f"ring {tok}", referral_id=ref)
                self.tokens[tok] = ("follow_up", fu.id)
                return
            needs = self.live(i, "need")
            if op == "need" or not needs:
                op = "need"
                tok = self.token()
                need = s.needs.log(pick(people), "finance", f"owes money {tok}")
                self.tokens[tok] = ("need", need.id)
                return
            if op == "need_note":
                tok = self.token()
                s.needs.set_status(pick(needs), data.draw(st.sampled_from(NEED_STATES)), note=tok)
                self.note(i, "need_status_change", "note", tok)
                return
            if op == "delete_need":
                s.needs.delete(pick(needs))
                return
            referrals = self.live(i, "referral")
            if op == "refer" or not referrals:
                op = "refer"
                tok, risk = self.token(), self.token()
                ref = s.referrals.make(
                    pick(needs),
                    data.draw(st.sampled_from(self.h.SERVICE_IDS)),
                    consent=True,
                    availability=f"mornings {tok}",
                    share_risk=True,
                    risk_note=f"risk {risk}",
                )
                self.tokens[tok] = self.tokens[risk] = ("referral", ref.id)
                return
            if op == "ref_note":
                state = data.draw(st.sampled_from(REF_STATES))
                tok = self.token()
                s.referrals.record_status(
                    pick(referrals), state, reason=REASONS.get(state), note=f"told {tok}"
                )
                self.note(i, "referral_status_change", "note", tok)
                return
            if op == "delete_referral":
                s.referrals.delete(pick(referrals))
                return
            open_fus = [f.id for f in s.follow_ups.list()]
            if open_fus:
                op = "complete"
                tok = self.token()
                s.follow_ups.complete(pick(open_fus), f"done {tok}")
                self.note(i, "follow_up", "result_note", tok)
        except DomainError:
            event(f"refused: {op}")
        finally:
            event(f"tried: {op}")

    # -- exchange -------------------------------------------------------------------------

    def visible(self, i: int) -> list[Path]:
        allowed = {0: {0, 1}, 1: {0, 1, 2}, 2: {1}}[i]
        return [p for src, p in self.files if src in allowed and src != i]

    def export(self, i: int) -> None:
        erased = self.erased_tokens(i)
        path = self.root / f"f{len(self.files) + 1}.rdsync"
        self.sites[i].sync.export_file(path, self.h.PASSPHRASE)
        self.files.append((i, path))
        self.check_bundle(path, erased)

    def sync_store(self, i: int) -> Any:
        site = self.sites[i]
        erased = self.erased_tokens(i)
        outbox = self.store / "outbox" / site.site_id
        before = set(outbox.glob("*.rdsync")) if outbox.is_dir() else set()
        got = site.sync.sync_now(self.store, self.h.PASSPHRASE)
        for path in sorted(set(outbox.glob("*.rdsync")) - before):
            self.check_bundle(path, erased)  # written before this sync imported anything
        return got

    def exchange(self, data: st.DataObject, op: str) -> None:
        pw = self.h.PASSPHRASE
        if op == "store":
            self.sync_store(data.draw(st.sampled_from([0, 1])))
        elif op == "export":
            self.export(data.draw(st.sampled_from([0, 1, 2])))
        elif op == "import":
            i = data.draw(st.sampled_from([0, 1, 2]))
            if files := self.visible(i):
                self.sites[i].sync.import_file(data.draw(st.sampled_from(files)), pw)
        elif op == "store_file":  # one store bundle, in any order, maybe again
            outbox = self.store / "outbox"
            bundles = sorted(outbox.glob("*/*.rdsync")) if outbox.is_dir() else []
            i = data.draw(st.sampled_from([0, 1]))
            mine = self.sites[i].site_id
            bundles = [b for b in bundles if b.parent.name != mine]
            if bundles:
                self.sites[i].sync.import_file(data.draw(st.sampled_from(bundles)), pw)

    def settle(self) -> int:
        """Deliver everything, round after round, until a whole round moves nothing."""
        pw = self.h.PASSPHRASE
        for rounds in range(1, 8):
            moved = 0
            for i in (0, 1):
                got = self.sync_store(i)
                moved += got.exported.entries + got.imported.entries_new
            self.export(1)
            moved += self.sites[2].sync.import_file(self.files[-1][1], pw).entries_new
            self.export(2)
            moved += self.sites[1].sync.import_file(self.files[-1][1], pw).entries_new
            if moved == 0:
                return rounds
        raise AssertionError("sync did not settle")


def raw_database(site: Any) -> bytes:
    """The database file and its WAL after a checkpoint, as bytes on disk."""
    conn = connect_db(site.db.path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return decrypted_bytes(site.db.path)  # what someone holding the key could read


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_erasure_reaches_every_site_and_leaves_nothing_behind(
    template_dir, tmp_path_factory, h, data
):
    root = tmp_path_factory.mktemp("erase")
    sites = [h.copy_site(template_dir, root / f"site{i}") for i in range(3)]
    try:
        world = World(root, sites, h)
        for _ in range(2):  # people everyone knows, so deletes and new records can race
            world.work(data, 0, "need")
        world.settle()
        for _ in range(data.draw(st.integers(8, 20), label="steps")):
            if data.draw(st.integers(0, 9), label="work?") < 6:
                i = data.draw(st.sampled_from([0, 1, 2]), label="site")
                world.work(data, i, data.draw(st.sampled_from(WORK), label="op"))
            else:
                world.exchange(data, data.draw(st.sampled_from(EXCHANGE), label="exchange"))
            world.check_no_orphans()
        event(f"settled in {world.settle()} rounds")
        world.check_no_orphans()

        first, *others = [h.digest(s.db) for s in sites]
        assert all(other == first for other in others)
        for s in sites:
            status = s.sync.status()
            assert status.pending_records == 0 and status.quarantined == 0
        erased = world.erased_tokens(0)
        assert all(world.erased_tokens(i) == erased for i in (1, 2))
        event(f"erased tokens: {min(len(erased), 10)}+")
        cascaded = sum(
            query(s.db.path, "SELECT count(*) FROM audit_entry WHERE reason LIKE 'sync: erased%'")[
                0
            ][0]
            for s in sites
        )
        event("erased on arrival by sync" if cascaded else "nothing erased on arrival")
        for i, s in enumerate(sites):
            raw = raw_database(s)
            left = sorted(t for t in erased if t.encode() in raw)
            assert not left, f"site {i} still holds erased text: {left}"
            world.export(i)  # and a bundle written now carries none of it either
        assert world.bundles_checked > 0
    finally:
        for site in sites:
            site.close()
