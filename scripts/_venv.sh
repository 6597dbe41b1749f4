# Sourced by scripts/run and scripts/test: create or update the virtualenv, then use it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating the virtualenv in $VENV ..."
  "$PYTHON" -m venv "$VENV"
fi
# Reinstall only when the requirements changed since the last install.
stamp="$VENV/.requirements.sha256"
wanted="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "Installing requirements ..."
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -r requirements-dev.txt
  echo "$wanted" > "$stamp"
fi
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac  # an absolute VENV works too
export PATH="$VENV/bin:$PATH"
