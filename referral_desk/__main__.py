"""Entry points: `referral-desk` (console) and `referral-desk-gui` (windowed)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # answered without importing the app: IT scripts ask it often
        from referral_desk import __version__

        print(f"referral-desk {__version__}")
        return 0
    from referral_desk.app import run

    code = run(args)
    try:
        # Flush here, not at interpreter exit: output piped into `head` or `grep -q` that closed
        # early is not an error for the data, and must not end in "Exception ignored … Broken
        # pipe" with exit code 120.
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return code


def main_gui() -> int:
    from referral_desk.app import run

    return run(sys.argv[1:], force_gui=True)


if __name__ == "__main__":
    sys.exit(main())
