// 1,000 EfficientNet-B0 predictions on native-cuda leave the GPU bytes in use, the number of live
// device buffers and the engine's numDataIds where they started; a worker thread that ends without
// freeing its device buffers and CUDA graphs leaves none behind (binding/env_owner.h).
import {once} from 'node:events';
import * as path from 'node:path';
import {Worker} from 'node:worker_threads';

import {expect, it} from 'vitest';

import {buildEfficientNet, randomEfficientNetWeights} from '../../src/models/efficientnet.js';
import {efficientNetConfig} from '../../src/models/scaling.js';
import {randomFloats} from '../util/reference.js';
import {ensureDist, ROOT} from '../util/dist.js';
import {describeGpu, gpuMemory, tf} from './gpu_util.js';

// A worker on native-cuda: tensors, a conv and a captured CUDA graph, replayed once; then it ends (exits or
// waits to be terminated) freeing nothing, after reporting the device memory it holds.
const WORKER = `
const {parentPort, workerData} = require('node:worker_threads');
const lib = require(${JSON.stringify(path.join(ROOT, 'dist', 'cjs', 'index.js'))});
const tf = require('@tensorflow/tfjs-core');
(async () => {
  await tf.setBackend('native-cuda');
  const x = tf.randomNormal([1, 32, 32, 8], 0, 1, 'float32', 1);
  const filter = tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 2);
  const forward = (t) => tf.relu(tf.conv2d(t, filter, 1, 'same'));
  await forward(x).data();
  const graph = lib.captureGraph(forward, x.shape);
  await graph.run(x).data();
  const m = tf.backend().memory();
  parentPort.postMessage({bytes: m.numBytesInGPU, buffers: m.numNativeBuffers});
  if (workerData.stay) setInterval(() => {}, 1000);
})();
`;

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
      const worker = new Worker(WORKER, {eval: true, workerData: {stay: ending === 'is terminated'}});
      const [seen] = (await once(worker, 'message')) as [{bytes: number; buffers: number}];
      expect(seen.buffers).toBeGreaterThan(before.buffers + 3);
      if (ending === 'is terminated') await worker.terminate();
      else await once(worker, 'exit');
      let now = gpuMemory();
      for (let i = 0; i < 250 && (now.bytes !== before.bytes || now.buffers !== before.buffers); i++) {
        await new Promise((r) => setTimeout(r, 20));
        now = gpuMemory();
      }
      expect(now).toEqual(before);
    });
  }
});
