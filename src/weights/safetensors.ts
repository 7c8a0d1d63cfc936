// Safetensors reader and writer (https://github.com/huggingface/safetensors, format 1):
//   8 bytes   little-endian unsigned 64-bit N, the header length
//   N bytes   UTF-8 JSON: {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//             "__metadata__"?: {"<key>": "<string>"}}; offsets are relative to the end of the header
//   rest      raw little-endian tensor data, row-major
// Every field is validated; a truncated or corrupt file gives an Error that names the file and the
// problem, never a crash or an out-of-range read.
import * as fs from 'node:fs';

/** Dtypes this reader understands, as spelled in safetensors headers. */
export const SAFETENSORS_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL'] as const;
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

const ITEM_SIZE: Record<SafetensorsDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** Largest header accepted (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** A tensor read from a safetensors file, converted to a dtype tfjs has. */
export interface NamedArray {
  /** float32 for F64/F32/F16/BF16, int32 for the integer types, bool for BOOL. */
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  /** Row-major values; a fresh, aligned copy that owns its memory. bool values are 0 or 1. */
  data: Float32Array | Int32Array | Uint8Array;
  /** The dtype as stored in the file. */
  storedDtype: SafetensorsDType;
}

export interface SafetensorsContents {
  /** Tensors in header order. */
  tensors: Map<string, NamedArray>;
  /** The optional `__metadata__` string map. */
  metadata: Record<string, string>;
}

/** A tensor to write: float32 or int32 values, row-major. */
export interface WritableArray {
  dtype?: 'float32' | 'int32';
  shape: readonly number[];
  data: Float32Array | Int32Array | ArrayLike<number>;
}

function fail(label: string, what: string): never {
  throw new Error(`safetensors: ${label}: ${what}`);
}

function isSafetensorsDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && (SAFETENSORS_DTYPES as readonly string[]).includes(s);
}

// IEEE half -> float32 bits, via a 64 Ki-entry table built on first use.
let halfTable: Float32Array | undefined;
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    let v: number;
    if (exp === 0) v = frac * 2 ** -24;
    else if (exp === 31) v = frac === 0 ? Infinity : NaN;
    else v = (1 + frac / 1024) * 2 ** (exp - 15);
    t[h] = sign * v;
  }
  halfTable = t;
  return t;
}

/** Converts IEEE half-precision bit patterns to float32 values. */
export function halfToFloat32(bits: Uint16Array): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** Copies bytes [begin, end) of `bytes` into a fresh ArrayBuffer (aligned for any typed array). */
function copyBytes(bytes: Uint8Array, begin: number, end: number): ArrayBuffer {
  const out = new Uint8Array(end - begin);
  out.set(bytes.subarray(begin, end));
  return out.buffer;
}

function convert(name: string, label: string, dtype: SafetensorsDType, bytes: Uint8Array, begin: number, end: number, count: number): NamedArray['data'] {
  const buf = copyBytes(bytes, begin, end);
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf);
    case 'F64':
      return Float32Array.from(new Float64Array(buf));
    case 'F16':
      return halfToFloat32(new Uint16Array(buf));
    case 'BF16': {
      const src = new Uint16Array(buf);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = src[i] << 16;
      return new Float32Array(bits.buffer);
    }
    case 'I32':
      return new Int32Array(buf);
    case 'I16':
      return Int32Array.from(new Int16Array(buf));
    case 'I8':
      return Int32Array.from(new Int8Array(buf));
    case 'U16':
      return Int32Array.from(new Uint16Array(buf));
    case 'U8':
      return Int32Array.from(new Uint8Array(buf));
    case 'BOOL': {
      const out = new Uint8Array(buf);
      for (let i = 0; i < count; i++) out[i] = out[i] !== 0 ? 1 : 0;
      return out;
    }
    case 'U32': {
      const src = new Uint32Array(buf);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        if (src[i] > 0x7fffffff) fail(label, `tensor '${name}' (U32) holds ${src[i]} at index ${i}, outside the int32 range`);
        out[i] = src[i];
      }
      return out;
    }
    case 'I64':
    case 'U64': {
      const src = dtype === 'I64' ? new BigInt64Array(buf) : new BigUint64Array(buf);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = src[i];
        if (v < -2147483648n || v > 2147483647n) {
          fail(label, `tensor '${name}' (${dtype}) holds ${v} at index ${i}, outside the int32 range`);
        }
        out[i] = Number(v);
      }
      return out;
    }
  }
}

function outDtype(dtype: SafetensorsDType): NamedArray['dtype'] {
  if (dtype === 'BOOL') return 'bool';
  return dtype.startsWith('F') || dtype === 'BF16' ? 'float32' : 'int32';
}

/**
 * Parses safetensors bytes. `label` names the source in error messages.
 * Throws on anything malformed: short file, header length beyond the file, header that is not a
 * JSON object, unknown dtype, bad shape, offsets outside the data area or overlapping, byte counts
 * that do not match dtype x shape.
 */
