// 1,000 EfficientNet-B0 predictions on native-cuda leave the GPU bytes in use, the number of live
// device buffers and the engine's numDataIds where they started; a worker thread that ends without
// freeing its device buffers and CUDA graphs leaves none behind (binding/env_owner.h).
import {once} from 'node:events';
import {Worker} from 'node:worker_threads';

import {expect, it} from 'vitest';

import {buildEfficientNet, randomEfficientNetWeights} from '../../src/models/efficientnet.js';
import {efficientNetConfig} from '../../src/models/scaling.js';
import {randomFloats} from '../util/reference.js';
import {ensureDist} from '../util/dist.js';
import {leakyWorkerSource} from '../util/leaky_worker.js';
import {describeGpu, gpuMemory, tf} from './gpu_util.js';

describeGpu('native-cuda memory', () => {
  it('1,000 B0 predictions leak no device memory and no data ids', async () => {
    await tf.setBackend('native-cuda');
    const config = efficientNetConfig('b0');
    const weights = randomEfficientNetWeights(config, 1);
    const model = buildEfficientNet(config, weights);
    tf.dispose([...weights.values()]);
    const x = tf.tensor(randomFloats(224 * 224 * 3, 5), [1, 224, 224, 3]);
    // One warm-up prediction: kernels may cache packed weights on first use.
    tf.dispose(model.predict(x));
    const memBefore = gpuMemory();
    const idsBefore = tf.engine().backend.numDataIds();
    const tensorsBefore = tf.memory().numTensors;
    let first: Float32Array | undefined;
    for (let i = 0; i < 1000; i++) {
      const y = model.predict(x);
      if (i === 0 || i === 999) {
        const v = (await y.data()) as Float32Array;
        if (i === 0) first = v;
        else expect(Array.from(v)).toEqual(Array.from(first!));  // deterministic
      }
      y.dispose();
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(tf.engine().backend.numDataIds()).toBe(idsBefore);
    expect(gpuMemory()).toEqual(memBefore);
    x.dispose();
    model.dispose();
  });

  for (const ending of ['exits', 'is terminated'] as const) {
    it(`a worker on native-cuda that ${ending} with tensors and a CUDA graph leaves no device memory behind`, async () => {
      ensureDist();
      await tf.setBackend('native-cuda');
      const before = gpuMemory();
      const worker = new Worker(leakyWorkerSource('native-cuda'), {eval: true, workerData: {stay: ending === 'is terminated'}});
      // Listened for from the start: a worker that ends right after posting may emit 'exit' in the same
      // turn as its last message, before a listener attached after that message would be.
      const exited = once(worker, 'exit');
      const [seen] = (await once(worker, 'message')) as [{bytes: number; buffers: number}];
      expect(seen.buffers).toBeGreaterThan(before.buffers + 3);
      if (ending === 'is terminated') await worker.terminate();
      await exited;
      let now = gpuMemory();
      for (let i = 0; i < 250 && (now.bytes !== before.bytes || now.buffers !== before.buffers); i++) {
        await new Promise((r) => setTimeout(r, 20));
        now = gpuMemory();
      }
      expect(now).toEqual(before);
    });
  }
});
