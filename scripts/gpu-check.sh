#!/usr/bin/env bash
# GPU check of the native-cuda backend, run on the GPU machine from the project root:
#   1. correctness: npm run test:gpu's files one by one (device/storage, kernels vs tfjs-backend-cpu,
#      whole models vs native-cpu, 1,000-prediction memory check, tfjs-core's conformance suite, the
#      fused MBConv block, which the test switches on);
#   2. timing: EfficientNet-B0 batch 1 on native-cuda (median of warm runs), then npm run bench:gpu
#      --quick (B0 and ResNet-152; its gpu-<date>.{json,md} are written into $OUT);
#   3. a short table of what passed, last.
# Logs go to $OUT (or ./gpu-check-out). Before sending, on the build machine:
#   EFFNET_CUDA_ARCHITECTURES=... npx cmake-js compile --out build-cuda -p 2   (full list by default)
#   npm run build:ts                 (dist/: the bench runs compiled JavaScript)
#   ../shared/device/pack.sh
# and carry [".device", "build-cuda/Release", "dist"]. Command there:
#   bash scripts/gpu-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
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
# Limits add up to 575 s (one device command may run 10 minutes): run with timeout_s 590. The bench
# (60 s + 5 s to stop) took its 65 s from models (150 -> 130), memory (90 -> 60) and timing (45 -> 30).
declare -A LIMIT=([device]=45 [kernels]=100 [models]=130 [memory]=60 [conformance]=100 [mbconv]=45)
declare -A RESULT
for name in device kernels models memory conformance mbconv; do
  echo "== test/gpu/$name.test.ts"
  timeout "${LIMIT[$name]}" $VITEST "test/gpu/$name.test.ts" > "$OUT/$name.log" 2>&1
  rc=$?
  case $rc in 0) if grep -q "skipped: native-cuda unavailable" "$OUT/$name.log"; then RESULT[$name]="skipped (no usable GPU)"; else RESULT[$name]=pass; fi ;; 124) RESULT[$name]="timeout (${LIMIT[$name]} s)" ;; *) RESULT[$name]="FAIL (rc $rc)" ;; esac
  grep -E "✓|×|↓|Tests|FAIL|Error:" "$OUT/$name.log" | head -60
done

echo "== timing: EfficientNet-B0, batch 1 (test/gpu/timing.test.ts)"
timeout 30 $VITEST test/gpu/timing.test.ts > "$OUT/timing.log" 2>&1 && RESULT[timing]=done || RESULT[timing]="FAIL (see timing.log)"
grep -E "^\s*(timing|B0)" "$OUT/timing.log" | head -10
grep -h "B0 batch 1 on native-cuda: fused MBConv" "$OUT/mbconv.log" 2>/dev/null

echo "== bench: npm run bench:gpu -- --quick (dist/bench/gpu.js)"
if [ -f dist/bench/gpu.js ]; then
  # On SIGTERM the bench stops after the current iteration and writes what it measured.
  timeout -k 5 60 node dist/bench/gpu.js --quick --out "$OUT" > "$OUT/bench-gpu.log" 2>&1
  rc=$?
  case $rc in 0) RESULT[bench]=$(grep -o "^bench:gpu: [0-9]* of [0-9]* cells measured.*" "$OUT/bench-gpu.log" | head -1 | cut -c12-) ;;
    124|137) RESULT[bench]="timeout (60 s; partial results in $OUT)" ;;
    *) if grep -q "native-cuda is unavailable" "$OUT/bench-gpu.log"; then RESULT[bench]="skipped (no usable GPU)"; else RESULT[bench]="FAIL (rc $rc, see bench-gpu.log)"; fi ;; esac
  sed -n '/^## Targets/,/^Notes:/p' "$OUT/bench-gpu.log" | head -40
  tail -3 "$OUT/bench-gpu.log"
else
  RESULT[bench]="not built (npm run build:ts before sending)"
fi

echo
echo "== summary"
printf '%-14s %s\n' file result | tee "$OUT/summary.txt"
for name in device kernels models memory conformance mbconv timing bench; do printf '%-14s %s\n' "$name" "${RESULT[$name]}"; done | tee -a "$OUT/summary.txt"
