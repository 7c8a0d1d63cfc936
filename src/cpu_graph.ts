// Captured graphs on native-cpu: the addon calls a function makes are recorded once, for one input shape,
// and replayed by calling the same entries with the same options, with none of tfjs's per-op work in
// between (kernel lookup, shape checks, tensor bookkeeping, allocation and zero fill of outputs).
//
//   const graph = captureCpuGraph((x) => model.predict(x), [1, 224, 224, 3]);
//   const logits = graph.run(input);
//
// Every buffer the recorded calls name is pinned (binding/registry.cc): it stays valid until the graph
// is disposed, even when its tensor is disposed. The intermediates are kept, one buffer each, and
// rewritten by every replay; the input is copied into the recorded input's buffer and the output
// copied out into a new tensor. As on the GPU, the function may not read tensor data while recorded.
import * as tf from '@tensorflow/tfjs-core';

import {type CallRecorder, NativeCpuBackend} from './backend.js';
import type {BufferId, NativeAddon} from './native.js';
import {type CaptureOptions, checkCaptureArgs, checkRunInput, type NativeGraph, resultOf} from './native_graph.js';

/** The CPU addon's entries for graphs (binding/memory.cc). */
interface CpuGraphEntries {
  pin(id: BufferId): boolean;
  unpin(id: BufferId): void;
  copyBuffer(src: BufferId, dst: BufferId): void;
  alloc(bytes: number): BufferId;
  free(id: BufferId): boolean;
}

type Entry = (options: object) => void;

/** Records a capture: the calls in order, and pins every buffer they (or the function) touch. */
class Recording implements CallRecorder {
  readonly calls: {fn: Entry; options: object}[] = [];
  readonly pinned: BufferId[] = [];
  /** Bytes of the buffers made while recording (the graph's intermediates, its output, constants). */
  createdBytes = 0;
  private readonly seen = new Set<BufferId>();

  constructor(private readonly addon: NativeAddon & CpuGraphEntries) {}

  created(id: BufferId, bytes: number): void {
    this.createdBytes += bytes;
    this.used(id);
  }

  used(id: BufferId): void {
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (this.addon.pin(id)) this.pinned.push(id);
  }

  called(entry: string, options: object): void {
    // run() has just called it, so it exists.
    this.calls.push({fn: this.addon[entry] as Entry, options});
  }

  release(): void {
    for (const id of this.pinned) this.addon.unpin(id);
    this.pinned.length = 0;
  }
}

function cpuBackend(): NativeCpuBackend & {addon: NativeAddon & CpuGraphEntries} {
  const backend = tf.backend();
  if (!(backend instanceof NativeCpuBackend) || backend.constructor !== NativeCpuBackend) {
    throw new Error(`captureCpuGraph: the active backend is '${tf.getBackend()}'; CPU graphs need the native-cpu ` +
      `backend (await tf.setBackend('native-cpu'); on native-cuda use captureCudaGraph)`);
  }
  if (typeof backend.addon.pin !== 'function' || typeof backend.addon.copyBuffer !== 'function') {
    throw new Error('captureCpuGraph: the native addon has no pin / copyBuffer entries (is the build out of date?)');
  }
  return backend as NativeCpuBackend & {addon: NativeAddon & CpuGraphEntries};
}

/**
 * Records the addon calls of `forward` on a float32 input of `inputShape` into a graph replayed by
 * run() (see the file header). Needs the native-cpu backend to be active.
 */
export function captureCpuGraph(
  forward: (x: tf.Tensor) => tf.Tensor,
  inputShape: readonly number[],
  options: CaptureOptions = {},
): NativeGraph {
  const {shape, warmup} = checkCaptureArgs('captureCpuGraph', forward, inputShape, options);
  const backend = cpuBackend();
  const input = tf.zeros(shape, 'float32');
  const recording = new Recording(backend.addon);
  try {
    if (warmup) {
      const result = tf.tidy(() => resultOf('captureCpuGraph', forward(input)));
      if (result !== input) result.dispose();
    }
    recording.used(backend.bufferOf(input, 'captureCpuGraph'));
    let output: tf.Tensor;
    backend.setRecorder(recording);
    try {
      output = tf.tidy(() => resultOf('captureCpuGraph', forward(input)));
    } catch (e) {
      throw new Error(`captureCpuGraph: the function failed while being recorded: ${(e as Error).message}`);
    } finally {
      backend.setRecorder(null);
    }
    try {
      const inputId = backend.bufferOf(input, 'captureCpuGraph');
      const outputId = backend.bufferOf(output, 'captureCpuGraph');
      recording.used(outputId);
      return new CpuGraph(backend, recording, inputId, outputId, shape, [...output.shape], output.dtype);
    } finally {
      if (output !== input) output.dispose();  // its buffer is pinned
    }
  } catch (e) {
    recording.release();
    throw e;
  } finally {
    input.dispose();  // its buffer is pinned
  }
}

class CpuGraph implements NativeGraph {
  private recording: Recording | null;
  readonly nodes: number;
  readonly poolBytes: number;

  constructor(
    private readonly backend: NativeCpuBackend & {addon: NativeAddon & CpuGraphEntries},
    recording: Recording,
    private readonly inputId: BufferId,
    private readonly outputId: BufferId,
    readonly inputShape: readonly number[],
    readonly outputShape: readonly number[],
    readonly outputDtype: tf.DataType,
  ) {
    this.recording = recording;
    this.nodes = recording.calls.length;
    this.poolBytes = recording.createdBytes;
  }

  get disposed(): boolean {
    return this.recording == null;
  }

  run(x: tf.Tensor): tf.Tensor {
    const recording = this.recording;
    if (recording == null) throw new Error('NativeGraph.run: the graph was disposed');
    checkRunInput(x, this.inputShape, this.backend, 'native-cpu');
    const addon = this.backend.addon;
    addon.copyBuffer(this.backend.bufferOf(x, 'NativeGraph.run'), this.inputId);
    for (const call of recording.calls) call.fn(call.options);
    const out = this.backend.makeOutput([...this.outputShape], this.outputDtype);
    try {
      addon.copyBuffer(this.outputId, this.backend.bufferOf(out, 'NativeGraph.run'));
    } catch (e) {
      this.backend.disposeData(out.dataId);
      throw e;
    }
    return tf.engine().makeTensorFromTensorInfo(out, this.backend);
  }

  dispose(): void {
    if (this.recording == null) return;
    this.recording.release();
    this.recording = null;
  }
}
