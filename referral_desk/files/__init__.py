"""Files the app reads from outside and writes where the officer says: the one place for both.

- `files.opening`: open a file someone else put there (a shared store, an import package, a key
  or passphrase file) as a regular file only, without following links or blocking, bounded;
- `files.output`: write a file whole or not at all, owner-only, never over the app's data.

Plain Python, importable from every layer above `domain`.
"""

from referral_desk.files.opening import (
    FileMissing,
    NotRegularFile,
    open_regular,
    open_regular_in,
    open_user_path,
    read_regular,
)
from referral_desk.files.output import (
    OWNER_ONLY,
    SHARED,
    OutputFailed,
    OutputGuard,
    OutputRefused,
    atomic_folder,
    atomic_output,
    create_new_file,
    fsync_folder,
    restrict_to_owner,
    write_atomically,
    write_new_file,
)

__all__ = [
    "OWNER_ONLY",
    "SHARED",
    "FileMissing",
    "NotRegularFile",
    "OutputFailed",
    "OutputGuard",
    "OutputRefused",
    "atomic_folder",
    "atomic_output",
    "create_new_file",
    "fsync_folder",
    "open_regular",
    "open_regular_in",
    "open_user_path",
    "read_regular",
    "restrict_to_owner",
    "write_atomically",
    "write_new_file",
]
