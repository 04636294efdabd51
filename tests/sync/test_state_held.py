"""The version vector read from `sync_site` (`sync.state.version_vector`): bundles of one site
imported out of order, more than once, with overlapping ranges, leave the vector at the
contiguous prefix of what arrived and `sync_site` equal to the keys of the log."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from person_entries import person_entries

from referral_desk.sync import bundle as b
from referral_desk.sync.state import version_vector

PEOPLE = 8  # 29 entries each
ENTRIES = 29 * PEOPLE


def _bundle(h: Any, path: Path, entries: list[list[object]], site: str) -> Path:
    data, _ = b.seal(
        entries,
        [],
        site_id=site,
        vector={site: max(int(e[1]) for e in entries)},  # type: ignore[call-overload]
        passphrase=h.PASSPHRASE,
        keys=h.KEYS,
        salt=b"\x02" * 16,
        kdf=h.FAST_KDF,
    )
    path.write_bytes(data)
    return path


# Slices of the writer's entries by person (a record's entries travel together, as exports
# send them), as (first person, past the last).
slices = st.lists(
    st.tuples(st.integers(0, PEOPLE - 1), st.integers(1, PEOPLE)).map(
        lambda t: (min(t[0], t[1] - 1), max(t[0] + 1, t[1]))
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(parts=slices)
def test_out_of_order_and_repeated_bundles_keep_the_vector_a_prefix(
    template_dir: Path, tmp_path_factory: Any, h: Any, parts: list[tuple[int, int]]
) -> None:
    root = tmp_path_factory.mktemp("held")
    writer = str(uuid.uuid4())
    entries = list(person_entries(PEOPLE, writer))
    site = h.copy_site(template_dir, root / "site")
    try:
        arrived: set[int] = set()
        for n, (lo, hi) in enumerate(parts):
            part = entries[lo * 29 : hi * 29]
            site.sync.import_file(_bundle(h, root / f"{n}.rdsync", part, writer), h.PASSPHRASE)
            arrived |= {int(e[1]) for e in part}  # type: ignore[call-overload]
            prefix = 0
            while prefix + 1 in arrived:
                prefix += 1
            with site.db.read() as session:
                assert version_vector(session).get(writer, 0) == prefix
            said, found = h.held_by_log(site.db)
            assert said == found
    finally:
        site.close()
