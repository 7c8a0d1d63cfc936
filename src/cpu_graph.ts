// Captured graphs on native-cpu: the addon calls a function makes are recorded once, for one input shape,
// and replayed by calling the same entries with the same options, with none of tfjs's per-op work in
// between (kernel lookup, shape checks, tensor bookkeeping, allocation of outputs). Where every recorded
// entry has a preparer (binding/prepared.h: convolutions, fused MBConv blocks, the fused head, pooling,
// reductions, matmuls), the addon prepares the calls once and a replay is one call to it
// (binding/graph_replay.cc).
//
//   const graph = captureCpuGraph((x) => model.predict(x), [1, 224, 224, 3]);
//   const logits = graph.run(input);
//
// Every buffer the recorded calls name is pinned (binding/registry.cc): it stays valid until the graph
// is disposed, even when its tensor is disposed. The intermediates are planned like a stack frame:
// those whose uses do not overlap share one block of memory (shareBuffer; a fused MBConv block's output
// may take the memory of an input that dies with it, see planMemory), and each is reset before its
// first use in every replay (zero-filled unless that op writes it entirely, and with any weights packed
// from it dropped), so every op sees what it saw when recorded: a new zero-filled output. The input is
// copied into the recorded input's buffer and the output copied out into a new tensor. As on the GPU,
// the function may not read tensor data while recorded.
import * as tf from '@tensorflow/tfjs-core';

import {type CallRecorder, NativeCpuBackend} from './backend.js';
import type {BufferId, NativeAddon} from './native.js';
import {type CaptureOptions, checkCaptureArgs, checkRunInput, type NativeGraph, resultOf, warmUp} from './native_graph.js';

/** The CPU addon's entries for graphs (binding/memory.cc). */
interface CpuGraphEntries {
  pin(id: BufferId): boolean;
  unpin(id: BufferId): void;
  copyBuffer(src: BufferId, dst: BufferId): void;
  shareBuffer(target: BufferId, source: BufferId, offset?: number): void;
  resetBuffers(zeroIds: BufferId[], keepIds?: BufferId[]): void;
  writtenWhole(ids: BufferId[]): boolean[];
  /** binding/mbconv.cc: whether a fused block with these options may write its output over x's memory. */
  mbconvMayOverwriteInput?(options: object): boolean;
  /** binding/graph_replay.cc: the calls prepared once and replayed natively; null when an entry cannot be. */
  compileGraph?(entries: string[], options: object[], zeroIds: BufferId[][], keepIds: BufferId[][]): number | null;
  /** binding/graph_replay.cc: input copied into graphInput, the compiled calls run, and a new buffer holding graphOutput's bytes. */
  runGraph?(id: number, input: BufferId, graphInput: BufferId, graphOutput: BufferId): BufferId;
  releaseGraph?(id: number): boolean;
}

type Entry = (options: object) => void;

/** A zero-filled buffer made while recording, and the calls that use it (first and last index). */
interface Intermediate {
  bytes: number;
  /** Index of the call made next when the buffer was made. */
  createdAt: number;
  first: number;
  last: number;
  freed: boolean;
}

/** What a replay resets before a call: buffers to zero-fill, and buffers the call writes entirely. */
interface Reset {
  zero: BufferId[];
  keep: BufferId[];
}

/** Records a capture: the calls in order, and pins every buffer they (or the function) touch. */
class Recording implements CallRecorder {
  readonly calls: {entry: string; fn: Entry; options: object}[] = [];
  readonly pinned: BufferId[] = [];
  readonly intermediates = new Map<BufferId, Intermediate>();
  /** Index of the last call that used each buffer. */
  readonly lastUse = new Map<BufferId, number>();
  /** Bytes of the buffers made with values while recording (constants). */
  constantBytes = 0;
  private readonly seen = new Set<BufferId>();
  private window: BufferId[] = [];

  constructor(private readonly addon: NativeAddon & CpuGraphEntries) {}

  created(id: BufferId, bytes: number, zeroed: boolean): void {
    if (zeroed) this.intermediates.set(id, {bytes, createdAt: this.calls.length, first: -1, last: -1, freed: false});
    else this.constantBytes += bytes;
    this.used(id);
  }

  used(id: BufferId): void {
    this.window.push(id);
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (this.addon.pin(id)) this.pinned.push(id);
  }

  called(entry: string, options: object): void {
    const index = this.calls.length;
    // run() has just called it, so it exists.
    this.calls.push({entry, fn: this.addon[entry] as Entry, options});
    // The buffers looked up since the previous call are this call's.
    for (const id of this.window) {
      this.lastUse.set(id, index);
      const b = this.intermediates.get(id);
      if (b == null) continue;
      if (b.first < 0) b.first = index;
      b.last = index;
    }
    this.window = [];
  }

  freed(id: BufferId): void {
    const b = this.intermediates.get(id);
    if (b != null) b.freed = true;
  }

