// captureGraph: a captured graph of a function on whichever native backend is active (a CUDA graph on
// native-cuda, recorded addon calls on native-cpu).
import * as tf from '@tensorflow/tfjs-core';

import {NativeCpuBackend} from './backend.js';
import {NativeCudaBackend} from './backend_cuda.js';
import {captureCpuGraph} from './cpu_graph.js';
import {captureCudaGraph} from './cuda_graph.js';
import type {CaptureOptions, NativeGraph} from './native_graph.js';

/**
 * Captures `forward` on a float32 input of `inputShape`: captureCudaGraph on native-cuda (or `native`
 * where that is the GPU), captureCpuGraph on native-cpu. Replay with graph.run(x); dispose() when done.
 */
export function captureGraph(
  forward: (x: tf.Tensor) => tf.Tensor,
  inputShape: readonly number[],
  options: CaptureOptions = {},
): NativeGraph {
  const backend = tf.backend();
  if (backend instanceof NativeCudaBackend) return captureCudaGraph(forward, inputShape, options);
  if (backend instanceof NativeCpuBackend) return captureCpuGraph(forward, inputShape, options);
  throw new Error(`captureGraph: the active backend is '${tf.getBackend()}'; graphs need native-cpu or native-cuda ` +
    `(or 'native')`);
}
