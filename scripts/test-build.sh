#!/usr/bin/env bash
# Build the frozen app (unless SKIP_BUILD=1) and smoke-test it from the build folder with no
# Python on PATH and an empty environment: version, a new data folder with demo data, search, a
# slip PDF, sync export and import between two data folders, and the window started offscreen to
# My day and closed cleanly. Prints the build size and the start-up time of the frozen app next
# to the installed package's, in the same run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "${SKIP_BUILD:-0}" != "1" ]; then bash scripts/build-app.sh; fi
APP="$ROOT/dist/referral-desk"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# An empty environment: no PATH (so no Python), no HOME but a temp one, UTF-8 for Qt, and the
# passphrase that unlocks (and, at init, sets up) the encrypted data folders.
export REFERRAL_DESK_UNLOCK="smoke test unlock passphrase"
run() { env -i HOME="$WORK/home" LANG=C.UTF-8 REFERRAL_DESK_UNLOCK="$REFERRAL_DESK_UNLOCK" "$@"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
mkdir -p "$WORK/home"
# The install folder may be read-only (Program Files, a locked-down PC): nothing may be written
# into it. Checked after the smoke test against this stamp.
touch "$WORK/stamp"

echo "== frozen app in $APP"
run "$APP/referral-desk" --version >"$WORK/version.txt"; grep -q "referral-desk" "$WORK/version.txt" || fail "--version"
run "$APP/referral-desk" --data-dir "$WORK/a" init --json >/dev/null || fail "init"
run "$APP/referral-desk" --data-dir "$WORK/a" demo --people 20 --services 40 >/dev/null || fail "demo"
if head -c 15 "$WORK/a/referral-desk.sqlite3" | grep -qa "SQLite format 3"; then
  fail "the database is not encrypted"
fi
run "$APP/referral-desk" --data-dir "$WORK/a" search housing --json | grep -q '"name"' \
  || fail "search housing"
REF=$(run "$APP/referral-desk" --data-dir "$WORK/a" list referrals --json \
  | grep -m1 '"reference"' | sed 's/.*"reference": "\([^"]*\)".*/\1/')
[ -n "$REF" ] || fail "no referral to print"
run "$APP/referral-desk" --data-dir "$WORK/a" slip "$REF" --out "$WORK/f.pdf" >/dev/null || fail "slip"
[ "$(head -c 5 "$WORK/f.pdf")" = "%PDF-" ] || fail "slip is not a PDF"
run REFERRAL_DESK_PASSPHRASE="smoke test team passphrase" "$APP/referral-desk" --data-dir "$WORK/a" \
  sync export --out "$WORK/x.rdsync" >/dev/null || fail "sync export"
run "$APP/referral-desk" --data-dir "$WORK/b" init >/dev/null 2>&1 || fail "init b"
run REFERRAL_DESK_PASSPHRASE="smoke test team passphrase" "$APP/referral-desk" --data-dir "$WORK/b" \
  sync import "$WORK/x.rdsync" >/dev/null || fail "sync import"
[ "$(run "$APP/referral-desk" --data-dir "$WORK/b" list people --json | grep -c '"id"')" -ge 20 ] \
  || fail "people did not arrive by sync"
run QT_QPA_PLATFORM=offscreen "$APP/referral-desk-gui" --data-dir "$WORK/a" --check-start \
  2>"$WORK/gui.err" || { cat "$WORK/gui.err" >&2; fail "window did not reach My day"; }
if grep -q Traceback "$WORK/gui.err"; then cat "$WORK/gui.err" >&2; fail "traceback from the window"; fi
written=$(find "$APP" -newer "$WORK/stamp" | head -5)
[ -z "$written" ] || fail "the app wrote into its install folder: $written"
echo "smoke test passed: version, init, demo, search, slip, sync export/import, window to My day;"\
  "nothing written into the install folder"

echo "== figures"
echo "build size: $(du -sh "$APP" | cut -f1) ($(find "$APP" -type f | wc -l) files)"
timed() {  # median of 5 wall-clock runs of a command, in seconds
  for _ in 1 2 3 4 5; do
    start=$EPOCHREALTIME; "$@" >/dev/null 2>&1; end=$EPOCHREALTIME
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f\n", e - s }'
  done | sort -n | sed -n 3p
}
if [ -x .venv/bin/referral-desk ]; then
  echo "command start (--version), median of 5: frozen $(timed run "$APP/referral-desk" --version) s," \
    "installed $(timed .venv/bin/referral-desk --version) s"
  echo "window start to My day and close, median of 5: frozen" \
    "$(timed run QT_QPA_PLATFORM=offscreen "$APP/referral-desk-gui" --data-dir "$WORK/a" --check-start) s," \
    "installed $(timed env QT_QPA_PLATFORM=offscreen .venv/bin/referral-desk-gui --data-dir "$WORK/a" --check-start) s"
fi
