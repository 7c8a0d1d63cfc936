// A worker thread that uses the compiled package on a native backend and ends without freeing anything:
// the native-memory tests start it to check that what it made goes when it ends.
import * as path from 'node:path';

import {ROOT} from './dist.js';

/**
 * Source for `new Worker(source, {eval: true, workerData: {stay}})`: on `backend` it makes tensors, a
 * conv (packed weights on the CPU) and a captured graph, replays it, on native-cpu runs a fused MBConv block
 * eagerly (a prepared block), posts its backend's native memory `{bytes, buffers, blocks}` (blocks: the
 * process's prepared blocks, 0 on native-cuda), and then exits, or with `stay` waits to be terminated.
 */
export function leakyWorkerSource(backend: 'native-cpu' | 'native-cuda'): string {
  return `
const {parentPort, workerData} = require('node:worker_threads');
const lib = require(${JSON.stringify(path.join(ROOT, 'dist', 'cjs', 'index.js'))});
const tf = require('@tensorflow/tfjs-core');
(async () => {
  await tf.setBackend(${JSON.stringify(backend)});
  const x = tf.randomNormal([1, 32, 32, 8], 0, 1, 'float32', 1);
  const filter = tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 2);
  const forward = (t) => tf.relu(tf.conv2d(t, filter, 1, 'same'));
  await forward(x).data();
  const graph = lib.captureGraph(forward, x.shape);
  await graph.run(x).data();
  if (${JSON.stringify(backend)} === 'native-cpu') {
    // A fused MBConv block run eagerly: a block the addon prepares, holding its weights.
    const w = (shape, seed) => tf.randomNormal(shape, 0, 0.2, 'float32', seed);
    const weights = {
      expandKernel: w([1, 1, 8, 16], 3), expandBias: w([16], 4), depthwiseKernel: w([3, 3, 16, 1], 5),
      depthwiseBias: w([16], 6), seReduceKernel: w([1, 1, 16, 2], 7), seReduceBias: w([2], 8),
      seExpandKernel: w([1, 1, 2, 16], 9), seExpandBias: w([16], 10), projectKernel: w([1, 1, 16, 8], 11),
      projectBias: w([8], 12),
    };
    await lib.mbconv(x, weights, {kernelSize: 3, stride: 1, padding: 'same'}).data();
  }
  const m = tf.backend().memory();
  const addon = tf.backend().addon;
  const blocks = typeof addon.mbconvBlockCount === 'function' ? addon.mbconvBlockCount() : 0;
  parentPort.postMessage({bytes: m.numBytesInNative ?? m.numBytesInGPU, buffers: m.numNativeBuffers, blocks});
  if (workerData.stay) setInterval(() => {}, 1000);
})();
`;
}
