// Weight files that are damaged or reach outside themselves. Keras .h5: readKerasH5 answers each with an
// Error that names the file and what is wrong, never garbage values, a hang or gigabytes of memory (the
// files are written with h5wasm, the loader's optional dependency, and where the API cannot make the
// damage, patched at a located byte). safetensors: headers with a '__proto__' metadata key or missing
// fields.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {afterAll, describe, expect, it} from 'vitest';

import {readKerasH5} from '../src/weights/keras.js';
import {parseSafetensors} from '../src/weights/safetensors.js';

interface H5Group {
  create_group(name: string): H5Group;
  create_dataset(o: Record<string, unknown>): H5Dataset;
  create_attribute(name: string, value: unknown, shape?: number[] | null, dtype?: string | null): unknown;
  create_hard_link(target: string, name: string): unknown;
  create_external_link(file: string, target: string, name: string): unknown;
}
interface H5Dataset {
  resize(shape: number[]): unknown;
}
type H5 = {ready: Promise<unknown>; File: new (f: string, m: string, o?: object) => H5Group & {close(): void}};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'effnet-weights-damaged-'));
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

/** Writes an HDF5 file with h5wasm (the earliest format versions, as h5py writes them) and returns its bytes. */
async function build(name: string, fill: (f: H5Group) => void): Promise<Uint8Array> {
  const h5 = (await import('h5wasm/node')) as unknown as H5;
  await h5.ready;
  const file = path.join(dir, name);
  const f = new h5.File(file, 'w', {libver: ['earliest', 'latest']});
  fill(f);
  f.close();
  return new Uint8Array(fs.readFileSync(file));
}

/** One Keras-2 layer 'dense' with a kernel dataset (/dense/dense/kernel:0), listed in layer_names. */
function denseLayer(f: H5Group, kernel: Record<string, unknown>, layerNames = ['dense']): H5Dataset {
  f.create_attribute('layer_names', layerNames, [layerNames.length], 'S5');
  const g = f.create_group('dense');
  g.create_attribute('weight_names', ['dense/kernel:0'], [1], 'S14');
  return g.create_group('dense').create_dataset({name: 'kernel:0', dtype: '<f', ...kernel});
}

const values = Float32Array.from({length: 16}, (_, i) => 100 + i);

