// A worker thread that uses the compiled package on a native backend and ends without freeing anything:
// the native-memory tests start it to check that what it made goes when it ends.
import * as path from 'node:path';

import {ROOT} from './dist.js';

/**
 * Source for `new Worker(source, {eval: true, workerData: {stay}})`: on `backend` it makes tensors, a
 * conv (packed weights on the CPU) and a captured graph, replays it, posts its backend's native memory
 * `{bytes, buffers}`, and then exits, or with `stay` waits to be terminated.
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
  const m = tf.backend().memory();
  parentPort.postMessage({bytes: m.numBytesInNative ?? m.numBytesInGPU, buffers: m.numNativeBuffers});
  if (workerData.stay) setInterval(() => {}, 1000);
})();
`;
}
