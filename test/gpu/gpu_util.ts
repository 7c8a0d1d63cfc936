// Shared pieces of the native-cuda tests: whether this machine can run them (one clear message when
// not), and comparisons against tfjs-backend-cpu and native-cpu.
import {describe} from 'vitest';

import {cudaStatus} from '../../src/index.js';
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
