// native-cuda's GEMM precision modes (setCudaPrecision): 'fp32' (SIMT, float32) and the tensor-core
// modes 'tf32', 'fp16', 'bf16' (inputs rounded as they are staged, float32 accumulation), for 1x1 and
// 3x3 convolutions, batched matmuls and whole EfficientNet-B0s. Measured errors are printed (the GPU
// run's log records them) and bounded.
//
// Bounds. Let u be the format's unit roundoff: 2^-11 for tf32 and fp16 (10 stored mantissa bits),
// 2^-8 for bf16 (7 bits). Rounding both inputs of a product changes it by at most (2u + u^2) |a||b|,
// so every output element obeys |gpu - cpu| <= L * (2.01 u + 2.2 K 2^-24) * sum_k |a_k||b_k| (+ a
// float32 slack), L = 1.1 bounding the slope of relu and swish, the K term the two float32 sums'
// own error: a rigorous per-element bound, checked on every element. The summary number, max |gpu -
// cpu| / max |cpu|, is what users see: with random signs, rounding errors add up like the sum itself,
// as a random walk over K terms, so it stays near u whatever K (a host replay of the kernel,
// scripts/check_gemm_tensor_core.cu, measured <= 0.62 u for tf32/fp16 and <= 0.68 u for bf16 with K
// up to 1000 and inputs in [-1, 1]). The bound allows 10 u (4.9e-3 tf32/fp16, 3.9e-2 bf16) against
// u sqrt(K) = 31 u for a worst-case walk at K = 1000; a wrong index (a missed K slice, a shifted
// tile) gives errors of order 1. fp32 must stay within 1e-4 of native-cpu.
import {afterEach, expect, it} from 'vitest';

import {
  type CudaPrecision, getCudaPrecision, getWinograd, setCudaMBConvFusion, setCudaPrecision, setWinograd,
} from '../../src/index.js';
import {buildEfficientNet, randomEfficientNetWeights} from '../../src/models/efficientnet.js';
import {efficientNetConfig} from '../../src/models/scaling.js';
import {randomFloats} from '../util/reference.js';
import {describeGpu, tf} from './gpu_util.js';

const GPU = 'native-cuda';
const MODES: readonly CudaPrecision[] = ['fp32', 'tf32', 'fp16', 'bf16'];
const UNIT_ROUNDOFF: Record<CudaPrecision, number> = {fp32: 0, tf32: 2 ** -11, fp16: 2 ** -11, bf16: 2 ** -8};
/** Bound on max |gpu - cpu| / max |cpu| (see above). */
const SUMMARY_BOUND: Record<CudaPrecision, number> = {fp32: 1e-4, tf32: 10 * 2 ** -11, fp16: 10 * 2 ** -11, bf16: 10 * 2 ** -8};

type Act = 'relu' | 'swish';

/** A GEMM-shaped op: `run(abs)` builds it (inputs made by `inputs`), `abs` taking |inputs|, no bias, linear. */
interface GemmCase {
  label: string;
  k: number;
  run: (abs: boolean) => tf.Tensor;
}

const f = (shape: number[], seed: number, abs: boolean) => {
  const t = tf.tensor(randomFloats(shape.reduce((a, b) => a * b, 1), seed, -1, 1), shape, 'float32');
  return abs ? tf.abs(t) : t;
};

function convCase(label: string, x: number[], filter: number[], stride: number, pad: 'same' | 'valid', act: Act, seed: number): GemmCase {
  return {
    label: `${label}: x [${x}], filter [${filter}], stride ${stride}, ${pad}, bias + ${act}`,
    k: filter[0] * filter[1] * filter[2],
    run: (abs) => tf.fused.conv2d({
      x: f(x, seed, abs) as tf.Tensor4D,
      filter: f(filter, seed + 1, abs) as tf.Tensor4D,
      strides: stride,
      pad,
      bias: abs ? undefined : f([filter[3]], seed + 2, false),
      activation: (abs ? 'linear' : act) as 'linear',
    }),
  };
}

function matMulCase(label: string, a: number[], b: number[], transposeB: boolean, act: Act, seed: number): GemmCase {
  const n = transposeB ? b[b.length - 2] : b[b.length - 1];
  return {
    label: `${label}: a [${a}], b [${b}]${transposeB ? ' (transposed)' : ''}, bias + ${act}`,
    k: a[a.length - 1],
    run: (abs) => tf.fused.matMul({
      a: f(a, seed, abs) as tf.Tensor3D,
      b: f(b, seed + 1, abs) as tf.Tensor3D,
      transposeB,
      bias: abs ? undefined : f([n], seed + 2, false),
      activation: (abs ? 'linear' : act) as 'linear',
    }),
  };
}

