// The `native-cpu` tfjs backend: tensors live in native (64-byte aligned) buffers owned by the
// addon; JavaScript keeps only their ids. Kernels (src/kernels/) call one addon entry each.
import {
  backend_util,
  BackendTimingInfo,
  DataId,
  DataStorage,
  DataType,
  engine,
  KernelBackend,
  TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

import {BufferId, callOp, NativeAddon, NativeInfo} from './native.js';

interface TensorData {
  /** Native buffer holding the values (numeric dtypes). */
  buffer: BufferId | null;
  /** Encoded strings (the 'string' dtype stays in JavaScript). */
  strings: Uint8Array[] | null;
  dtype: DataType;
  refCount: number;
}

/** Element types the native engine stores. */
export const NATIVE_DTYPES: readonly DataType[] = ['float32', 'int32', 'bool'];

function bytesPerElement(dtype: DataType): number {
  return dtype === 'bool' ? 1 : 4;
}

function typedArrayOf(dtype: DataType, buffer: ArrayBuffer): Float32Array | Int32Array | Uint8Array {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'bool':
      return new Uint8Array(buffer);
    default:
      throw new Error(`native-cpu: no typed array for dtype '${dtype}'`);
  }
}

/** Converts whatever tfjs hands to write()/move() into the typed array the dtype stores. */
function toNativeArray(values: backend_util.BackendValues, dtype: DataType): Float32Array | Int32Array | Uint8Array {
  switch (dtype) {
    case 'float32':
      return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
    case 'int32':
      return values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
    case 'bool':
      return values instanceof Uint8Array ? values : Uint8Array.from(values as ArrayLike<number>, (v) => (v ? 1 : 0));
    default:
      throw unsupportedDtype('write', dtype);
  }
}

function unsupportedDtype(where: string, dtype: DataType): Error {
  return new Error(`native-cpu: ${where}: dtype '${dtype}' is not supported; supported: float32, int32, bool, string`);
}

/**
 * What a CPU graph capture (src/cpu_graph.ts) is told while it records: every buffer made, every buffer
 * an op is given, every addon call. Reading tensor data while recording throws.
 */
export interface CallRecorder {
  /** A buffer was made: zero-filled for an op to write (`zeroed`), or holding given values. */
  created(id: BufferId, bytes: number, zeroed: boolean): void;
  used(id: BufferId): void;
  called(entry: string, options: object): void;
  freed(id: BufferId): void;
}

export class NativeCpuBackend extends KernelBackend {
  readonly addon: NativeAddon;
  private readonly data: DataStorage<TensorData>;
  private nextDataId = 0;
  private recorder: CallRecorder | null = null;

  constructor(addon: NativeAddon) {
    super();
    this.addon = addon;
    this.data = new DataStorage(this, engine());
  }

  // ---- storage -----------------------------------------------------------------------------

  override write(values: backend_util.BackendValues | null, shape: number[], dtype: DataType): DataId {
    const dataId = {id: this.nextDataId++};
    this.data.set(dataId, this.store(values, shape, dtype, 1));
    return dataId;
  }

  override move(dataId: DataId, values: backend_util.BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    this.data.set(dataId, this.store(values, shape, dtype, refCount));
  }