  release(): void {
    for (const id of this.pinned) this.addon.unpin(id);
    this.pinned.length = 0;
  }
}

/**
 * The replay's memory: intermediates whose uses do not overlap share one block, and each is reset before
 * the call that first uses it: zero-filled, unless that call made it and writes it entirely (an op that
 * takes it as a whole output: binding's args.output()), and cleared of weights packed from it either way.
 * Only intermediates the function let go of are shared; the output and any tensor the function kept keep
 * their own buffer. Returns the resets before each call and the bytes the graph keeps.
 *
 * Placement: in order of first use, each at the lowest offset of the block that no intermediate alive at
 * the same time holds. A call's output then lands on memory an earlier call has just let go of (still in
 * cache), not on memory untouched since the previous replay. A fused MBConv block's output goes over its
 * input x instead where x dies with the block and the addon says the block can run so
 * (mbconvMayOverwriteInput): x's memory was just written and read. Beside x, B1's second block wrote its
 * 0.92 MB onto memory no call had touched since the previous replay; over x, B1's replay 9.41 -> 9.33 and 9.26
 * -> 9.19 ms (faster in 11 and 14 of 20 alternating rounds, Zen 5), B0 even, the pool 1.85 -> 0.93 MB. When
 * such a block reads the graph's input (EfficientNet's stem block), the input's buffer joins the block, at its
 * start and sized for the block's output too, so that the output follows the input the replay has just copied.
 */
function planMemory(
  recording: Recording,
  addon: NativeAddon & CpuGraphEntries,
  outputId: BufferId,
  input: {id: BufferId; bytes: number},
): {resets: Reset[]; bytes: number} {
  const resets: Reset[] = recording.calls.map(() => ({zero: [], keep: []}));
  const placed: {id: BufferId; bytes: number; offset: number; end: number; first: number; last: number}[] = [];
  let bytes = recording.constantBytes;
  let blockBytes = 0;
  const order = [...recording.intermediates].filter(([, b]) => b.first >= 0).sort((p, q) => p[1].first - q[1].first);
  const whole = order.length > 0 ? addon.writtenWhole(order.map(([id]) => id)) : [];
  const overwrites = blockOutputsOverInputs(recording, addon);
  const slotOf = (n: number) => Math.max(64, Math.ceil(n / 64) * 64);
  const inputLast = recording.lastUse.get(input.id);
  const overInput = [...overwrites].find(([out, o]) => o.x === input.id && o.call === inputLast && out !== outputId);
  const overInputOut = overInput != null ? recording.intermediates.get(overInput[0]) : undefined;
  const inputOverwritten = inputLast != null && input.id !== outputId && overInputOut != null && overInputOut.freed;
  // Only an input without padding (nothing resets the input's padding: each run copies the new input in).
  if (inputOverwritten && input.bytes % 64 === 0) {
    const end = Math.max(slotOf(input.bytes), slotOf(overInputOut.bytes));
    placed.push({id: input.id, bytes: input.bytes, offset: 0, end, first: -1, last: inputLast});
    blockBytes = end;
  }
  for (const [i, [id, b]] of order.entries()) {
    const kept = whole[i] && b.first === b.createdAt;
    if (kept) resets[b.first].keep.push(id);
    else resets[b.first].zero.push(id);
    if (id === outputId || !b.freed) {
      bytes += b.bytes;
      continue;
    }
    // Each intermediate's slot: its bytes and their padding, whole 64-byte lines (binding's views).
    const slot = slotOf(b.bytes);
    // Over the block's input: when the block makes this output (not zero-filled first), x dies with it, and
    // the output's padding (zeroed before the call) holds none of x's values.
    const over = overwrites.get(id);
    const x = over != null && over.call === b.first && kept ? placed.find((p) => p.id === over.x) : undefined;
    if (x != null && x.last === b.first && slot <= x.end - x.offset && (b.bytes % 64 === 0 || b.bytes >= x.bytes)) {
      placed.push({id, bytes: b.bytes, offset: x.offset, end: x.offset + slot, first: b.first, last: b.last});
      continue;
    }
    const busy = placed.filter((p) => p.first <= b.last && b.first <= p.last).sort((p, q) => p.offset - q.offset);
    let offset = 0;
    for (const p of busy) {
      if (offset + slot <= p.offset) break;
      offset = Math.max(offset, p.end);
    }
    placed.push({id, bytes: b.bytes, offset, end: offset + slot, first: b.first, last: b.last});
    blockBytes = Math.max(blockBytes, offset + slot);
  }
  if (placed.length > 0) {
    const block = addon.alloc(blockBytes);
    try {
      for (const p of placed) addon.shareBuffer(p.id, block, p.offset);
    } finally {
      addon.free(block);  // the views keep its memory
    }
  }
  return {resets, bytes: bytes + blockBytes};
}

