// Native memory of worker threads: buffers and captured graphs live in process-wide tables, so a worker
// that ends without freeing what it made (it exits, or is terminated) must not leave them there. The end
// of its environment frees them (binding/env_owner.h); the main thread's own buffers stay.
import {once} from 'node:events';
import {Worker} from 'node:worker_threads';

import * as tf from '@tensorflow/tfjs-core';
import {beforeAll, describe, expect, it} from 'vitest';

import {loadEfficientNet} from '../src/index.js';
import {ensureDist} from './util/dist.js';
import {leakyWorkerSource} from './util/leaky_worker.js';

interface NativeMemory {
  bytes: number;
  buffers: number;
  /** Fused MBConv blocks prepared for eager calls (binding/mbconv_blocks.cc), every environment's. */
  blocks: number;
}

function nativeMemory(): NativeMemory {
  const backend = tf.findBackend('native-cpu')!;
  const m = backend.memory() as unknown as {numBytesInNative: number; numNativeBuffers: number};
  const addon = (backend as unknown as {addon: {mbconvBlockCount(): number}}).addon;
  return {bytes: m.numBytesInNative, buffers: m.numNativeBuffers, blocks: addon.mbconvBlockCount()};
}

/** Waits (up to `ms`) for the process-wide native memory to equal `want`; returns what it was last. */
async function settle(want: NativeMemory, ms = 5000): Promise<NativeMemory> {
  const end = Date.now() + ms;
  let now = nativeMemory();
  while ((now.bytes !== want.bytes || now.buffers !== want.buffers || now.blocks !== want.blocks) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    now = nativeMemory();
  }
  return now;
}

beforeAll(async () => {
  ensureDist();
  await tf.setBackend('native-cpu');
});

describe('worker threads and native memory', () => {
  for (const ending of ['exits', 'is terminated'] as const) {
    it(`a worker that ${ending} with tensors, packed weights, a graph and a prepared block leaves no native memory behind`, async () => {
      const own = tf.ones([1000]);  // the main thread's: must survive
      const before = nativeMemory();
      const worker = new Worker(leakyWorkerSource('native-cpu'), {eval: true, workerData: {stay: ending === 'is terminated'}});
      // Listened for from the start: a worker that ends right after posting may emit 'exit' in the same
      // turn as its last message, before a listener attached after that message would be.
      const exited = once(worker, 'exit');
      const [seen] = (await once(worker, 'message')) as [NativeMemory];
      expect(seen.buffers).toBeGreaterThan(before.buffers + 3);
      expect(seen.blocks).toBe(before.blocks + 1);  // counted by the worker, before it ends
      expect(seen.bytes).toBeGreaterThan(before.bytes + 32 * 32 * 8 * 4);
      if (ending === 'is terminated') await worker.terminate();
      await exited;
      expect(await settle(before)).toEqual(before);
      expect(Array.from(own.dataSync().slice(0, 2))).toEqual([1, 1]);
      own.dispose();
    });
  }

  it('a classifier disposed after asynchronous calls frees its worker\'s copy of the weights too', async () => {
    const before = nativeMemory();
    const model = await loadEfficientNet('b0', {weights: 'random', seed: 4, backend: 'native-cpu'});
    const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 6);
    for (let i = 0; i < 3; i++) (await model.predict(x)).dispose();  // the worker captures a graph too
    x.dispose();
    const loaded = nativeMemory();
    model.dispose();
    // The main thread's weights go at once, the worker's when its thread has ended.
    expect(nativeMemory().bytes).toBeLessThan(loaded.bytes);
    expect(await settle(before)).toEqual(before);
  });
});
