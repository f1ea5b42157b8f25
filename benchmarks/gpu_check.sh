#!/usr/bin/env bash
# One-GPU check of the paper-size study: CUDA tests, one training epoch of
# config/paper.yaml's model on Multi30k, landscape points/s, whole-study estimate.
#   benchmarks/gpu_check.sh [MULTI30K_DIR] [POINTS_PER_PASS]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-resources/multi30k}"
k="${2:-8}"
if ! python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu_check: no CUDA device visible to torch; nothing to check" >&2
    exit 1
fi
python -m pytest tests/test_translation.py -q -p no:cacheprovider -k cuda
python benchmarks/gpu_check.py --device cuda --multi30k "$data" --points-per-pass "$k"
