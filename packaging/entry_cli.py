"""Frozen entry point of the console command `referral-desk` (PyInstaller builds it)."""

import sys

from referral_desk.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
