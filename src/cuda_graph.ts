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

/** A captured function: one input shape, one output. */
export interface CudaGraph {
  /** The shape every run's input must have (float32). */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly outputDtype: tf.DataType;
  /** Nodes of the graph (kernels, copies, memory sets). */
  readonly nodes: number;
  /** Bytes of device memory the graph owns for its intermediates and output. */
  readonly poolBytes: number;
  /**
   * Replays the graph on `x` and returns a new tensor with the function's result for `x`. Queued on the
   * GPU like any op: the call returns before the GPU is done.
   */
  run(x: tf.Tensor): tf.Tensor;
  /** Frees the graph and its memory. Safe to call twice. */
  dispose(): void;
  readonly disposed: boolean;
}

export interface CaptureOptions {
  /**
   * Run the function once eagerly before capturing (default true), so kernels that prepare state on
   * first use (packed weights, caches) do so outside the graph, and errors surface with their usual
   * messages.
   */
  warmup?: boolean;
}

function checkShape(inputShape: readonly number[]): number[] {
  if (!Array.isArray(inputShape) || inputShape.length === 0 ||
      !inputShape.every((d) => Number.isInteger(d) && d >= 1 && d <= 2 ** 31 - 1)) {
    throw new Error(`captureCudaGraph: inputShape must be a non-empty array of positive integers, got ${JSON.stringify(inputShape)}`);
  }
  return [...inputShape];
}

function cudaBackend(): NativeCudaBackend {
  const backend = tf.backend();
  if (!(backend instanceof NativeCudaBackend)) {
    throw new Error(`captureCudaGraph: the active backend is '${tf.getBackend()}'; CUDA graphs need the native-cuda ` +
      `backend (await tf.setBackend('native-cuda'), or 'native' where it runs on the GPU)`);
  }
  return backend;
}

function resultOf(value: unknown): tf.Tensor {
  if (!(value instanceof tf.Tensor)) {
    throw new Error(`captureCudaGraph: the function must return one tensor, got ${value === null ? 'null' : typeof value}`);
  }
  return value;
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
  if (typeof forward !== 'function') throw new Error(`captureCudaGraph: expected a function, got ${typeof forward}`);
  const shape = checkShape(inputShape);
  const warmup = options.warmup ?? true;
  if (typeof warmup !== 'boolean') throw new Error(`captureCudaGraph: options.warmup must be a boolean, got ${String(warmup)}`);
  const backend = cudaBackend();
  const addon: CudaGraphEntries = backend.cuda;
  if (addon.capturing()) throw new Error('captureCudaGraph: a capture is already in progress');

  // The graph's input: a buffer made before the capture, which every run copies its input into.
  const input = tf.zeros(shape, 'float32');
  try {
    if (warmup) tf.dispose(tf.tidy(() => resultOf(forward(input))));
    addon.captureBegin();
    let output: tf.Tensor;
    try {
      output = tf.tidy(() => resultOf(forward(input)));
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
      output.dispose();
    }
    return new CapturedGraph(backend, addon, info, shape, outputShape, outputDtype);
  } finally {
    addon.captureAbort();  // a no-op unless something above threw mid-capture
    input.dispose();       // the graph holds its buffer
  }
}

class CapturedGraph implements CudaGraph {
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
    if (this.id == null) throw new Error('CudaGraph.run: the graph was disposed');
    if (!(x instanceof tf.Tensor)) throw new Error(`CudaGraph.run: expected a tensor, got ${typeof x}`);
    if (x.dtype !== 'float32') throw new Error(`CudaGraph.run: the input must be float32, got ${x.dtype}`);
    if (x.shape.length !== this.inputShape.length || x.shape.some((d, i) => d !== this.inputShape[i])) {
      throw new Error(`CudaGraph.run: the input has shape [${x.shape}]; the graph was captured for [${this.inputShape}]`);
    }
    if (tf.backend() !== this.backend) {
      throw new Error(`CudaGraph.run: the active backend is '${tf.getBackend()}'; the graph runs on native-cuda`);
    }
    // One addon call: the result comes back in a new buffer.
    const out = this.addon.graphLaunch(this.id, this.backend.bufferOf(x, 'CudaGraph.run'));
    const info = this.backend.adoptBuffer(out, [...this.outputShape], this.outputDtype);
    return tf.engine().makeTensorFromTensorInfo(info, this.backend);
  }

  dispose(): void {
    if (this.id == null) return;
    this.addon.graphDispose(this.id);
    this.id = null;
  }
}
