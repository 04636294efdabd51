#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the hub tests, run a command with
# REFERRAL_DESK_HUB_TEST_URL pointing at it, and stop the cluster afterwards (even on failure).
#
#   bash scripts/hub-test-server.sh bash scripts/run-tests.sh -q
#
# The cluster lives in a temporary folder, listens only on a Unix socket in that folder and
# trusts local connections (it holds nothing but test data and is deleted at the end).
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
set -euo pipefail

find_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

PGBIN="$(find_bin || true)"
if [ -z "$PGBIN" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing PostgreSQL for the hub tests" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    PGBIN="$(find_bin)"
  else
    echo "PostgreSQL (initdb, pg_ctl) is not installed: install the postgresql package" >&2
    exit 1
  fi
fi

as_owner() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

WORK="$(mktemp -d /tmp/rd-hub-pg.XXXXXX)"
chmod 0755 "$WORK"
[ "$(id -u)" = "0" ] && chown postgres: "$WORK"
PORT="${HUB_TEST_PORT:-$(( 20000 + RANDOM % 20000 ))}"

cleanup() {
  as_owner "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

as_owner "$PGBIN/initdb" -D "$WORK/data" -U hubtest -A trust -E UTF8 --no-locale >/dev/null
as_owner "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w \
  -o "-k $WORK -c listen_addresses='' -p $PORT -c fsync=off" start >/dev/null

export REFERRAL_DESK_HUB_TEST_URL="postgresql://hubtest@/postgres?host=$WORK&port=$PORT"
export PATH="$PGBIN:$PATH"
echo "Hub test server: $REFERRAL_DESK_HUB_TEST_URL" >&2
"$@"
