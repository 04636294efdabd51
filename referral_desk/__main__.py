"""Entry points: `referral-desk` (console) and `referral-desk-gui` (windowed)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from referral_desk.app import run

    return run(sys.argv[1:] if argv is None else argv)


def main_gui() -> int:
    from referral_desk.app import run

    return run(sys.argv[1:], force_gui=True)


if __name__ == "__main__":
    sys.exit(main())