/** The fused MBConv calls that may write their output over their input: output id -> the call and x's id. */
function blockOutputsOverInputs(
  recording: Recording,
  addon: NativeAddon & CpuGraphEntries,
): Map<BufferId, {call: number; x: BufferId}> {
  const overwrites = new Map<BufferId, {call: number; x: BufferId}>();
  if (typeof addon.mbconvMayOverwriteInput !== 'function') return overwrites;
  for (const [call, {entry, options}] of recording.calls.entries()) {
    const {x, out} = options as {x?: unknown; out?: unknown};
    if (entry !== 'mbconv' || typeof x !== 'number' || typeof out !== 'number') continue;
    if (addon.mbconvMayOverwriteInput(options)) overwrites.set(out, {call, x});
  }
  return overwrites;
}

function cpuBackend(): NativeCpuBackend & {addon: NativeAddon & CpuGraphEntries} {
  const backend = tf.backend();
  if (!(backend instanceof NativeCpuBackend) || backend.constructor !== NativeCpuBackend) {
    throw new Error(`captureCpuGraph: the active backend is '${tf.getBackend()}'; CPU graphs need the native-cpu ` +
      `backend (await tf.setBackend('native-cpu'); on native-cuda use captureCudaGraph)`);
  }
  if (typeof backend.addon.pin !== 'function' || typeof backend.addon.writtenWhole !== 'function') {
    throw new Error('captureCpuGraph: the native addon has no pin / writtenWhole entries (is the build out of date?)');
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
    if (warmup) warmUp('captureCpuGraph', forward, input);
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
      const inputBytes = 4 * shape.reduce((a, b) => a * b, 1);  // float32
      const plan = planMemory(recording, backend.addon, outputId, {id: inputId, bytes: inputBytes});
      return new CpuGraph(backend, recording, plan, inputId, outputId, shape, [...output.shape], output.dtype);
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

  private readonly resets: Reset[];
  /** The addon's compiled replay (binding/graph_replay.cc), or null: calls are replayed from here. */
  private compiled: number | null = null;

  constructor(
    private readonly backend: NativeCpuBackend & {addon: NativeAddon & CpuGraphEntries},
    recording: Recording,
    plan: {resets: Reset[]; bytes: number},
    private readonly inputId: BufferId,
    private readonly outputId: BufferId,
    readonly inputShape: readonly number[],
    readonly outputShape: readonly number[],
    readonly outputDtype: tf.DataType,
  ) {
    this.recording = recording;
    this.nodes = recording.calls.length;
    this.poolBytes = plan.bytes;
    this.resets = plan.resets;
    // Where every call's entry can be prepared (options read and buffers looked up once), a replay is
    // one addon call that runs them all.
    const addon = backend.addon;
    if (typeof addon.compileGraph === 'function' && typeof addon.runGraph === 'function') {
      const calls = recording.calls;
      this.compiled = addon.compileGraph(
        calls.map((c) => c.entry),
        calls.map((c) => c.options),
        plan.resets.map((r) => r.zero),
        plan.resets.map((r) => r.keep),
      );
    }
  }

  /** Whether replays run as one addon call (every recorded entry could be prepared). */
  get compiledReplay(): boolean {
    return this.compiled != null;
  }

  get disposed(): boolean {
    return this.recording == null;
  }

  run(x: tf.Tensor): tf.Tensor {
    const recording = this.recording;
    if (recording == null) throw new Error('NativeGraph.run: the graph was disposed');
    checkRunInput(x, this.inputShape, this.backend, 'native-cpu');
    if (this.backend.recording) {
      // Its calls bypass the backend, so the capture in progress would not see them.
      throw new Error('NativeGraph.run: a graph cannot run inside a function being captured; capture the function it replays instead');
    }
    const addon = this.backend.addon;
    const xBuffer = this.backend.bufferOf(x, 'NativeGraph.run');
    // The input is copied into the recorded input's buffer, not rebound to x's: the calls hold that buffer.
    if (this.compiled != null) {
      // One addon call: the input copied in, the replay, the output copied into a buffer the tensor takes over.
      const output = addon.runGraph!(this.compiled, xBuffer, this.inputId, this.outputId);
      return tf.engine().makeTensorFromTensorInfo(this.backend.adoptBuffer(output, [...this.outputShape], this.outputDtype), this.backend);
    }
    addon.copyBuffer(xBuffer, this.inputId);
    const calls = recording.calls;
    for (let i = 0; i < calls.length; i++) {
      const reset = this.resets[i];
      if (reset.zero.length > 0 || reset.keep.length > 0) addon.resetBuffers(reset.zero, reset.keep);
      calls[i].fn(calls[i].options);
    }
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
    if (this.compiled != null) this.backend.addon.releaseGraph!(this.compiled);
    this.compiled = null;
    this.recording.release();
    this.recording = null;
  }
}
