// safetensors reader/writer: round trips, every dtype the reader converts, and corrupt files.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {describe, expect, it} from 'vitest';

import {
  halfToFloat32, looksLikeSafetensors, parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors,
} from '../src/weights/safetensors.js';

/** Builds a safetensors file by hand from a header object and a data section. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Uint8Array {
  const text = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

describe('safetensors round trip', () => {
  it('writes and reads float32 and int32 tensors with metadata', () => {
    const a = Float32Array.from({length: 2 * 3 * 5}, (_, i) => Math.sin(i) * 1e3);
    a[3] = NaN;
    a[4] = -Infinity;
    a[5] = -0;
    const b = Int32Array.from([-2147483648, 2147483647, 0, 7]);
    const bytes = serializeSafetensors(new Map([
      ['layer.weight', {shape: [2, 3, 5], data: a}],
      ['ids', {dtype: 'int32' as const, shape: [4], data: b}],
      ['scalar', {shape: [], data: Float32Array.of(1.5)}],
      ['empty', {shape: [0, 3], data: new Float32Array(0)}],
    ]), {format: 'pt', note: 'x'});
    expect(looksLikeSafetensors(bytes)).toBe(true);
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const {tensors, metadata} = parseSafetensors(bytes);
    expect(metadata).toEqual({format: 'pt', note: 'x'});
    expect([...tensors.keys()]).toEqual(['layer.weight', 'ids', 'scalar', 'empty']);
    const w = tensors.get('layer.weight')!;
    expect(w.dtype).toBe('float32');
    expect(w.shape).toEqual([2, 3, 5]);
    expect(Object.is(w.data[5], -0)).toBe(true);
    expect(bytesOf(w.data)).toEqual(bytesOf(a));
    expect(tensors.get('ids')).toMatchObject({dtype: 'int32', shape: [4], storedDtype: 'I32'});
    expect(Array.from(tensors.get('ids')!.data)).toEqual(Array.from(b));
    expect(Array.from(tensors.get('scalar')!.data)).toEqual([1.5]);
    expect(tensors.get('empty')!.shape).toEqual([0, 3]);
  });

  it('writes to and reads from a file path', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-'));
    try {
      const file = path.join(dir, 'w.safetensors');
      writeSafetensors(file, {x: {shape: [3], data: [1, 2, 3]}});
      expect(Array.from(readSafetensors(file).tensors.get('x')!.data)).toEqual([1, 2, 3]);
      expect(() => readSafetensors(path.join(dir, 'absent.safetensors'))).toThrow(/cannot read .*absent\.safetensors/);
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });

  it('reads data at unaligned offsets (odd header length)', () => {
    const v = Float32Array.from([1.25, -2.5, 3.75]);
    const file = rawFile({a: {dtype: 'F32', shape: [3], data_offsets: [0, 12]}}, bytesOf(v), '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}');
    expect((8 + JSON.stringify({a: {dtype: 'F32', shape: [3], data_offsets: [0, 12]}}).length) % 4).not.toBe(0);
    expect(Array.from(parseSafetensors(file).tensors.get('a')!.data)).toEqual([1.25, -2.5, 3.75]);
  });

  it('the writer rejects bad input', () => {
    expect(() => serializeSafetensors({x: {shape: [2, 2], data: [1, 2, 3]}})).toThrow(/3 values but shape \[2,2\] needs 4/);
    expect(() => serializeSafetensors({x: {dtype: 'bool' as 'int32', shape: [1], data: [1]}})).toThrow(/supports float32, int32/);
    expect(() => serializeSafetensors({x: {shape: [-1], data: []}})).toThrow(/shape/);
    expect(() => serializeSafetensors({__metadata__: {shape: [1], data: [1]}})).toThrow(/__metadata__/);
  });
});

describe('safetensors dtypes', () => {
  it('converts F16, BF16, F64 to float32', () => {
    // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 0x0001, inf 0x7c00, NaN 0x7e00
    const f16 = Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00]);
    // BF16: top 16 bits of float32
    const src = Float32Array.from([1, -3.5, 1e30, 0.15625]);
    const bf16 = Uint16Array.from(new Uint32Array(src.buffer), (u) => u >>> 16);
    const f64 = Float64Array.from([0.1, -1e-3]);
    const data = new Uint8Array(12 + 8 + 16);
    data.set(bytesOf(f16), 0);
    data.set(bytesOf(bf16), 12);
    data.set(bytesOf(f64), 20);
    const {tensors} = parseSafetensors(rawFile({
      h: {dtype: 'F16', shape: [2, 3], data_offsets: [0, 12]},
      b: {dtype: 'BF16', shape: [4], data_offsets: [12, 20]},
      d: {dtype: 'F64', shape: [2], data_offsets: [20, 36]},
    }, data));
    const h = Array.from(tensors.get('h')!.data);
    expect(h.slice(0, 5)).toEqual([1, -2, 65504, 2 ** -24, Infinity]);
    expect(Number.isNaN(h[5])).toBe(true);
    expect(tensors.get('h')).toMatchObject({dtype: 'float32', shape: [2, 3], storedDtype: 'F16'});
    expect(Array.from(tensors.get('b')!.data)).toEqual([1, -3.5, new Float32Array(Uint32Array.of(bf16[2] << 16).buffer)[0], 0.15625]);
    expect(Array.from(tensors.get('d')!.data)).toEqual([Math.fround(0.1), Math.fround(-1e-3)]);
    expect(Array.from(halfToFloat32(Uint16Array.of(0x3555)))[0]).toBeCloseTo(1 / 3, 3);
  });

  it('converts I64 in range to int32 and rejects values outside it', () => {
    const ok = BigInt64Array.from([0n, -5n, 2147483647n, -2147483648n]);
    expect(Array.from(parseSafetensors(rawFile({n: {dtype: 'I64', shape: [4], data_offsets: [0, 32]}}, bytesOf(ok))).tensors.get('n')!.data))
      .toEqual([0, -5, 2147483647, -2147483648]);
    const big = BigInt64Array.from([1n, 2147483648n]);
    expect(() => parseSafetensors(rawFile({n: {dtype: 'I64', shape: [2], data_offsets: [0, 16]}}, bytesOf(big)), 'f.st'))
      .toThrow(/f\.st: tensor 'n' \(I64\) holds 2147483648 at index 1, outside the int32 range/);
  });

  it('reads BOOL, U8, I8, I16, U16, U32', () => {
    const data = Uint8Array.from([0, 1, 7, 255, /* I8 */ 0xff, 0x01, /* I16 */ 0xfe, 0xff, /* U16 */ 0xff, 0xff, /* U32 */ 5, 0, 0, 0]);
    const {tensors} = parseSafetensors(rawFile({
      b: {dtype: 'BOOL', shape: [2], data_offsets: [0, 2]},
      u: {dtype: 'U8', shape: [2], data_offsets: [2, 4]},
      i8: {dtype: 'I8', shape: [2], data_offsets: [4, 6]},
      i16: {dtype: 'I16', shape: [1], data_offsets: [6, 8]},
      u16: {dtype: 'U16', shape: [1], data_offsets: [8, 10]},
      u32: {dtype: 'U32', shape: [1], data_offsets: [10, 14]},
    }, data));
    expect(tensors.get('b')).toMatchObject({dtype: 'bool'});
    expect(Array.from(tensors.get('b')!.data)).toEqual([0, 1]);
    expect(tensors.get('u')).toMatchObject({dtype: 'int32'});
    expect(Array.from(tensors.get('u')!.data)).toEqual([7, 255]);
    expect(Array.from(tensors.get('i8')!.data)).toEqual([-1, 1]);
    expect(Array.from(tensors.get('i16')!.data)).toEqual([-2]);
    expect(Array.from(tensors.get('u16')!.data)).toEqual([65535]);
    expect(Array.from(tensors.get('u32')!.data)).toEqual([5]);
  });
});

