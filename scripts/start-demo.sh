#!/usr/bin/env bash
# Set up (first time) and start Referral Desk on a demo database kept in ./.demo-data.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_qt_libs
ensure_venv ""
exec .venv/bin/referral-desk --data-dir "$ROOT/.demo-data" --demo "$@"