export function parseSafetensors(bytes: Uint8Array, label = '<buffer>'): SafetensorsContents {
  if (!(bytes instanceof Uint8Array)) fail(label, `expected a Buffer or Uint8Array, got ${typeof bytes}`);
  if (bytes.length < 8) fail(label, `file is ${bytes.length} bytes, too short for the 8-byte header length (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(bytes.length - 8)) {
    fail(label, `header length ${headerLen64} runs past the end of the file (${bytes.length} bytes; truncated or not a safetensors file?)`);
  }
  const headerLen = Number(headerLen64);
  if (headerLen > MAX_HEADER_BYTES) fail(label, `header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (headerLen < 2) fail(label, `header length ${headerLen} is too short for a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    fail(label, 'header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(label, `header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail(label, 'header JSON is not an object');
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  // No prototype: a key such as '__proto__' is kept as a key like any other.
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries: {name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number; count: number}[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(label, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(label, `__metadata__['${k}'] is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(label, `entry '${name}' is not an object`);
    const info = raw as Record<string, unknown>;
    const dtype = info.dtype;
    if (!isSafetensorsDType(dtype)) {
      const given = dtype === undefined ? 'no dtype' : `dtype ${JSON.stringify(dtype)}`;
      fail(label, `tensor '${name}' has ${given}; supported: ${SAFETENSORS_DTYPES.join(', ')}`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(label, `tensor '${name}' has ${shape === undefined ? 'no shape' : `shape ${JSON.stringify(shape)}`}; expected an array of non-negative integers`);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(label, `tensor '${name}' has ${offsets === undefined ? 'no data_offsets' : `data_offsets ${JSON.stringify(offsets)}`}; expected [begin, end] non-negative integers`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end) fail(label, `tensor '${name}' has data_offsets [${begin}, ${end}] with begin after end`);
    if (end > dataLen) {
      fail(label, `tensor '${name}' has data_offsets [${begin}, ${end}] beyond the ${dataLen} data bytes (truncated file?)`);
    }
    let count = 1;
    for (const d of shape as number[]) count *= d;
    const expected = count * ITEM_SIZE[dtype];
    if (!Number.isSafeInteger(expected) || expected !== end - begin) {
      fail(label, `tensor '${name}' is ${dtype} ${JSON.stringify(shape)} = ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    entries.push({name, dtype, shape: (shape as number[]).slice(), begin, end, count});
  }
  const byOffset = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    const cur = byOffset[i];
    if (cur.begin < prev.end) {
      fail(label, `tensors '${prev.name}' [${prev.begin}, ${prev.end}] and '${cur.name}' [${cur.begin}, ${cur.end}] overlap`);
    }
  }
  const tensors = new Map<string, NamedArray>();
  for (const e of entries) {
    tensors.set(e.name, {
      dtype: outDtype(e.dtype),
      shape: e.shape,
      data: convert(e.name, label, e.dtype, bytes, dataStart + e.begin, dataStart + e.end, e.count),
      storedDtype: e.dtype,
    });
  }
  return {tensors, metadata};
}

/** Reads a safetensors file from a path, or parses a Buffer / Uint8Array holding one. */
export function readSafetensors(source: string | Uint8Array): SafetensorsContents {
  if (typeof source === 'string') {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(source);
    } catch (e) {
      throw new Error(`safetensors: cannot read '${source}': ${(e as Error).message}`);
    }
    return parseSafetensors(bytes, source);
  }
  return parseSafetensors(source);
}

/** True when the bytes start like a safetensors file (a plausible header length, then '{'). */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n >= 2n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
}

/**
 * Serialises float32/int32 tensors (in the given order) to safetensors bytes. The header is padded
 * with spaces to a multiple of 8 bytes so that every tensor's data is 8-byte aligned.
 */
export function serializeSafetensors(
  tensors: Map<string, WritableArray> | Record<string, WritableArray>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`safetensors: metadata['${k}'] must be a string`);
    }
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new Error(`safetensors: '__metadata__' cannot be a tensor name`);
    const dtype = t.dtype ?? (t.data instanceof Int32Array ? 'int32' : 'float32');
    if (dtype !== 'float32' && dtype !== 'int32') {
      throw new Error(`safetensors: tensor '${name}' has dtype ${dtype}; the writer supports float32, int32`);
    }
    const shape = Array.from(t.shape);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`safetensors: tensor '${name}' has shape ${JSON.stringify(shape)}`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== count) {
      throw new Error(`safetensors: tensor '${name}' has ${t.data.length} values but shape ${JSON.stringify(shape)} needs ${count}`);
    }
    const typed = dtype === 'float32'
      ? (t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>))
      : (t.data instanceof Int32Array ? t.data : Int32Array.from(t.data as ArrayLike<number>));
    const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
    header[name] = {dtype: dtype === 'float32' ? 'F32' : 'I32', shape, data_offsets: [offset, offset + bytes.length]};
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  let headerBytes = new TextEncoder().encode(json);
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    json += ' '.repeat(padded - headerBytes.length);
    headerBytes = new TextEncoder().encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Writes float32/int32 tensors to a safetensors file. */
export function writeSafetensors(
  path: string,
  tensors: Map<string, WritableArray> | Record<string, WritableArray>,
  metadata?: Record<string, string>,
): void {
  fs.writeFileSync(path, serializeSafetensors(tensors, metadata));
}
