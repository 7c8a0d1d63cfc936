// Keras HDF5 weight files (keras.applications EfficientNetB0..B7 `.h5`, written by
// `model.save_weights(...)` or `model.save(...)`), read with the optional `h5wasm` package.
// Layout (keras/src/legacy/saving/legacy_h5_format.py, save_weights_to_hdf5_group):
//   [/model_weights]           the weights group when the whole model was saved
//     attrs: layer_names       layer names in order (long lists are split into layer_names0, 1, ...)
//     /<layer>                 one group per layer
//       attrs: weight_names    e.g. ["stem_conv/kernel:0"] (also possibly chunked)
//       /<layer>/<var>:0       datasets named by the weight names: kernel, bias, gamma, beta,
//                              moving_mean, moving_variance, depthwise_kernel
// Keras 3's `.weights.h5` (keras/src/saving/saving_lib.py) is read too: /layers/<layer>/vars/<i>,
// variables named by position after the layer kind (kernel, bias; gamma, beta, moving_mean,
// moving_variance for batch norms).
// Tensors come back named `<layer>/<var>` (no `:0`); Keras layouts are already HWIO.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {halfToFloat32, type NamedArray} from './safetensors.js';

// The parts of h5wasm's API used here (typed locally: h5wasm is an optional dependency).
interface H5Attribute {
  value: unknown;
}
interface H5Entity {
  type?: string;
  attrs?: Record<string, H5Attribute>;
}
interface H5Group extends H5Entity {
  keys(): string[];
  get(name: string): H5Entity | null;
}
interface H5Dataset extends H5Entity {
  shape: number[] | null;
  metadata: {type: number; size: number; signed?: boolean};
  value: unknown;
}
interface H5File extends H5Group {
  close(): unknown;
}
interface H5Module {
  ready: Promise<unknown>;
  File: new (filename: string, mode?: string) => H5File;
}

/** HDF5 file signature (at offset 0, or 512, 1024, ... with a user block). */
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when the bytes carry the HDF5 signature at offset 0 or at a user-block boundary. */
export function looksLikeHdf5(bytes: Uint8Array): boolean {
  for (let at = 0; at + 8 <= bytes.length && at <= 65536; at = at === 0 ? 512 : at * 2) {
    if (HDF5_MAGIC.every((b, i) => bytes[at + i] === b)) return true;
  }
  return false;
}

let h5Promise: Promise<H5Module> | undefined;

/** Loads h5wasm on first use; a clear Error when it is not installed. */
export async function loadH5wasm(): Promise<H5Module> {
  if (!h5Promise) {
    h5Promise = (async () => {
      const specifier = 'h5wasm/node';
      let mod: H5Module;
      try {
        mod = (await import(specifier)) as H5Module;
      } catch (e) {
        throw new Error(
          `Reading Keras .h5 weights needs the optional package 'h5wasm', which could not be loaded ` +
            `(${(e as Error).message}). Install it with: npm install h5wasm`,
        );
      }
      await mod.ready;
      return mod;
    })();
    h5Promise.catch(() => {
      h5Promise = undefined;
    });
  }
  return h5Promise;
}

function stringList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value == null ? [] : [value];
  return list.map((v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)).replace(/\0+$/, ''));
}

/** Reads a Keras name-list attribute, following the chunked `<name>0`, `<name>1`, ... form. */
function nameAttribute(entity: H5Entity, name: string): string[] | undefined {
  const attrs = entity.attrs ?? {};
  if (name in attrs) return stringList(attrs[name].value);
  if (!(`${name}0` in attrs)) return undefined;
  const out: string[] = [];
  for (let i = 0; `${name}${i}` in attrs; i++) out.push(...stringList(attrs[`${name}${i}`].value));
  return out;
}

function isGroup(e: H5Entity | null): e is H5Group {
  return e != null && typeof (e as H5Group).keys === 'function';
}

function isDataset(e: H5Entity | null): e is H5Dataset {
  return e != null && !isGroup(e) && 'shape' in (e as object);
}

