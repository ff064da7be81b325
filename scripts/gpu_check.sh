#!/usr/bin/env bash
# GPU readiness check, for a CUDA machine that has PyTorch but no network and lacks some of our
# dependencies. Usage, from the checkout:
#
#   bash scripts/gpu_check.sh [BUDGET_MINUTES]      # 0 (default): checks and throughput only
#
# Settings (environment): PYTHON (default python3: the interpreter that has the machine's CUDA torch),
# WHEELS (folder of *.whl; default ../wheels beside the checkout, else ./wheels), GPU_CHECK_OUT
# (report, weights and logs; default gpu-check/), GPU_CHECK_WORK (stores and checkpoints; default
# GPU_CHECK_OUT/work), GPU_CHECK_DEVICE=cpu with GPU_CHECK_QUICK=1 to rehearse on a machine without a GPU.
#
# Packages: every wheel in WHEELS, and then the harness itself (no dependencies, no build isolation:
# the machine's setuptools builds it), are installed with `pip --target` into .gpu-site/, which goes
# first on PYTHONPATH. Nothing else is touched: the interpreter keeps its own torch, numpy, pandas...
# (a virtual environment made from an interpreter that is itself a venv would not see them). Prepare
# the folder on a machine with network, for the GPU machine's Python version and platform; name every
# package the GPU machine lacks, dependencies included, since --no-deps installs exactly these
# (docs/performance.md, "GPU check", lists them for a machine with PyTorch, pandas, scipy,
# scikit-learn, xarray and pluggy):
#   pip download -d wheels --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#       zarr numcodecs donfig google-crc32c platformdirs wfdb soundfile cffi pycparser openpyxl et_xmlfile pyedflib
#
# Steps, each reported and none stopping the others (exit 1 at the end if any failed): the CUDA-marked
# tests (CUDA vs CPU embeddings in fp32 and bf16, AMP pretraining steps, a torchrun NCCL run), the
# README's first command with --device cuda, then embedding segments/s and training samples/s of the full ahms-ppg and ahms-ecg at batch 256, then
# (BUDGET_MINUTES > 0) pretraining of both full models for that long each, with their weights,
# sidecars and losses under GPU_CHECK_OUT (scripts/gpu_check.py says what each figure is).
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-0}"
python="${PYTHON:-python3}"
device="${GPU_CHECK_DEVICE:-cuda}"
out="${GPU_CHECK_OUT:-gpu-check}"
work="${GPU_CHECK_WORK:-$out/work}"
quick=()
[ "${GPU_CHECK_QUICK:-0}" = 1 ] && quick=(--quick)
wheels="${WHEELS:-}"
if [ -z "$wheels" ]; then
  for candidate in ../wheels wheels; do [ -d "$candidate" ] && wheels="$candidate" && break; done
fi
if [ "$device" = cuda ]; then
  "$python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null || {
    echo "error: no CUDA GPU visible to $python (torch.cuda.is_available() is False); run this on a GPU machine" >&2
    exit 2
  }
fi
site="$PWD/.gpu-site"
pip=("$python" -m pip --disable-pip-version-check -q install --no-index --no-deps --no-compile --upgrade
     --target "$site")
if [ -n "$wheels" ] && compgen -G "$wheels/*.whl" >/dev/null; then
  echo "installing the wheels in $wheels (offline, into $site)"
  "${pip[@]}" "$wheels"/*.whl
fi
"${pip[@]}" --no-build-isolation . >/dev/null \
  || { echo "error: could not install the harness offline; add setuptools and wheel to $wheels" >&2; exit 2; }
export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export HARNESS_HOME="${HARNESS_HOME:-$PWD/$work/harness-home}"
mkdir -p "$out" "$work"
"$python" -c "import harness, zarr, torch; print('harness', harness.__version__, 'zarr', zarr.__version__, \
'torch', torch.__version__, 'cuda', torch.version.cuda, 'GPU', \
torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, 'GPUs', torch.cuda.device_count())"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm \
  --format=csv,noheader || true

# The pretraining stores build on the CPU while the GPU tests run.
"$python" scripts/gpu_check.py --stores-only --out "$out" --work "$work" "${quick[@]}" > "$work/stores.log" 2>&1 &
stores=$!
failed=()
echo "== CUDA-marked tests"
"$python" -m pytest -q -m cuda tests/gpu -p no:cacheprovider || failed+=("CUDA-marked tests")
echo "== the README's first command on $device: harness run --encoder ahms-ppg --task age"
start=$(date +%s)
"$python" -m harness run --encoder ahms-ppg --task age --device "$device" --output "$work/run" --quiet \
  || failed+=("harness run on $device")
echo "harness run: $(( $(date +%s) - start )) s (synthetic-ppg store build included)"
wait "$stores" || { cat "$work/stores.log"; failed+=("store build"); }
echo "== throughput and pretraining (budget ${budget} min per model)"
"$python" scripts/gpu_check.py --budget-minutes "$budget" --out "$out" --work "$work" --device "$device" \
  "${quick[@]}" || failed+=("throughput and pretraining")
if [ ${#failed[@]} -gt 0 ]; then
  printf 'gpu check FAILED: %s\n' "$(IFS=,; echo "${failed[*]}")"
  exit 1
fi
echo "gpu check passed"
