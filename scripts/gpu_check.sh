#!/usr/bin/env bash
# GPU readiness check, for a CUDA machine that has PyTorch but no network and lacks some of our
# dependencies. Usage, from the checkout:
#
#   bash scripts/gpu_check.sh [BUDGET_MINUTES]      # 0 (default): checks and throughput only
#
# Wheels: any *.whl in $WHEELS (default: ../wheels beside the checkout, else ./wheels) is installed
# offline into .venv-gpu, a virtual environment that sees the machine's own torch. Prepare that folder
# on a machine with network, for the GPU machine's Python (see docs/performance.md, "GPU check"):
#   pip download -d wheels --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 \
#       zarr numcodecs platformdirs wfdb openpyxl safetensors tabulate filelock tqdm pytest pytest-timeout \
#       setuptools wheel
# Steps: the CUDA-marked tests (CUDA vs CPU embeddings in fp32 and bf16, AMP pretraining steps, a
# torchrun NCCL run), then embedding segments/s and training samples/s of the full ahms-ppg and
# ahms-ecg at batch 256, then (BUDGET_MINUTES > 0) pretraining of both full models for that long each,
# with their weights and logs under gpu-check/.
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-0}"
python="${PYTHON:-python3}"
wheels="${WHEELS:-}"
if [ -z "$wheels" ]; then
  for candidate in ../wheels wheels; do [ -d "$candidate" ] && wheels="$candidate" && break; done
fi
"$python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null || {
  echo "error: no CUDA GPU visible to $python (torch.cuda.is_available() is False); run this on a GPU machine" >&2
  exit 2
}
venv=.venv-gpu
[ -x "$venv/bin/python" ] || "$python" -m venv --system-site-packages "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
if [ -n "$wheels" ] && compgen -G "$wheels/*.whl" >/dev/null; then
  echo "installing the wheels in $wheels (offline)"
  "${pip[@]}" install --no-index --find-links "$wheels" "$wheels"/*.whl
fi
"${pip[@]}" install --no-index --no-deps --no-build-isolation -e . \
  || { echo "error: could not install the harness offline; add setuptools and wheel to $wheels" >&2; exit 2; }
mkdir -p gpu-check
export HARNESS_HOME="${HARNESS_HOME:-$PWD/gpu-check/harness-home}" PYTHONUNBUFFERED=1
"$venv/bin/python" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'device', torch.cuda.get_device_name(0), 'GPUs', torch.cuda.device_count())"
echo "== CUDA-marked tests"
"$venv/bin/python" -m pytest -q -m cuda tests/gpu -p no:cacheprovider
echo "== throughput and pretraining (budget ${budget} min per model)"
"$venv/bin/python" scripts/gpu_check.py --budget-minutes "$budget" --out gpu-check
