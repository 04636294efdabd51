#!/usr/bin/env bash
# Set up (first time) and start Referral Desk on a demo database kept in ./.demo-data.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_qt_libs
ensure_venv ""
# An editable install leaves the package uncompiled; where PYTHONDONTWRITEBYTECODE is set, every
# start would compile it again (~0.2 s of the 1.5 s start-up budget). Quick when up to date.
.venv/bin/python -m compileall -q referral_desk >/dev/null
exec .venv/bin/referral-desk --data-dir "$ROOT/.demo-data" --demo "$@"