// Odd sizes everywhere: M, N and K not multiples of 16, partial tiles in every direction, batch > 1.
const CASES: GemmCase[] = [
  convCase('1x1 conv', [2, 13, 11, 45], [1, 1, 45, 37], 1, 'same', 'relu', 10),
  convCase('1x1 conv, K = 997', [2, 9, 7, 997], [1, 1, 997, 67], 1, 'valid', 'swish', 20),
  convCase('1x1 conv, stride 2', [3, 15, 17, 83], [1, 1, 83, 29], 2, 'same', 'relu', 30),
  convCase('3x3 conv', [2, 12, 10, 29], [3, 3, 29, 35], 1, 'same', 'swish', 40),
  matMulCase('batched matmul', [3, 50, 333], [3, 333, 77], false, 'relu', 50),
  matMulCase('batched matmul, K = 1001', [2, 33, 1001], [2, 71, 1001], true, 'swish', 60),
];

async function values(backend: string, fn: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const y = tf.tidy(fn);
  const v = (await y.data()) as Float32Array;
  y.dispose();
  expect(tf.memory().numTensors, `tensors leaked on ${backend}`).toBe(before);
  return v;
}

function maxAbs(v: Float32Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

describeGpu('native-cuda GEMM precision modes', () => {
  afterEach(() => {
    setCudaPrecision('fp32');
    setCudaMBConvFusion(false);
  });

  it('defaults to fp32', () => {
    expect(getCudaPrecision()).toBe('fp32');
  });

  it('1x1 / 3x3 convolutions and batched matmuls in every mode vs native-cpu: per-element bound and summary error', async () => {
    const rows: string[] = [];
    // native-cpu's reference as a direct GEMM (Winograd's transforms would add their own error to the 3x3 case).
    const winograd = getWinograd();
    setWinograd('off');
    try {
      for (const c of CASES) {
        setCudaPrecision('fp32');
        const expected = await values('native-cpu', () => c.run(false));
        const absSum = await values('native-cpu', () => c.run(true));  // sum_k |a||b| per output element
        const scale = maxAbs(expected);
        for (const mode of MODES) {
          setCudaPrecision(mode);
          const actual = await values(GPU, () => c.run(false));
          expect(actual.length, c.label).toBe(expected.length);
          const perTerm = 1.1 * (2.01 * UNIT_ROUNDOFF[mode] + 2.2 * c.k * 2 ** -24);
          let worst = 0;
          let worstOfBound = 0;
          for (let i = 0; i < expected.length; i++) {
            expect(Number.isFinite(actual[i]), `${c.label} [${mode}]: element ${i} is ${actual[i]}`).toBe(true);
            const err = Math.abs(actual[i] - expected[i]);
            worst = Math.max(worst, err);
            const bound = perTerm * absSum[i] + 1e-6 * (1 + Math.abs(expected[i]));
            worstOfBound = Math.max(worstOfBound, err / bound);
            if (err > bound) {
              expect.fail(`${c.label} [${mode}]: element ${i}: ${actual[i]} vs ${expected[i]}, error ${err} above ${bound}`);
            }
          }
          const rel = worst / scale;
          rows.push(`${mode.padEnd(4)} ${rel.toExponential(2)} (${(rel / Math.max(UNIT_ROUNDOFF[mode], 2 ** -24)).toFixed(2)} u), ` +
            `${(100 * worstOfBound).toFixed(0)}% of the per-element bound  ${c.label}`);
          expect(rel, `${c.label} [${mode}]: max |gpu - cpu| / max |cpu|`).toBeLessThanOrEqual(SUMMARY_BOUND[mode]);
        }
      }
    } finally {
      setWinograd(winograd);
    }
    console.log(`precision: max |native-cuda - native-cpu| / max |native-cpu| per mode and case\n${rows.join('\n')}`);
  });

  it('the setting is read when an op is queued: switching modes between ops changes only later ones', async () => {
    const c = CASES[1];
    setCudaPrecision('bf16');
    const bf16 = await values(GPU, () => c.run(false));
    setCudaPrecision('fp32');
    const fp32 = await values(GPU, () => c.run(false));
    const again = await values(GPU, () => c.run(false));
    expect(again).toEqual(fp32);  // fp32 is deterministic run to run
    let differs = 0;
    for (let i = 0; i < fp32.length; i++) if (fp32[i] !== bf16[i]) differs++;
    expect(differs, 'bf16 and fp32 results are identical: the mode had no effect').toBeGreaterThan(fp32.length / 2);
  });

  it('EfficientNet-B0, 8 random images, in every mode vs fp32 (composed blocks and the fused MBConv kernel)', async () => {
    const config = efficientNetConfig('b0');
    const r = config.resolution;
    const batch = 8;
    await tf.setBackend(GPU);
    const before = tf.memory().numTensors;
    const weights = randomEfficientNetWeights(config, 1);
    const model = buildEfficientNet(config, weights);
    tf.dispose([...weights.values()]);
    const x = tf.tensor(randomFloats(batch * r * r * 3, 123, -1, 1), [batch, r, r, 3]);
    const logits = async (): Promise<Float32Array> => {
      const y = model.predict(x);
      const v = (await y.data()) as Float32Array;
      y.dispose();
      return v;
    };
    const classes = (await logits()).length / batch;
    const top1 = (v: Float32Array, image: number): {index: number; margin: number} => {
      let best = -Infinity;
      let second = -Infinity;
      let index = -1;
      for (let j = 0; j < classes; j++) {
        const value = v[image * classes + j];
        if (value > best) {
          second = best;
          best = value;
          index = j;
        } else if (value > second) {
          second = value;
        }
      }
      return {index, margin: best - second};
    };
    // Top-1 agreement asserted per mode (of 8 images): tf32 and fp16 round like each other (errors of
    // about 1e-3 of the logits' scale expected), bf16 eight times coarser. With seeded random weights
    // B0's logits hardly depend on the image (on native-cpu: scale 0.26, the same top-1 class for all
    // 8 images with margins of about 3% of the scale, images differing by at most 1.6e-3 from the
    // batch's mean logits), so agreement checks that each mode's error stays below those margins; the
    // error is also printed against that image-to-image spread.
    const minAgree: Record<CudaPrecision, number> = {fp32: 8, tf32: 8, fp16: 8, bf16: 7};
    const rows: string[] = [];
    try {
      for (const fused of [false, true]) {
        setCudaMBConvFusion(fused);
        setCudaPrecision('fp32');
        const reference = await logits();
        const scale = maxAbs(reference);
        let spread = 0;  // largest distance of a logit from its class's mean over the batch
        for (let j = 0; j < classes; j++) {
          let mean = 0;
          for (let i = 0; i < batch; i++) mean += reference[i * classes + j] / batch;
          for (let i = 0; i < batch; i++) spread = Math.max(spread, Math.abs(reference[i * classes + j] - mean));
        }
        const margins = Array.from({length: batch}, (_, i) => top1(reference, i).margin / scale);
        rows.push(`${fused ? 'fused' : 'composed'} MBConv blocks: fp32 logits scale ${scale.toPrecision(4)}, ` +
          `image-to-image spread ${spread.toPrecision(3)}, top-1 margins / scale ` +
          margins.map((m) => m.toExponential(1)).join(' '));
        for (const mode of MODES) {
          setCudaPrecision(mode);
          const v = await logits();
          let worst = 0;
          for (let i = 0; i < v.length; i++) {
            expect(Number.isFinite(v[i]), `B0 [${mode}]: logit ${i} is ${v[i]}`).toBe(true);
            worst = Math.max(worst, Math.abs(v[i] - reference[i]));
          }
          let agree = 0;
          for (let i = 0; i < batch; i++) if (top1(v, i).index === top1(reference, i).index) agree++;
          const rel = worst / scale;
          rows.push(`  ${mode.padEnd(4)} max |logit - fp32| / max |fp32| = ${rel.toExponential(2)} ` +
            `(${(worst / spread).toExponential(2)} of the spread), top-1 agreement ${agree}/${batch}`);
          if (mode === 'fp32') {
            expect(rel, 'fp32 run against fp32 run').toBeLessThanOrEqual(1e-4);
          } else {
            // Through 16 blocks and a head the per-GEMM error of about u grows; 0.1 is a bound on a
            // model that is still the same model, far above the few u expected.
            expect(rel, `B0 [${mode}] relative logit error`).toBeLessThan(mode === 'bf16' ? 0.1 : 0.02);
          }
          expect(agree, `B0 [${mode}] top-1 agreement with fp32 (${rows.at(-1)})`).toBeGreaterThanOrEqual(minAgree[mode]);
        }
      }
    } finally {
      console.log(`precision: EfficientNet-B0 at ${r}x${r}, batch ${batch}, seeded random weights\n${rows.join('\n')}`);
      x.dispose();
      model.dispose();
    }
    expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
  });
});