  private store(values: backend_util.BackendValues | null, shape: number[], dtype: DataType, refCount: number): TensorData {
    if (dtype === 'string') {
      const strings = (values as Uint8Array[] | null) ?? new Array<Uint8Array>(util.sizeFromShape(shape)).fill(new Uint8Array(0));
      return {buffer: null, strings, dtype, refCount};
    }
    if (!NATIVE_DTYPES.includes(dtype)) throw unsupportedDtype('write', dtype);
    const size = util.sizeFromShape(shape);
    const buffer =
      values == null ? this.addon.alloc(size * bytesPerElement(dtype)) : this.addon.create(toNativeArray(values, dtype));
    this.recorder?.created(buffer, size * bytesPerElement(dtype), values == null);
    return {buffer, strings: null, dtype, refCount};
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId)!.refCount : 0;
  }

  override incRef(dataId: DataId): void {
    this.data.get(dataId)!.refCount++;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override disposeData(dataId: DataId, force = false): boolean {
    // has() first: get() would ask the engine to move unknown data here, which for data the engine
    // believes is ours recurses without end.
    if (!this.data.has(dataId)) return true;
    const entry = this.data.get(dataId)!;
    entry.refCount--;
    if (!force && entry.refCount > 0) return false;
    if (entry.buffer != null) {
      this.addon.free(entry.buffer);
      this.recorder?.freed(entry.buffer);
    }
    this.data.delete(dataId);
    return true;
  }

  override async read(dataId: DataId): Promise<backend_util.BackendValues> {
    return this.readSync(dataId);
  }

  override readSync(dataId: DataId): backend_util.BackendValues {
    if (this.recorder != null) {
      throw new Error('captureGraph: reading tensor data is not possible while a graph is being recorded (a captured ' +
        'function may only run ops; read results after the capture, from the graph\'s output)');
    }
    const entry = this.entry(dataId);
    if (entry.strings != null) return entry.strings;
    return typedArrayOf(entry.dtype, this.addon.read(entry.buffer!));
  }

  override memory(): {unreliable: boolean; reasons?: string[]} & {numBytesInNative: number; numNativeBuffers: number} {
    const info = this.addon.info();
    return {unreliable: false, numBytesInNative: info.bytesInUse, numNativeBuffers: info.buffers};
  }

  override async time(f: () => void): Promise<BackendTimingInfo> {
    const start = util.now();
    f();
    return {kernelMs: util.now() - start};
  }

  override floatPrecision(): 16 | 32 {
    return 32;
  }

  override dispose(): void {
    // Buffers are freed as tensors are disposed; the engine disposes every tensor it tracks first.
  }

  // ---- helpers for kernels -----------------------------------------------------------------

  protected entry(dataId: DataId): TensorData {
    const entry = this.data.get(dataId);
    if (entry == null) throw new Error('native-cpu: tensor data not found (was the tensor disposed?)');
    return entry;
  }

  /** The native buffer id of a numeric tensor; `kernel` names the caller in errors. */
  bufferOf(t: TensorInfo, kernel: string): BufferId {
    const entry = this.entry(t.dataId);
    if (entry.buffer == null) throw unsupportedDtype(kernel, t.dtype);
    this.recorder?.used(entry.buffer);
    return entry.buffer;
  }

  /** A new tensor of `shape` and `dtype` backed by a zero-filled native buffer. */
  makeOutput(shape: number[], dtype: DataType): TensorInfo {
    return {dataId: this.write(null, shape, dtype), shape, dtype};
  }

  /** A tensor backed by `buffer`, a buffer an addon entry has just made; the tensor takes it over. */
  adoptBuffer(buffer: BufferId, shape: number[], dtype: DataType): TensorInfo {
    if (!NATIVE_DTYPES.includes(dtype)) throw unsupportedDtype('adoptBuffer', dtype);
    const dataId = {id: this.nextDataId++};
    this.data.set(dataId, {buffer, strings: null, dtype, refCount: 1});
    return {dataId, shape, dtype};
  }

  /** A tensor holding `values` (used by kernels whose result is computed in JavaScript). */
  makeTensorInfo(shape: number[], dtype: DataType, values?: backend_util.BackendValues | string[]): TensorInfo {
    if (dtype === 'string' && values != null && values.length > 0 && typeof values[0] === 'string') {
      const encoded = (values as string[]).map((s) => util.encodeString(s));
      return {dataId: this.write(encoded, shape, dtype), shape, dtype};
    }
    return {dataId: this.write((values as backend_util.BackendValues) ?? null, shape, dtype), shape, dtype};
  }

  /** Runs an op entry of the addon with one options object. */
  run(entry: string, options: object): void {
    callOp(this.addon, entry, options);
    this.recorder?.called(entry, options);
  }

  /** Whether a CPU graph capture is recording this backend's calls. */
  get recording(): boolean {
    return this.recorder != null;
  }

  /** Starts (a recorder) or stops (null) recording for a CPU graph capture (src/cpu_graph.ts). */
  setRecorder(recorder: CallRecorder | null): void {
    if (recorder != null && this.recorder != null) throw new Error('captureGraph: a capture is already in progress');
    this.recorder = recorder;
  }

  /** Disposes an intermediate tensor made inside a kernel. */
  disposeIntermediateTensorInfo(t: TensorInfo): void {
    this.disposeData(t.dataId);
  }

  info(): NativeInfo {
    return this.addon.info();
  }
}
