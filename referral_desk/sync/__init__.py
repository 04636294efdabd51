"""Sync through a shared store or a carried file (DESIGN.md §6).

Modules, lowest first: `keys` (passphrase -> keys), `bundle` (the encrypted file format),
`quarantine` (validation of incoming entries), `state` (version vectors, knowledge checkpoints,
the store folder), `merge` (applying entries: last-writer-wins, tombstones, conflicts) and
`exchange` (export, import, sync). No Qt here; the services layer wraps `exchange` for the UI
and the command line.
"""
