#!/usr/bin/env bash
# GPU check of the native-cuda backend, run on the GPU machine from the project root:
#   1. correctness: npm run test:gpu's files one by one (device/storage, kernels vs tfjs-backend-cpu,
#      whole models vs native-cpu, CUDA graphs, 1,000-prediction memory check, tfjs-core's conformance
#      suite, asynchronous reads, the fused MBConv block, the fused head, precision modes);
#   2. timing: EfficientNet-B0 batch 1 on native-cuda (median of warm runs), then npm run bench:gpu
#      --quick (its gpu-<date>.{json,md} are written into $OUT);
#   3. a short table of what passed, last.
# Everything runs against one deadline (GPU_CHECK_SECONDS, default 570: one device command may run 10
# minutes; run it with timeout_s 590). Steps run in the order below, each with a cap of its own; a step
# that no longer fits in what is left is reported "not run (deadline)", so a second call with
#   ONLY="name name ..." bash scripts/gpu-check.sh
# runs just those. Logs go to $OUT (or ./gpu-check-out). Before sending, on the build machine:
#   npx cmake-js compile --out build-cuda -p 2
#     (every architecture, as the package ships it: with CUDA 13 the fat binary is compressed, so the CUDA addon
#     is ~3.5 MB and the carry ~51 MB of its 64 MiB: .device 37 MB + build-cuda/Release 6.4 MB + dist 2 MB + the
#     tracked tree 6 MB. EFFNET_CUDA_ARCHITECTURES=90 builds sm_90 alone, quicker, for a kernel under work)
#   npm run build:ts                 (dist/: the bench runs compiled JavaScript)
#   ../shared/device/pack.sh
# and carry [".device", "build-cuda/Release", "dist"]. Command there:
#   bash scripts/gpu-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
START=$SECONDS
DEADLINE=${GPU_CHECK_SECONDS:-570}
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
BUILD=${EFFNET_BUILD_DIR:-build-cuda}
export EFFNET_NATIVE_BINARY=${EFFNET_NATIVE_BINARY:-$PWD/$BUILD/Release/effnet_native.node}
export EFFNET_NATIVE_CUDA_BINARY=${EFFNET_NATIVE_CUDA_BINARY:-$PWD/$BUILD/Release/effnet_native_cuda.node}
[ -f .device/env.sh ] && source .device/env.sh
export NO_COLOR=1 FORCE_COLOR=0

{
  echo "== machine"; date -u; nvidia-smi 2>&1 | head -20
  echo "== addons"; ls -l "$EFFNET_NATIVE_BINARY" "$EFFNET_NATIVE_CUDA_BINARY"
  command -v cuobjdump >/dev/null && cuobjdump --list-elf --list-ptx "$EFFNET_NATIVE_CUDA_BINARY" | sort | uniq -c | head -20
  node -e "const a=require(process.env.EFFNET_NATIVE_CUDA_BINARY); console.log(JSON.stringify(a.deviceInfo(), null, 1))"
} 2>&1 | tee "$OUT/device.log"

VITEST="node node_modules/vitest/vitest.mjs run --config vitest.gpu.config.ts --reporter=verbose"
# Steps in order of what they settle, with caps in seconds (each step's real time on a 16-core host is
# expected well below its cap).
STEPS=(device kernels models graph memory conformance read mbconv head precision timing bench)
declare -A CAP=([device]=45 [kernels]=100 [models]=130 [graph]=60 [memory]=60 [conformance]=100 [read]=30
  [mbconv]=45 [head]=40 [precision]=60 [timing]=30 [bench]=65)
declare -A RESULT
ONLY=${ONLY:-}

left() { echo $((DEADLINE - (SECONDS - START))); }

run_test() {  # name limit
  local name=$1 limit=$2
  if [ ! -f "test/gpu/$name.test.ts" ]; then RESULT[$name]="no test/gpu/$name.test.ts"; return; fi
  echo "== test/gpu/$name.test.ts (limit $limit s)"
  timeout "$limit" $VITEST "test/gpu/$name.test.ts" > "$OUT/$name.log" 2>&1
  local rc=$?
  case $rc in
    0) if grep -q "skipped: native-cuda unavailable" "$OUT/$name.log"; then RESULT[$name]="skipped (no usable GPU)"; else RESULT[$name]=pass; fi ;;
    124) RESULT[$name]="timeout ($limit s)" ;;
    *) RESULT[$name]="FAIL (rc $rc)" ;;
  esac
  grep -E "✓|×|↓|Tests|FAIL|Error:|^graph |^precision |^head " "$OUT/$name.log" | head -60
}

run_bench() {  # limit
  local limit=$1
  echo "== bench: npm run bench:gpu -- --quick (dist/bench/gpu.js, limit $limit s)"
  if [ ! -f dist/bench/gpu.js ]; then RESULT[bench]="not built (npm run build:ts before sending)"; return; fi
  # On SIGTERM the bench stops after the current iteration and writes what it measured.
  timeout -k 5 $((limit - 5)) node dist/bench/gpu.js --quick --out "$OUT" > "$OUT/bench-gpu.log" 2>&1
  local rc=$?
  case $rc in
    0) RESULT[bench]=$(grep -o "^bench:gpu: [0-9]* of [0-9]* cells measured.*" "$OUT/bench-gpu.log" | head -1 | cut -c12-) ;;
    124|137) RESULT[bench]="timeout ($limit s; partial results in $OUT)" ;;
    *) if grep -q "native-cuda is unavailable" "$OUT/bench-gpu.log"; then RESULT[bench]="skipped (no usable GPU)"; else RESULT[bench]="FAIL (rc $rc, see bench-gpu.log)"; fi ;;
  esac
  sed -n '/^## Targets/,/^Notes:/p' "$OUT/bench-gpu.log" | head -40
  tail -3 "$OUT/bench-gpu.log"
}

for name in "${STEPS[@]}"; do
  if [ -n "$ONLY" ] && [[ " $ONLY " != *" $name "* ]]; then RESULT[$name]="not asked (ONLY)"; continue; fi
  remaining=$(left)
  limit=${CAP[$name]}
  if [ "$remaining" -lt 20 ]; then RESULT[$name]="not run (deadline)"; continue; fi
  [ "$limit" -gt "$remaining" ] && limit=$remaining
  if [ "$name" = bench ]; then run_bench "$limit"; else run_test "$name" "$limit"; fi
  [ "$name" = timing ] && grep -hE "^\s*(timing|B0)" "$OUT/timing.log" | head -10 && grep -h "B0 batch 1 on native-cuda: fused MBConv" "$OUT/mbconv.log" 2>/dev/null
done

echo
echo "== summary ($((SECONDS - START)) s)"
printf '%-14s %s\n' step result | tee "$OUT/summary.txt"
for name in "${STEPS[@]}"; do printf '%-14s %s\n' "$name" "${RESULT[$name]:-missing}"; done | tee -a "$OUT/summary.txt"
