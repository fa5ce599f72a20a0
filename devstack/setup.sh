#!/usr/bin/env bash
# One-time set-up, safe to re-run: virtualenv, pinned packages, Kafka jars.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "livedub: missing Python 3.11 or 3.12 (Bytewax 0.21.1 has no wheels for newer): install python3.11" >&2
  return 1
}

if [ ! -x "$venv/bin/python" ]; then
  python=$(pick_python)
  echo "creating $venv with $python"
  "$python" -m venv "$venv"
fi

stamp="$venv/.livedub-installed"
want=$(cat pyproject.toml constraints.txt requirements-no-deps.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing pinned Python packages into $venv (constraints.txt)"
  log="$venv/pip-install.log"
  if ! { "$venv/bin/python" -m pip install -q --upgrade pip &&
         "$venv/bin/python" -m pip install -q -c constraints.txt -e '.[dev]' &&
         "$venv/bin/python" -m pip install -q --no-deps -r requirements-no-deps.txt; } >"$log" 2>&1; then
    tail -n 30 "$log"
    echo "livedub: installing Python packages failed (full log: $log)" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi

"$venv/bin/python" -m devstack fetch >/dev/null
