import {describe, expect, it} from 'vitest';

import {loadCpuAddon} from '../src/native.js';

// New native buffers read as zeros, but the zero fill waits for their first use, and an op that takes a
// buffer as an output it writes entirely skips it (binding/registry.cc).
interface Addon {
  alloc(bytes: number): number;
  create(values: Float32Array): number;
  read(id: number): ArrayBuffer;
  free(id: number): boolean;
  batchMatMul(options: object): void;
}
const addon = loadCpuAddon() as unknown as Addon;

const read = (id: number) => Array.from(new Float32Array(addon.read(id)));

// out = a (2x3) * b (3x2) through the matmul entry, which takes `out` as a whole output.
function matmulInto(out: number): void {
  const a = addon.create(Float32Array.from([1, 2, 3, 4, 5, 6]));
  const b = addon.create(Float32Array.from([1, 0, 0, 1, 1, 1]));
  try {
    addon.batchMatMul({
      a, b, out, batchA: 1, batchB: 1, batch: 1, m: 2, n: 2, k: 3, transposeA: false, transposeB: false, outShape: [1, 2, 2],
    });
  } finally {
    addon.free(a);
    addon.free(b);
  }
}
const PRODUCT = [4, 5, 10, 11];

describe('new native buffers', () => {
  it('start as NaNs in tests where an op takes them whole (EFFNET_POISON_BUFFERS=1)', () => {
    expect(process.env.EFFNET_POISON_BUFFERS).toBe('1');
  });

  it('read as zeros before anything writes them, at any size', () => {
    for (const bytes of [4, 60, 4100]) {
      const id = addon.alloc(bytes);
      expect(read(id)).toEqual(new Array(bytes / 4).fill(0));
      addon.free(id);
    }
  });

  it('an op writing all of a new buffer leaves exactly what it wrote', () => {
    const out = addon.alloc(16);
    matmulInto(out);
    expect(read(out)).toEqual(PRODUCT);
    addon.free(out);
  });

  it('an output larger than the op writes reads zeros past what it wrote', () => {
    const out = addon.alloc(40);
    matmulInto(out);
    expect(read(out)).toEqual([...PRODUCT, 0, 0, 0, 0, 0, 0]);
    addon.free(out);
  });

  it('a buffer read before an op writes it whole stays zero until then', () => {
    const out = addon.alloc(16);
    expect(read(out)).toEqual([0, 0, 0, 0]);
    matmulInto(out);
    expect(read(out)).toEqual(PRODUCT);
    addon.free(out);
  });
});