function datasetArray(ds: H5Dataset, name: string, label: string): NamedArray {
  const shape = ds.shape ?? [];
  const count = shape.reduce((a, b) => a * b, 1);
  const {type, size} = ds.metadata;
  const v = ds.value;
  let data: Float32Array | Int32Array;
  if (type === 1) {
    if (v instanceof Float32Array) data = v.slice();
    else if (v instanceof Float64Array) data = Float32Array.from(v);
    else if (size === 2 && v instanceof Uint8Array) data = halfToFloat32(new Uint16Array(v.slice().buffer));
    else if (size === 2 && v instanceof Uint16Array) data = halfToFloat32(v);
    else throw new Error(`keras: ${label}: dataset '${name}' has an unsupported ${size * 8}-bit float type`);
    if (data.length !== count) throw new Error(`keras: ${label}: dataset '${name}' holds ${data.length} values for shape [${shape.join(', ')}]`);
    return {dtype: 'float32', shape, data, storedDtype: size === 8 ? 'F64' : size === 2 ? 'F16' : 'F32'};
  }
  if (type === 0 && ArrayBuffer.isView(v) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array)) {
    data = Int32Array.from(v as unknown as ArrayLike<number>);
    if (data.length !== count) throw new Error(`keras: ${label}: dataset '${name}' holds ${data.length} values for shape [${shape.join(', ')}]`);
    return {dtype: 'int32', shape, data, storedDtype: 'I32'};
  }
  if (type === 0 && (v instanceof BigInt64Array || v instanceof BigUint64Array)) {
    const out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      if (v[i] < -2147483648n || v[i] > 2147483647n) throw new Error(`keras: ${label}: dataset '${name}' holds ${v[i]}, outside the int32 range`);
      out[i] = Number(v[i]);
    }
    return {dtype: 'int32', shape, data: out, storedDtype: 'I64'};
  }
  if (typeof v === 'number' && shape.length === 0) {
    return type === 1
      ? {dtype: 'float32', shape, data: Float32Array.of(v), storedDtype: 'F32'}
      : {dtype: 'int32', shape, data: Int32Array.of(v), storedDtype: 'I32'};
  }
  if (typeof v === 'bigint' && shape.length === 0) {
    if (v < -2147483648n || v > 2147483647n) throw new Error(`keras: ${label}: dataset '${name}' holds ${v}, outside the int32 range`);
    return {dtype: 'int32', shape, data: Int32Array.of(Number(v)), storedDtype: 'I64'};
  }
  throw new Error(`keras: ${label}: dataset '${name}' has HDF5 type class ${type} (size ${size}); supported: float, integer`);
}

/** Strips `:0` and keeps the variable's own name: `stem_conv/kernel:0` -> `kernel`. */
function variableName(weightName: string): string {
  const last = weightName.split('/').filter((p) => p.length > 0).pop() ?? weightName;
  return last.replace(/:\d+$/, '');
}

function collectDatasets(group: H5Group, prefix: string, out: [string, H5Dataset][]): void {
  for (const key of group.keys()) {
    const e = group.get(key);
    const p = prefix ? `${prefix}/${key}` : key;
    if (isGroup(e)) collectDatasets(e, p, out);
    else if (isDataset(e)) out.push([p, e]);
  }
}

/**
 * Variable names, in order, of a Keras 3 layer's `vars/0, 1, ...` (the `.weights.h5` format stores
 * no names), told from the layer's name as keras.applications names its layers.
 */
function keras3VariableNames(layer: string): string[] {
  if (/(^|_)bn$/.test(layer) || /batch_normalization/.test(layer)) return ['gamma', 'beta', 'moving_mean', 'moving_variance'];
  if (/dwconv$/.test(layer) || /depthwise/.test(layer)) return ['depthwise_kernel', 'bias'];
  if (/^normalization(_\d+)?$/.test(layer)) return ['mean', 'variance', 'count'];
  return ['kernel', 'bias'];
}

