// What the two graph captures share (src/cuda_graph.ts on native-cuda, src/cpu_graph.ts on native-cpu):
// the captured graph's interface, the capture options, and the checks of their arguments.
import * as tf from '@tensorflow/tfjs-core';

/** A captured function: one input shape, one output. */
export interface NativeGraph {
  /** The shape every run's input must have (float32). */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly outputDtype: tf.DataType;
  /** Steps of a replay: graph nodes (kernels, copies, memory sets) on the GPU, addon calls on the CPU. */
  readonly nodes: number;
  /** Bytes of memory the graph owns for its intermediates and output. */
  readonly poolBytes: number;
  /**
   * Replays the graph on `x` and returns a new tensor with the function's result for `x`. On the GPU the
   * work is queued like any op's (the call returns before the GPU is done); on the CPU it runs at once.
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

/** Checks a capture's arguments; `api` names the function in errors. Returns the shape and warm-up flag. */
export function checkCaptureArgs(
  api: string,
  forward: unknown,
  inputShape: readonly number[],
  options: CaptureOptions,
): {shape: number[]; warmup: boolean} {
  if (typeof forward !== 'function') throw new Error(`${api}: expected a function, got ${typeof forward}`);
  if (!Array.isArray(inputShape) || inputShape.length === 0 ||
      !inputShape.every((d) => Number.isInteger(d) && d >= 1 && d <= 2 ** 31 - 1)) {
    throw new Error(`${api}: inputShape must be a non-empty array of positive integers, got ${JSON.stringify(inputShape)}`);
  }
  const warmup = options.warmup ?? true;
  if (typeof warmup !== 'boolean') throw new Error(`${api}: options.warmup must be a boolean, got ${String(warmup)}`);
  return {shape: [...inputShape], warmup};
}

/** The function's result, checked to be one tensor. */
export function resultOf(api: string, value: unknown): tf.Tensor {
  if (!(value instanceof tf.Tensor)) {
    throw new Error(`${api}: the function must return one tensor, got ${value === null ? 'null' : typeof value}`);
  }
  return value;
}

/**
 * Runs `forward` on `input` once, eagerly, and frees its result (the warm-up before a capture), unless the
 * result is the input itself.
 */
export function warmUp(api: string, forward: (x: tf.Tensor) => tf.Tensor, input: tf.Tensor): void {
  const result = tf.tidy(() => resultOf(api, forward(input)));
  if (result !== input) result.dispose();
}

/** Checks a run's input against the captured shape and the backend the graph runs on. */
export function checkRunInput(value: unknown, inputShape: readonly number[], backend: tf.KernelBackend, backendName: string): tf.Tensor {
  if (!(value instanceof tf.Tensor)) throw new Error(`NativeGraph.run: expected a tensor, got ${typeof value}`);
  const x: tf.Tensor = value;
  if (x.dtype !== 'float32') throw new Error(`NativeGraph.run: the input must be float32, got ${x.dtype}`);
  if (x.shape.length !== inputShape.length || x.shape.some((d, i) => d !== inputShape[i])) {
    throw new Error(`NativeGraph.run: the input has shape [${x.shape}]; the graph was captured for [${inputShape}]`);
  }
  if (tf.backend() !== backend) {
    throw new Error(`NativeGraph.run: the active backend is '${tf.getBackend()}'; the graph runs on ${backendName}`);
  }
  return x;
}
