// CUDA graphs on native-cuda: the GPU work a function queues is captured once, for one input shape,
// and replayed with one addon call per run instead of one per op.
//
//   const graph = captureCudaGraph((x) => model.predictSync(x), [1, 224, 224, 3]);
//   const logits = graph.run(input);     // input: float32 [1, 224, 224, 3] on native-cuda
//   graph.dispose();
//
// What a captured function may do: queue GPU work through tfjs ops on native-cuda. It must not read
// tensor data (dataSync, data, arraySync, ...) or synchronise; it runs once eagerly first (warm-up),
// then once while being captured, and its JavaScript never runs again: a replay repeats exactly the
// GPU work of the capture (constants it created are uploaded again from copies the graph keeps).
// The graph holds the device memory of its intermediates, and keeps alive every tensor it reads
// (weights), so disposing the model first is safe; its memory returns when it is disposed.
import * as tf from '@tensorflow/tfjs-core';

import {NativeCudaBackend} from './backend_cuda.js';
import type {CudaGraphEntries} from './native_cuda.js';
import {type CaptureOptions, checkCaptureArgs, checkRunInput, type NativeGraph, resultOf, warmUp} from './native_graph.js';

/** A CUDA graph (see NativeGraph). */
export type CudaGraph = NativeGraph;
export type {CaptureOptions} from './native_graph.js';

function cudaBackend(): NativeCudaBackend {
  const backend = tf.backend();
  if (!(backend instanceof NativeCudaBackend)) {
    throw new Error(`captureCudaGraph: the active backend is '${tf.getBackend()}'; CUDA graphs need the native-cuda ` +
      `backend (await tf.setBackend('native-cuda'), or 'native' where it runs on the GPU)`);
  }
  return backend;
}

/**
 * Captures the GPU work of `forward` on a float32 input of `inputShape` into a CUDA graph (see the
 * file header for what the function may do). Needs the native-cuda backend to be active.
 */
export function captureCudaGraph(
  forward: (x: tf.Tensor) => tf.Tensor,
  inputShape: readonly number[],
  options: CaptureOptions = {},
): CudaGraph {
  const {shape, warmup} = checkCaptureArgs('captureCudaGraph', forward, inputShape, options);
  const backend = cudaBackend();
  const addon: CudaGraphEntries = backend.cuda;
  if (addon.capturing()) throw new Error('captureCudaGraph: a capture is already in progress');

  // The graph's input: a buffer made before the capture, which every run copies its input into.
  const input = tf.zeros(shape, 'float32');
  try {
    if (warmup) warmUp('captureCudaGraph', forward, input);
    addon.captureBegin();
    let output: tf.Tensor;
    try {
      output = tf.tidy(() => resultOf('captureCudaGraph', forward(input)));
    } catch (e) {
      addon.captureAbort();
      throw new Error(`captureCudaGraph: the function failed while being captured: ${(e as Error).message}`);
    }
    const outputShape = [...output.shape];
    const outputDtype = output.dtype;
    let info: {graph: number; nodes: number; poolBytes: number};
    try {
      info = addon.captureEnd(backend.bufferOf(input, 'captureCudaGraph'), backend.bufferOf(output, 'captureCudaGraph'));
    } finally {
      // The graph holds the output's buffer; the tensor is not needed.
      if (output !== input) output.dispose();
    }
    return new CapturedGraph(backend, addon, info, shape, outputShape, outputDtype);
  } finally {
    addon.captureAbort();  // a no-op unless something above threw mid-capture
    input.dispose();       // the graph holds its buffer
  }
}

class CapturedGraph implements NativeGraph {
  private id: number | null;
  readonly nodes: number;
  readonly poolBytes: number;

  constructor(
    private readonly backend: NativeCudaBackend,
    private readonly addon: CudaGraphEntries,
    info: {graph: number; nodes: number; poolBytes: number},
    readonly inputShape: readonly number[],
    readonly outputShape: readonly number[],
    readonly outputDtype: tf.DataType,
  ) {
    this.id = info.graph;
    this.nodes = info.nodes;
    this.poolBytes = info.poolBytes;
  }

  get disposed(): boolean {
    return this.id == null;
  }

  run(x: tf.Tensor): tf.Tensor {
    if (this.id == null) throw new Error('NativeGraph.run: the graph was disposed');
    checkRunInput(x, this.inputShape, this.backend, 'native-cuda');
    // One addon call: the result comes back in a new buffer.
    const out = this.addon.graphLaunch(this.id, this.backend.bufferOf(x, 'NativeGraph.run'));
    const info = this.backend.adoptBuffer(out, [...this.outputShape], this.outputDtype);
    return tf.engine().makeTensorFromTensorInfo(info, this.backend);
  }

  dispose(): void {
    if (this.id == null) return;
    this.addon.graphDispose(this.id);
    this.id = null;
  }
}
