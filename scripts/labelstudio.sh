#!/usr/bin/env bash
# Label Studio for review and for the tests: its own virtualenv (its pins clash with ours), a local
# SQLite data folder, started on loopback with a known user and API token.
#   scripts/labelstudio.sh install            # once: creates $LS_VENV (default .venv-labelstudio)
#   scripts/labelstudio.sh start [PORT]       # starts in the background, waits for /health, prints the URL
#   scripts/labelstudio.sh stop
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
LS_VENV="${LS_VENV:-$ROOT/.venv-labelstudio}"
LS_DATA="${LS_DATA:-$ROOT/outputs/.labelstudio}"
PORT="${2:-${LS_PORT:-8089}}"
export LABEL_STUDIO_USERNAME="${LABEL_STUDIO_USERNAME:-reviewer@medbench.local}"
export LABEL_STUDIO_PASSWORD="${LABEL_STUDIO_PASSWORD:-medbench-review-2026}"
export LABEL_STUDIO_USER_TOKEN="${LABEL_STUDIO_USER_TOKEN:-0123456789abcdef0123456789abcdef01234567}"
case "${1:-}" in
  install)
    if [ ! -x "$LS_VENV/bin/label-studio" ]; then
      python3 -m venv "$LS_VENV"
      "$LS_VENV/bin/pip" install -q --upgrade pip >/dev/null
      "$LS_VENV/bin/pip" install -q "label-studio>=1.20,<2"
    fi
    ;;
  start)
    mkdir -p "$LS_DATA"
    export LABEL_STUDIO_BASE_DATA_DIR="$LS_DATA" LATEST_VERSION_CHECK=false COLLECT_ANALYTICS=false
    unset USERNAME PASSWORD || true
    nohup "$LS_VENV/bin/label-studio" start --no-browser --internal-host 127.0.0.1 --port "$PORT" \
      --enable-legacy-api-token > "$LS_DATA/server.log" 2>&1 &
    echo $! > "$LS_DATA/server.pid"
    PRINT_URL="http://127.0.0.1:$PORT" wait_for_url "http://127.0.0.1:$PORT/health" 120 "$LS_DATA/server.log" "Label Studio"
    ;;
  stop)
    [ -f "$LS_DATA/server.pid" ] && kill "$(cat "$LS_DATA/server.pid")" 2>/dev/null || true
    ;;
  *) echo "usage: $0 install|start [PORT]|stop" >&2; exit 2 ;;
esac
