#!/usr/bin/env bash
# Set up everything llmdrill needs on a fresh machine: a virtualenv with the
# project and its test tools, and the servers its tests start (redis-server) and
# the tools they run (wrk, promtool).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
# The interpreter: $PYTHON if set; else the distribution's own python3 when it is >= 3.11 and can make a
# venv (Debian's is a static, optimised build: the twin runs ~1.2-1.5x faster on it than on a shared build
# without PGO, pyenv's default), else python3 on PATH.
pick_python() {
  local cand
  for cand in /usr/bin/python3 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
      echo "$cand"; return
    fi
  done
  echo python3
}
PY=${PYTHON:-$(pick_python)}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PY" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
  "$PY" -m venv .venv
fi
# The marker holds pyproject.toml's hash: a changed dependency or package list reinstalls.
stamp=$(sha256sum pyproject.toml | cut -c1-16)
if [ "$(.venv/bin/python -c "import llmdrill_installed as m; print(m.STAMP)" 2>/dev/null)" != "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  echo "STAMP = '$stamp'" > "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/llmdrill_installed.py"
fi
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
# promtool checks and unit-tests the exported Prometheus rules (Debian's prometheus ships it)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# the game day's web dashboard is tested in a real browser: Debian's headless chromium
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    # no recommends: prometheus would bring a node exporter service along
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: please install ${need[*]} (Debian: sudo apt-get install ${need[*]})" >&2
  fi
fi
