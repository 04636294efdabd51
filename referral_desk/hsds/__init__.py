"""Open Referral HSDS 3.0 tabular data packages: read, import, export (DESIGN.md §3).

- `schema`: the HSDS 3.0 tables, columns, constraints and links;
- `package`: a package read into a private scratch database, and the reader's limits;
  `package_source`: its files from a folder or a .zip, refusing links, special files and zip
  bombs; `package_reader`: the descriptor and CSVs into the scratch database, cleaning control
  characters; `detect`, `legacy`, `oruk_json`, `staged`: older forms translated to 3.0 rows;
- `taxonomy`: the local taxonomies we publish (offender-specific fields, need categories);
- `cells`, `children`, `mapping`: HSDS rows <-> our directory fields, both directions side by
  side (`mapping` is the one vocabulary the importer and exporter use);
- `links`, `checks`, `findings`, `verdict`, `folding`: decide every row, fold rows into records,
  a batch at a time;
- `importer`: plan (the preview) into a sink of writes: applied in the caller's transaction,
  or staged in `store.import_journal` and applied in chunks (large imports);
- `exporter`: the directory as a valid, deterministic HSDS package.

An exchange format, like `sync`: this package parses, validates and maps; `store` persists
(`store.directory_rows` reads the directory's rows, `store.import_journal` applies the planned
writes, `store.bulk` loads new records). The package's own scratch database (`package`)
is a working area for the file being read, not the directory. `usecases.directory_admin` owns
the transactions.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around a large import or export.

    A 20 000-service package is millions of small, acyclic dicts and strings; repeated full
    collections over them nearly doubled the time. Reference counting still frees them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
