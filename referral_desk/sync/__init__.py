"""Sync through a shared store or a carried file (DESIGN.md §6).

Modules, lowest first: `keys` (passphrase -> keys), `files` (opening only regular files),
`container` (the encrypted file: header, segments), `payload` (entries, knowledge, manifest
inside it), `bundle` (reading and writing whole bundles as streams), `quarantine` (validation of
incoming entries), `state` (version vectors, knowledge checkpoints, the store folder and its
settings file), `store_repair` (rebuilding that file), `merge` (applying entries: last-writer-
wins, tombstones, conflicts), `outgoing` (what an export carries), `importer` (staging, batches,
the import journal; `import_lock`) and `exchange` (export, import, sync). No Qt here; the
services layer wraps `exchange` for the UI and the command line.
"""
