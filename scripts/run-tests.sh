#!/usr/bin/env bash
# Set up (first time) and run the whole test suite, offscreen (no display needed).
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_qt_libs
ensure_venv "[test]"
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest "$@"
