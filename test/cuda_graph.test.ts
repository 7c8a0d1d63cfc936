// captureCudaGraph's checks that need no GPU (the graph itself: test/gpu/graph.test.ts): argument
// errors, the backend check, and the CUDA addon's graph entries answering without a device.
import {createRequire} from 'node:module';
import {existsSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import {beforeAll, describe, expect, it} from 'vitest';

import {captureCudaGraph} from '../src/index.js';
import {tf} from './util/reference.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function cudaAddonPath(): string {
  if (process.env.EFFNET_NATIVE_CUDA_BINARY) return process.env.EFFNET_NATIVE_CUDA_BINARY;
  const cpu = process.env.EFFNET_NATIVE_BINARY;
  return join(cpu ? resolve(dirname(cpu), '..') : join(root, 'build'), 'Release', 'effnet_native_cuda.node');
}

describe('captureCudaGraph without native-cuda', () => {
  beforeAll(async () => {
    await tf.setBackend('native-cpu');
  });

  it('rejects bad arguments, naming what is accepted', () => {
    const f = (x: tf.Tensor) => x;
    expect(() => captureCudaGraph(3 as unknown as typeof f, [1])).toThrow(/expected a function, got number/);
    expect(() => captureCudaGraph(f, [])).toThrow(/non-empty array of positive integers, got \[\]/);
    expect(() => captureCudaGraph(f, [1, 0])).toThrow(/positive integers, got \[1,0\]/);
    expect(() => captureCudaGraph(f, [2.5])).toThrow(/positive integers/);
    expect(() => captureCudaGraph(f, '1' as unknown as number[])).toThrow(/positive integers/);
    expect(() => captureCudaGraph(f, [1], {warmup: 1 as unknown as boolean})).toThrow(/warmup must be a boolean/);
  });

  it('on another backend says that it needs native-cuda, and makes no tensors', () => {
    const before = tf.memory().numTensors;
    expect(() => captureCudaGraph((x) => tf.relu(x), [2, 3])).toThrow(/active backend is 'native-cpu'; CUDA graphs need the native-cuda/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

const addonPath = cudaAddonPath();
describe.skipIf(!existsSync(addonPath))('the CUDA addon\'s graph entries', () => {
  it('exist, and without a usable GPU answer with Errors (no capture starts)', () => {
    const cuda = createRequire(import.meta.url)(addonPath) as Record<string, (...args: unknown[]) => unknown> & {
      deviceInfo(): {usable: boolean};
    };
    for (const entry of ['captureBegin', 'captureEnd', 'captureAbort', 'capturing', 'graphLaunch', 'graphDispose', 'graphCount']) {
      expect(typeof cuda[entry], entry).toBe('function');
    }
    expect(cuda.capturing()).toBe(false);
    expect(cuda.captureAbort()).toBe(false);
    expect(cuda.graphCount()).toBe(0);
    expect(cuda.graphDispose(1)).toBe(false);
    expect(() => cuda.graphDispose('x')).toThrow(/expected a graph id/);
    expect(() => cuda.graphLaunch(7, 1)).toThrow(/no CUDA graph with id 7/);
    expect(() => cuda.graphLaunch(1.5, 1)).toThrow(/no CUDA graph with id 1.5/);
    expect(() => cuda.captureEnd(1, 2)).toThrow(/no CUDA buffer with id 1|no capture is in progress/);
    expect(cuda.capturing()).toBe(false);
    if (cuda.deviceInfo().usable) return;
    expect(() => cuda.captureBegin()).toThrow(/CUDA is not usable: /);
    expect(cuda.capturing()).toBe(false);
  });
});
