# Shared by scripts/run, scripts/test and scripts/bench-*: a virtualenv with the project installed.
# Usage: SETUP_EXTRAS=test source scripts/_setup.sh   (extras, if any, from a variable: a sourced
# file sees the calling script's own arguments as $1..., and those belong to the script)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PYTHON="$candidate"; break; fi
  done
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1))." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> Creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
EXTRAS="${SETUP_EXTRAS:-}"
SPEC="."
[ -n "$EXTRAS" ] && SPEC=".[$EXTRAS]"
STAMP=".venv/.installed-$(cat pyproject.toml | .venv/bin/python -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:12])')-${EXTRAS:-base}"
if [ ! -f "$STAMP" ]; then
  echo "==> Installing the project ($SPEC)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e "$SPEC"
  touch "$STAMP"
fi
echo "==> Compiling translations"
.venv/bin/pybabel compile -d translations --statistics 2>&1 | grep -v '^compiling' || true
export PATH="$ROOT/.venv/bin:$PATH"
