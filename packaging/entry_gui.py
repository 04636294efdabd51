"""Frozen entry point of the windowed app `referral-desk-gui` (no console on Windows)."""

import sys

from referral_desk.__main__ import main_gui

if __name__ == "__main__":
    sys.exit(main_gui())
