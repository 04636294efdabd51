#!/usr/bin/env bash
# Set up (first time) and run the whole test suite, offscreen (no display needed).
# The regional hub's tests need PostgreSQL: unless REFERRAL_DESK_HUB_TEST_URL names a server,
# a throwaway one is started for the run (scripts/hub-test-server.sh; as root it installs
# Debian's postgresql package when missing) and stopped afterwards.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_qt_libs
ensure_venv "[test]"
export QT_QPA_PLATFORM=offscreen
if [ -z "${REFERRAL_DESK_HUB_TEST_URL:-}" ]; then
  if [ "$(id -u)" = "0" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
      || command -v initdb >/dev/null 2>&1; then
    exec bash scripts/hub-test-server.sh .venv/bin/python -m pytest "$@"
  fi
  echo "PostgreSQL is not installed: the hub tests will skip (install the postgresql package," \
    "or set REFERRAL_DESK_HUB_TEST_URL)" >&2
fi
exec .venv/bin/python -m pytest "$@"
