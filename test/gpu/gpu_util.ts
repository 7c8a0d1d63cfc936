// Shared pieces of the native-cuda tests: whether this machine can run them (one clear message when
// not), and comparisons against tfjs-backend-cpu and native-cpu (also of a whole B0's logits).
import {describe, expect} from 'vitest';

import {cudaStatus} from '../../src/index.js';
import {buildEfficientNet, randomEfficientNetWeights} from '../../src/models/efficientnet.js';
import {efficientNetConfig} from '../../src/models/scaling.js';
import {evalOn, expectClose, tf} from '../util/reference.js';

export {tf};

const status = cudaStatus();

/** '' on a machine where native-cuda is registered; else why these tests skip. */
export const GPU_SKIP_REASON = status.available ? '' : `native-cuda unavailable: ${status.reason}`;

/** describe() that skips the whole file, with the reason in its title, when there is no usable GPU. */
export function describeGpu(title: string, body: () => void): void {
  if (GPU_SKIP_REASON) {
    console.log(`[test/gpu] ${title}: skipped: ${GPU_SKIP_REASON}`);
    describe.skip(`${title} (skipped: ${GPU_SKIP_REASON})`, body);
  } else {
    describe(`${title} on ${status.device?.name} (sm_${status.device?.major}${status.device?.minor})`, body);
  }
}

/** Runs `fn` on tfjs-backend-cpu and on native-cuda and compares every output. */
export async function compareCudaWithCpu(
  fn: () => tf.Tensor | tf.Tensor[],
  {rtol = 1e-5, atol = 1e-5, label = ''}: {rtol?: number; atol?: number; label?: string} = {},
): Promise<void> {
  const expected = await evalOn('cpu', fn);
  const actual = await evalOn('native-cuda', fn);
  expectClose(actual, expected, rtol, atol, `${label} [native-cuda vs cpu]`);
}

/** Bytes the CUDA addon holds for live buffers, and how many buffers. */
export function gpuMemory(): {bytes: number; buffers: number} {
  const m = tf.findBackend('native-cuda')!.memory() as unknown as {numBytesInGPU: number; numNativeBuffers: number};
  return {bytes: m.numBytesInGPU, buffers: m.numNativeBuffers};
}

/**
 * B0's logits (seeded random weights, built on `backend`) for the 224x224 image `image` on `backend`,
 * and the names of the kernels that ran.
 */
export async function b0Logits(backend: string, image: Float32Array): Promise<{values: Float32Array; kernels: string[]}> {
  await tf.setBackend(backend);
  const config = efficientNetConfig('b0');
  const weights = randomEfficientNetWeights(config, 1);
  const model = buildEfficientNet(config, weights);
  tf.dispose([...weights.values()]);
  const x = tf.tensor4d(image, [1, 224, 224, 3]);
  let values: Float32Array = new Float32Array(0);
  const profile = await tf.profile(async () => {
    const y = model.predict(x);
    values = (await y.data()) as Float32Array;
    y.dispose();
  });
  model.dispose();
  x.dispose();
  return {values, kernels: profile.kernels.map((k) => k.name)};
}

/**
 * Every logit finite and within `tolerance` of the reference, relative to its size or to 1% of the
 * largest reference logit, whichever is larger.
 */
export function expectLogitsClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    expect(Number.isFinite(actual[i]), `logit ${i}`).toBe(true);
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), scale * 1e-2));
  }
  expect(scale).toBeGreaterThan(0);
  expect(worst).toBeLessThanOrEqual(tolerance);
}