describe('safetensors corrupt files', () => {
  const good = serializeSafetensors({a: {shape: [2, 2], data: [1, 2, 3, 4]}, b: {shape: [3], data: [5, 6, 7]}});

  it('a file shorter than the length field', () => {
    expect(() => parseSafetensors(new Uint8Array(5), 'x.st')).toThrow(/x\.st: file is 5 bytes, too short/);
    expect(() => parseSafetensors(new Uint8Array(0))).toThrow(/too short/);
  });

  it('a header length beyond the file', () => {
    const f = good.slice();
    new DataView(f.buffer).setBigUint64(0, BigInt(f.length), true);
    expect(() => parseSafetensors(f)).toThrow(/header length \d+ runs past the end of the file/);
    new DataView(f.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    expect(() => parseSafetensors(f)).toThrow(/runs past the end/);
  });

  it('every truncation of a valid file gives an Error', () => {
    for (let n = 0; n < good.length; n++) {
      expect(() => parseSafetensors(good.subarray(0, n)), `truncated to ${n}`).toThrow(/safetensors: /);
    }
    expect(parseSafetensors(good).tensors.size).toBe(2);
  });

  it('a header that is not JSON, not an object, or not UTF-8', () => {
    expect(() => parseSafetensors(rawFile(null, undefined, '{"a": [1,'))).toThrow(/header is not valid JSON/);
    expect(() => parseSafetensors(rawFile([1, 2]))).toThrow(/header JSON is not an object/);
    expect(() => parseSafetensors(rawFile(null, undefined, 'null'))).toThrow(/not an object/);
    const bad = rawFile(null, undefined, '{"\xff":1}');
    bad[10] = 0xff;
    expect(() => parseSafetensors(bad)).toThrow(/not valid UTF-8|not valid JSON/);
    expect(() => parseSafetensors(rawFile({}, undefined, '{'))).toThrow(/too short for a JSON object/);
  });

  it('entries with bad fields', () => {
    const d = new Uint8Array(16);
    expect(() => parseSafetensors(rawFile({a: 5}, d))).toThrow(/entry 'a' is not an object/);
    expect(() => parseSafetensors(rawFile({a: {dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1]}}, d)))
      .toThrow(/tensor 'a' has dtype "F8_E4M3"; supported: F64, F32/);
    expect(() => parseSafetensors(rawFile({a: {dtype: 'F32', shape: [-1], data_offsets: [0, 4]}}, d))).toThrow(/tensor 'a' has shape \[-1\]/);
    expect(() => parseSafetensors(rawFile({a: {dtype: 'F32', shape: [1.5], data_offsets: [0, 4]}}, d))).toThrow(/shape/);
    expect(() => parseSafetensors(rawFile({a: {dtype: 'F32', shape: [1], data_offsets: [0]}}, d))).toThrow(/data_offsets \[0\]/);
    expect(() => parseSafetensors(rawFile({a: {dtype: 'F32', shape: [1], data_offsets: [8, 4]}}, d))).toThrow(/begin after end/);
    expect(() => parseSafetensors(rawFile({__metadata__: [1]}, d))).toThrow(/__metadata__ is not an object/);
    expect(() => parseSafetensors(rawFile({__metadata__: {k: 1}}, d))).toThrow(/__metadata__\['k'\] is not a string/);
  });

  it('offsets out of range', () => {
    expect(() => parseSafetensors(rawFile({a: {dtype: 'F32', shape: [4], data_offsets: [4, 20]}}, new Uint8Array(16)), 'o.st'))
      .toThrow(/o\.st: tensor 'a' has data_offsets \[4, 20\] beyond the 16 data bytes/);
  });

  it('byte count that does not match dtype x shape', () => {
    expect(() => parseSafetensors(rawFile({a: {dtype: 'F32', shape: [2, 2], data_offsets: [0, 12]}}, new Uint8Array(16))))
      .toThrow(/tensor 'a' is F32 \[2,2\] = 16 bytes but data_offsets \[0, 12\] span 12/);
    expect(() => parseSafetensors(rawFile({a: {dtype: 'I64', shape: [2], data_offsets: [0, 8]}}, new Uint8Array(16))))
      .toThrow(/I64 \[2\] = 16 bytes/);
  });

  it('overlapping tensors', () => {
    expect(() => parseSafetensors(rawFile({
      a: {dtype: 'F32', shape: [2], data_offsets: [0, 8]},
      b: {dtype: 'F32', shape: [2], data_offsets: [4, 12]},
    }, new Uint8Array(16)))).toThrow(/tensors 'a' \[0, 8\] and 'b' \[4, 12\] overlap/);
  });

  it('random byte flips give an Error or a valid parse, never a crash', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 300; trial++) {
      const f = good.slice();
      const flips = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < flips; k++) f[Math.floor(rand() * f.length)] = Math.floor(rand() * 256);
      try {
        parseSafetensors(f);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/^safetensors: /);
      }
    }
  });
});