describe('readKerasH5 on damaged and hostile files', () => {
  it('refuses a filter h5wasm cannot decode instead of returning the buffer it never filled', async () => {
    const bytes = await build('gzip.h5', (f) => denseLayer(f, {data: values, shape: [4, 4], chunks: [2, 4], compression: 'gzip'}));
    expect(Array.from((await readKerasH5(bytes)).get('dense/kernel')!.data)).toEqual(Array.from(values));
    // The filter pipeline message names its filter: id (2 bytes), name length, flags, value count, "deflate".
    const at = Buffer.from(bytes).indexOf('deflate') - 8;
    expect(bytes[at] | (bytes[at + 1] << 8)).toBe(1);
    const lzf = bytes.slice();
    lzf[at] = 32000 & 0xff;
    lzf[at + 1] = 32000 >> 8;  // LZF, which h5py writes for compression='lzf'
    await expect(readKerasH5(lzf)).rejects.toThrow(/keras: <buffer>: dataset 'dense\/dense\/kernel:0' is stored with HDF5 filter 32000.*supported: deflate/);
  });

  it('refuses a dataset whose chunks were never written beyond what the file can hold', async () => {
    const bytes = await build('sparse.h5', (f) =>
      denseLayer(f, {data: values, shape: [4, 4], chunks: [2, 4], maxshape: [null, 4]}).resize([1 << 22, 4]));
    expect(bytes.length).toBeLessThan(100_000);
    await expect(readKerasH5(bytes)).rejects.toThrow(/declares shape \[4194304, 4\] \(67108864 bytes\), more than a \d+-byte file can hold/);
  });

  it('stops at a link cycle in the layer groups', async () => {
    const bytes = await build('cycle.h5', (f) => {
      // A layer without weight_names is walked group by group; this one links back to the root.
      denseLayer(f, {data: values, shape: [4, 4]}, ['dense', 'loop']);
      f.create_group('loop').create_hard_link('/', 'up');
    });
    await expect(readKerasH5(bytes)).rejects.toThrow(/groups nested deeper than 32 .*a link cycle/);
  });

  it('stops at a link cycle in a Keras 3 file', async () => {
    const bytes = await build('cycle3.h5', (f) => {
      const layers = f.create_group('layers');
      // 'a' is read before 'dense': its nested layers are /layers again.
      layers.create_group('a').create_hard_link('/layers', 'layers');
      layers.create_group('dense').create_group('vars').create_dataset({name: '0', data: values, shape: [4, 4], dtype: '<f'});
    });
    await expect(readKerasH5(bytes)).rejects.toThrow(/layers nested deeper than 32 .*a link cycle/);
  });

  it('does not follow external links to other files', async () => {
    await build('other.h5', (f) => {
      f.create_group('g').create_dataset({name: 'kernel:0', data: values, shape: [4, 4], dtype: '<f'});
    });
    const bytes = await build('external.h5', (f) => {
      f.create_attribute('layer_names', ['dense'], [1], 'S5');
      const g = f.create_group('dense');
      g.create_attribute('weight_names', ['dense/kernel:0'], [1], 'S14');
      g.create_external_link(path.join(dir, 'other.h5'), '/g', 'dense');
    });
    await expect(readKerasH5(bytes)).rejects.toThrow(/'\/dense\/dense' is an external link to .*other\.h5:\/g; weights are read from the file itself only/);
  });

  it('reads a file behind a user block of 4096 bytes', async () => {
    const bytes = await build('plain.h5', (f) => denseLayer(f, {data: values, shape: [4, 4]}));
    const shifted = new Uint8Array(4096 + bytes.length);
    shifted.set(bytes, 4096);
    const file = path.join(dir, 'userblock.h5');
    fs.writeFileSync(file, shifted);
    for (const source of [shifted, file]) {
      expect(Array.from((await readKerasH5(source)).get('dense/kernel')!.data)).toEqual(Array.from(values));
    }
  });

  it('reads float64 and small integer datasets as their values', async () => {
    const doubles = await build('f64.h5', (f) => denseLayer(f, {data: Float64Array.from(values), shape: [4, 4], dtype: '<d'}));
    const got = (await readKerasH5(doubles)).get('dense/kernel')!;
    expect(Array.from(got.data)).toEqual(Array.from(values));
    expect(got.storedDtype).toBe('F64');
    for (const [dtype, data] of [['<i', Int32Array.of(-5, 70000)], ['<h', Int16Array.of(-5, 7000)], ['<B', Uint8Array.of(5, 250)]] as const) {
      const bytes = await build(`int-${dtype.slice(1)}.h5`, (f) => {
        f.create_attribute('layer_names', ['normalization'], [1], 'S13');
        const g = f.create_group('normalization');
        g.create_attribute('weight_names', ['normalization/count:0'], [1], 'S21');
        g.create_group('normalization').create_dataset({name: 'count:0', data, shape: [2], dtype});
      });
      expect(Array.from((await readKerasH5(bytes)).get('normalization/count')!.data), dtype).toEqual(Array.from(data));
    }
  });

  it('refuses unsigned 32-bit values beyond the int32 range and reads the ones within it', async () => {
    const make = (v: number) => build(`u32-${v}.h5`, (f) => {
      f.create_attribute('layer_names', ['normalization'], [1], 'S13');
      const g = f.create_group('normalization');
      g.create_attribute('weight_names', ['normalization/count:0'], [1], 'S21');
      g.create_group('normalization').create_dataset({name: 'count:0', data: Uint32Array.of(v), shape: [1], dtype: '<I'});
    });
    expect(Array.from((await readKerasH5(await make(2147483647))).get('normalization/count')!.data)).toEqual([2147483647]);
    await expect(readKerasH5(await make(3000000000))).rejects.toThrow(/holds 3000000000, outside the int32 range/);
  });
});

/** A safetensors file with `header` and `dataBytes` zero bytes of data. */
function safetensors(header: object, dataBytes: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + h.length + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(h.length), true);
  bytes.set(h, 8);
  return bytes;
}

describe('parseSafetensors headers', () => {
  it('keeps a metadata key named __proto__ as a key', () => {
    const bytes = safetensors({__metadata__: {['__proto__']: 'x', format: 'pt'}, w: {dtype: 'F32', shape: [1], data_offsets: [0, 4]}}, 4);
    const parsed = parseSafetensors(bytes);
    expect(Object.keys(parsed.metadata).sort()).toEqual(['__proto__', 'format']);
    expect(parsed.metadata['__proto__']).toBe('x');
  });

  it('says which field a tensor entry lacks', () => {
    const w = {dtype: 'F32', shape: [1], data_offsets: [0, 4]};
    const without = (field: string) => safetensors({w: Object.fromEntries(Object.entries(w).filter(([k]) => k !== field))}, 4);
    expect(() => parseSafetensors(without('dtype'))).toThrow(/tensor 'w' has no dtype; supported: /);
    expect(() => parseSafetensors(without('shape'))).toThrow(/tensor 'w' has no shape; expected an array/);
    expect(() => parseSafetensors(without('data_offsets'))).toThrow(/tensor 'w' has no data_offsets; expected \[begin, end\]/);
  });
});
