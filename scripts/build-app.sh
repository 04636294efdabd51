#!/usr/bin/env bash
# Build the frozen, self-contained app with PyInstaller into dist/referral-desk/: the windowed
# app `referral-desk-gui`, the command line `referral-desk`, Python, Qt, the migrations, the
# reference data, fonts and the licences of everything bundled. Runs on the OS it builds for
# (Linux here; Windows through packaging/windows/).
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_qt_libs
ensure_venv "[build]"
rm -rf build/pyinstaller dist/referral-desk
.venv/bin/python packaging/collect_licenses.py
.venv/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/referral-desk.spec
echo "Built dist/referral-desk ($(du -sh dist/referral-desk | cut -f1))"