/** Keras 3 `.weights.h5`: /layers/<layer>/vars/<index>, possibly nested in sub-models' layers. */
function readKeras3(layersGroup: H5Group, label: string, out: Map<string, NamedArray>): void {
  for (const layer of layersGroup.keys()) {
    const g = layersGroup.get(layer);
    if (!isGroup(g)) continue;
    const vars = g.get('vars');
    if (isGroup(vars)) {
      const names = keras3VariableNames(layer);
      const indices = vars.keys().filter((k) => /^\d+$/.test(k)).map(Number).sort((a, b) => a - b);
      for (const i of indices) {
        if (i >= names.length) throw new Error(`keras: ${label}: layer '${layer}' has more variables (${indices.length}) than a ${names.join('/')} layer`);
        const ds = vars.get(String(i));
        if (!isDataset(ds)) continue;
        const name = `${layer}/${names[i]}`;
        if (out.has(name)) throw new Error(`keras: ${label}: layer '${layer}' appears twice`);
        out.set(name, datasetArray(ds, `layers/${layer}/vars/${i}`, label));
      }
    }
    const nested = g.get('layers');
    if (isGroup(nested)) readKeras3(nested, label, out);
  }
}

function readRoot(root: H5Group, label: string): Map<string, NamedArray> {
  const keras3 = root.get('layers');
  if (!nameAttribute(root, 'layer_names') && isGroup(keras3) && !isGroup(root.get('model_weights'))) {
    const out = new Map<string, NamedArray>();
    readKeras3(keras3, label, out);
    return out;
  }
  let weights: H5Group = root;
  if (!nameAttribute(root, 'layer_names')) {
    const mw = root.get('model_weights');
    if (isGroup(mw)) weights = mw;
  }
  const layers = nameAttribute(weights, 'layer_names') ?? weights.keys();
  const out = new Map<string, NamedArray>();
  for (const layer of layers) {
    const g = weights.get(layer);
    if (!isGroup(g)) {
      if (g == null) throw new Error(`keras: ${label}: layer '${layer}' is listed in layer_names but has no group`);
      continue;
    }
    const names = nameAttribute(g, 'weight_names');
    const datasets: [string, H5Dataset][] = [];
    if (names) {
      for (const n of names) {
        const ds = g.get(n);
        if (!isDataset(ds)) throw new Error(`keras: ${label}: layer '${layer}' lists weight '${n}' but the file has no such dataset`);
        datasets.push([n, ds]);
      }
    } else {
      collectDatasets(g, '', datasets);
    }
    for (const [n, ds] of datasets) {
      const name = `${layer}/${variableName(n)}`;
      if (out.has(name)) throw new Error(`keras: ${label}: two weights of layer '${layer}' are both named '${variableName(n)}'`);
      out.set(name, datasetArray(ds, `${layer}/${n}`, label));
    }
  }
  return out;
}

/**
 * Reads every layer weight of a Keras HDF5 file (a path, or the file's bytes) as
 * `<layer>/<variable>` -> array. Needs the optional package h5wasm.
 */
export async function readKerasH5(source: string | Uint8Array): Promise<Map<string, NamedArray>> {
  const h5 = await loadH5wasm();
  let file = typeof source === 'string' ? source : '';
  let temp: string | undefined;
  const label = typeof source === 'string' ? source : '<buffer>';
  if (typeof source !== 'string') {
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'effnet-h5-'));
    file = path.join(temp, 'weights.h5');
    fs.writeFileSync(file, source);
  } else if (!fs.existsSync(source)) {
    throw new Error(`keras: cannot read '${source}': no such file`);
  }
  try {
    const head = fs.readFileSync(file).subarray(0, 2048);
    if (!looksLikeHdf5(head)) throw new Error(`keras: ${label} is not an HDF5 file (no HDF5 signature)`);
    let f: H5File;
    try {
      f = new h5.File(file, 'r');
    } catch (e) {
      throw new Error(`keras: cannot open ${label} as HDF5: ${(e as Error).message}`);
    }
    try {
      return readRoot(f, label);
    } finally {
      f.close();
    }
  } finally {
    if (temp) fs.rmSync(temp, {recursive: true, force: true});
  }
}
