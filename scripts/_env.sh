# Shared by start-demo.sh and run-tests.sh: make sure Python can build a virtual environment,
# Qt's system libraries are present, and .venv holds the pinned dependencies.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"

QT_LIBS="libglib2.0-0 libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 \
libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
libxcb-render-util0 libxcb-shape0 libxcb-xkb1"

apt_install() {
  # Only as root on Debian/Ubuntu; otherwise say what is missing and carry on.
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages: $*" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $* >/dev/null
  else
    echo "Please install these system packages (as root): $*" >&2
  fi
}

ensure_venv_support() {
  if ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
    ver="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    apt_install "python${ver}-venv"
  fi
}

ensure_qt_libs() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  missing=""
  for pkg in $QT_LIBS; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then apt_install $missing; fi
}

ensure_venv() {
  # $1: pip extras, e.g. "[test]" or "".
  local extras="${1:-}"
  if [ ! -x .venv/bin/python ]; then
    ensure_venv_support
    "$PYTHON" -m venv .venv
  fi
  local stamp=".venv/.installed${extras}"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24" \
      "setuptools>=77" wheel
    # The build backend warns that an editable install maps folders: true, and not news.
    PYTHONWARNINGS="ignore::UserWarning" .venv/bin/python -m pip install -q \
      --disable-pip-version-check -c constraints.txt \
      -e ".${extras}"
    touch "$stamp"
  fi
}
