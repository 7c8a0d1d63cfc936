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
  file_id: bigint;
  path: string;
  keys(): string[];
  get(name: string): H5Entity | null;
}
interface H5Metadata {
  type: number;
  size: number;
  signed?: boolean;
  vlen?: boolean;
  shape: number[] | null;
  total_size: number;
}
interface H5Dataset extends H5Entity {
  file_id: bigint;
  path: string;
  shape: number[] | null;
  metadata: H5Metadata;
  filters: Array<{id: number; name?: string}>;
}
interface H5File extends H5Group {
  close(): unknown;
}
/** h5wasm's Emscripten module: its reads report their HDF5 status, which Dataset.value drops. */
interface H5Low {
  get_dataset_data(fileId: bigint, path: string, count: null, offset: null, strides: null, ptr: bigint): number;
  get_external_link(fileId: bigint, path: string): {filename?: string; obj_path?: string};
  activate_throwing_error_handler(): void;
  deactivate_throwing_error_handler(): void;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
}
interface H5Module {
  ready: Promise<unknown>;
  File: new (filename: string, mode?: string) => H5File;
  Module: H5Low;
}

/** HDF5 file signature (at offset 0, or 512, 1024, ... with a user block). */
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** The last offset the signature may sit at: user blocks are 512, 1024, ... 65536 bytes. */
const HDF5_LAST_SIGNATURE_OFFSET = 65536;
/** Bytes to look at for the signature. */
const HDF5_SIGNATURE_SCAN = HDF5_LAST_SIGNATURE_OFFSET + HDF5_MAGIC.length;

/** True when the bytes carry the HDF5 signature at offset 0 or at a user-block boundary. */
export function looksLikeHdf5(bytes: Uint8Array): boolean {
  for (let at = 0; at + HDF5_MAGIC.length <= bytes.length && at <= HDF5_LAST_SIGNATURE_OFFSET; at = at === 0 ? 512 : at * 2) {
    if (HDF5_MAGIC.every((b, i) => bytes[at + i] === b)) return true;
  }
  return false;
}

/** Whether the file at `file` carries the HDF5 signature (reads its first 64 KiB only). */
export function fileLooksLikeHdf5(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = new Uint8Array(HDF5_SIGNATURE_SCAN);
    return looksLikeHdf5(head.subarray(0, fs.readSync(fd, head, 0, head.length, 0)));
  } finally {
    fs.closeSync(fd);
  }
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
function nameAttribute(entity: H5Entity, name: string, ctx: ReadContext, where: string): string[] | undefined {
  return h5call(ctx, `the attribute '${name}' of '${where}'`, () => {
    const attrs = entity.attrs ?? {};
    if (name in attrs) return stringList(attrs[name].value);
    if (!(`${name}0` in attrs)) return undefined;
    const out: string[] = [];
    for (let i = 0; `${name}${i}` in attrs; i++) out.push(...stringList(attrs[`${name}${i}`].value));
    return out;
  });
}

function isGroup(e: H5Entity | null): e is H5Group {
  return e != null && typeof (e as H5Group).keys === 'function';
}

function isDataset(e: H5Entity | null): e is H5Dataset {
  return e != null && !isGroup(e) && 'shape' in (e as object);
}

/** HDF5 filters h5wasm decodes: deflate (gzip), shuffle, fletcher32. */
const SUPPORTED_FILTERS = new Map([[1, 'deflate (gzip)'], [2, 'shuffle'], [3, 'fletcher32']]);
/** The most deflate expands its input (its format's limit is 1032:1), with room for headers. */
const DEFLATE_MAX_RATIO = 1100;
/** Whether this machine stores numbers little-endian (h5wasm hands every dataset over little-endian). */
const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** What reading one file needs: h5wasm's module, the file's size and its label for errors. */
interface ReadContext {
  low: H5Low;
  fileBytes: number;
  label: string;
}

/** Runs an h5wasm call, its failures (HDF5 errors, WebAssembly traps) rethrown with what was being read. */
function h5call<T>(ctx: ReadContext, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('keras: ')) throw e;
    const cause = e instanceof Error ? e.message : String(e);
    throw new Error(`keras: ${ctx.label}: cannot read ${what}: ${cause} (the file is damaged or uses an HDF5 feature h5wasm lacks)`);
  }
}

/** Runs a low-level h5wasm call with HDF5's errors thrown rather than printed to stderr. */
function quietly<T>(ctx: ReadContext, fn: () => T): T {
  ctx.low.activate_throwing_error_handler();
  try {
    return fn();
  } finally {
    ctx.low.deactivate_throwing_error_handler();
  }
}

/**
 * Reads a dataset's bytes through h5wasm's module, so that a failed HDF5 read (an unsupported filter, a
 * corrupt chunk) is an Error rather than whatever the buffer held, and converts them to float32 or int32.
 * A dataset may declare no more data than the file can hold: its bytes, or deflate's largest expansion
 * of them (chunks never written read as fill values, so a small file could otherwise ask for gigabytes).
 */
function datasetArray(ds: H5Dataset, name: string, ctx: ReadContext): NamedArray {
  const {label} = ctx;
  const what = `dataset '${name}'`;
  const md = h5call(ctx, what, () => ds.metadata);
  const shape = md.shape ?? [];  // (ds.shape would query the metadata again)
  const filters = h5call(ctx, what, () => ds.filters) ?? [];
  const {type, size} = md;
  const isFloat = type === 1 && (size === 2 || size === 4 || size === 8);
  const isInt = type === 0 && (size === 1 || size === 2 || size === 4 || size === 8);
  if (!(isFloat || isInt) || md.vlen) {
    throw new Error(`keras: ${label}: ${what} has HDF5 type class ${type} (size ${size}); supported: float (16, 32, 64-bit), integer`);
  }
  for (const f of filters) {
    if (!SUPPORTED_FILTERS.has(f.id)) {
      throw new Error(`keras: ${label}: ${what} is stored with HDF5 filter ${f.id}${f.name ? ` (${f.name})` : ''}; ` +
        `supported: ${[...SUPPORTED_FILTERS.values()].join(', ')} (save it uncompressed or with gzip)`);
    }
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== md.total_size) throw new Error(`keras: ${label}: ${what} holds ${md.total_size} values for shape [${shape.join(', ')}]`);
  const nbytes = count * size;
  const ratio = filters.some((f) => f.id === 1) ? DEFLATE_MAX_RATIO : 1;
  if (nbytes > ctx.fileBytes * ratio + 65536) {
    throw new Error(`keras: ${label}: ${what} declares shape [${shape.join(', ')}] (${nbytes} bytes), more than a ` +
      `${ctx.fileBytes}-byte file can hold`);
  }
  const ptr = h5call(ctx, what, () => ctx.low._malloc(Math.max(nbytes, 1)));
  if (!ptr) throw new Error(`keras: ${label}: ${what} (${nbytes} bytes) does not fit in h5wasm's memory`);
  let bytes: Uint8Array;
  try {
    const status = h5call(ctx, what, () => quietly(ctx, () => ctx.low.get_dataset_data(ds.file_id, ds.path, null, null, null, BigInt(ptr))));
    if (status < 0) throw new Error(`keras: ${label}: HDF5 could not read ${what} (damaged data or an unsupported encoding)`);
    bytes = ctx.low.HEAPU8.slice(ptr, ptr + nbytes);
  } finally {
    ctx.low._free(ptr);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // h5wasm reads every dataset little-endian, whatever the file's byte order (HDF5 converts big-endian data
  // as it reads it), so the bytes are little-endian here. `bytes` is a fresh copy (offset 0): on a
  // little-endian machine typed arrays view it directly.
  const le = true;
  const native = HOST_LITTLE_ENDIAN;
  if (isFloat) {
    let data: Float32Array;
    if (size === 4) {
      if (native) {
        data = new Float32Array(bytes.buffer, 0, count);
      } else {
        data = new Float32Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, le);
      }
    } else if (size === 8) {
      if (native) {
        data = Float32Array.from(new Float64Array(bytes.buffer, 0, count));
      } else {
        data = new Float32Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getFloat64(8 * i, le);
      }
    } else {
      let half: Uint16Array;
      if (native) {
        half = new Uint16Array(bytes.buffer, 0, count);
      } else {
        half = new Uint16Array(count);
        for (let i = 0; i < count; i++) half[i] = view.getUint16(2 * i, le);
      }
      data = halfToFloat32(half);
    }
    return {dtype: 'float32', shape, data, storedDtype: size === 8 ? 'F64' : size === 2 ? 'F16' : 'F32'};
  }
  if (native && size === 4 && md.signed) return {dtype: 'int32', shape, data: new Int32Array(bytes.buffer, 0, count), storedDtype: 'I32'};
  const data = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = size === 8
      ? (md.signed ? view.getBigInt64(8 * i, le) : view.getBigUint64(8 * i, le))
      : size === 4 ? (md.signed ? view.getInt32(4 * i, le) : view.getUint32(4 * i, le))
      : size === 2 ? (md.signed ? view.getInt16(2 * i, le) : view.getUint16(2 * i, le))
      : md.signed ? view.getInt8(i) : view.getUint8(i);
    if (v < -2147483648 || v > 2147483647) throw new Error(`keras: ${label}: ${what} holds ${v}, outside the int32 range`);
    data[i] = Number(v);
  }
  return {dtype: 'int32', shape, data, storedDtype: size === 8 ? 'I64' : 'I32'};
}

/** Keras nests layer groups a few levels deep; deeper means a link cycle or a damaged file. */
const MAX_GROUP_DEPTH = 32;

/**
 * group.get(key) (key may be a path), refusing external links on the way (weights come from this file
 * only) and naming what failed.
 */
function child(group: H5Group, key: string, ctx: ReadContext): H5Entity | null {
  let full = group.path === '/' ? '' : group.path;
  for (const part of key.split('/').filter((p) => p.length > 0)) {
    full = `${full}/${part}`;
    const at = full;
    // (HDF5 reports an error for every link that is not external: asked quietly.)
    let external: {filename?: string; obj_path?: string} | undefined;
    try {
      external = quietly(ctx, () => ctx.low.get_external_link(group.file_id, at));
    } catch {
      external = undefined;  // not a link HDF5 can describe: group.get below says what is wrong
    }
    if (external && external.filename) {
      throw new Error(`keras: ${ctx.label}: '${at}' is an external link to ${external.filename}:${external.obj_path ?? ''}; ` +
        'weights are read from the file itself only');
    }
  }
  return h5call(ctx, `'${full}'`, () => group.get(key));
}

function keysOf(group: H5Group, ctx: ReadContext): string[] {
  return h5call(ctx, `the members of '${group.path}'`, () => group.keys());
}

/** Strips `:0` and keeps the variable's own name: `stem_conv/kernel:0` -> `kernel`. */
function variableName(weightName: string): string {
  const last = weightName.split('/').filter((p) => p.length > 0).pop() ?? weightName;
  return last.replace(/:\d+$/, '');
}

function collectDatasets(group: H5Group, prefix: string, out: [string, H5Dataset][], ctx: ReadContext, depth = 0): void {
  if (depth > MAX_GROUP_DEPTH) {
    throw new Error(`keras: ${ctx.label}: groups nested deeper than ${MAX_GROUP_DEPTH} at '${group.path}' (a link cycle?)`);
  }
  for (const key of keysOf(group, ctx)) {
    const e = child(group, key, ctx);
    const p = prefix ? `${prefix}/${key}` : key;
    if (isGroup(e)) collectDatasets(e, p, out, ctx, depth + 1);
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
function readKeras3(layersGroup: H5Group, ctx: ReadContext, out: Map<string, NamedArray>, depth = 0): void {
  const {label} = ctx;
  if (depth > MAX_GROUP_DEPTH) {
    throw new Error(`keras: ${label}: layers nested deeper than ${MAX_GROUP_DEPTH} at '${layersGroup.path}' (a link cycle?)`);
  }
  for (const layer of keysOf(layersGroup, ctx)) {
    const g = child(layersGroup, layer, ctx);
    if (g == null) throw new Error(`keras: ${label}: '${layersGroup.path}/${layer}' cannot be read (neither a group nor a dataset)`);
    if (!isGroup(g)) continue;
    const vars = child(g, 'vars', ctx);
    if (isGroup(vars)) {
      const names = keras3VariableNames(layer);
      const indices = keysOf(vars, ctx).filter((k) => /^\d+$/.test(k)).map(Number).sort((a, b) => a - b);
      for (const i of indices) {
        if (i >= names.length) throw new Error(`keras: ${label}: layer '${layer}' has more variables (${indices.length}) than a ${names.join('/')} layer`);
        const ds = child(vars, String(i), ctx);
        if (!isDataset(ds)) throw new Error(`keras: ${label}: layer '${layer}' variable ${i} is not a dataset`);
        const name = `${layer}/${names[i]}`;
        if (out.has(name)) throw new Error(`keras: ${label}: layer '${layer}' appears twice`);
        out.set(name, datasetArray(ds, `layers/${layer}/vars/${i}`, ctx));
      }
    }
    const nested = child(g, 'layers', ctx);
    if (isGroup(nested)) readKeras3(nested, ctx, out, depth + 1);
  }
}

function readRoot(root: H5Group, ctx: ReadContext): Map<string, NamedArray> {
  const {label} = ctx;
  const rootNames = nameAttribute(root, 'layer_names', ctx, '/');
  const keras3 = child(root, 'layers', ctx);
  if (!rootNames && isGroup(keras3) && !isGroup(child(root, 'model_weights', ctx))) {
    const out = new Map<string, NamedArray>();
    readKeras3(keras3, ctx, out);
    return out;
  }
  let weights: H5Group = root;
  if (!rootNames) {
    const mw = child(root, 'model_weights', ctx);
    if (isGroup(mw)) weights = mw;
  }
  const layers = nameAttribute(weights, 'layer_names', ctx, weights.path) ?? keysOf(weights, ctx);
  const out = new Map<string, NamedArray>();
  for (const layer of layers) {
    const g = child(weights, layer, ctx);
    if (!isGroup(g)) {
      if (g == null) throw new Error(`keras: ${label}: layer '${layer}' is listed in layer_names but has no group`);
      continue;
    }
    const names = nameAttribute(g, 'weight_names', ctx, g.path);
    const datasets: [string, H5Dataset][] = [];
    if (names) {
      for (const n of names) {
        const ds = child(g, n, ctx);
        if (!isDataset(ds)) {
          throw new Error(`keras: ${label}: layer '${layer}' lists weight '${n}' but ${ds == null ? 'the file has no such dataset' : 'it cannot be read as a dataset'}`);
        }
        datasets.push([n, ds]);
      }
    } else {
      collectDatasets(g, '', datasets, ctx);
    }
    for (const [n, ds] of datasets) {
      const name = `${layer}/${variableName(n)}`;
      if (out.has(name)) throw new Error(`keras: ${label}: two weights of layer '${layer}' are both named '${variableName(n)}'`);
      out.set(name, datasetArray(ds, `${layer}/${n}`, ctx));
    }
  }
  return out;
}

/** Temporary copies of files given as bytes (h5wasm reads files by path): `effnet-h5-<pid>-<random>`. */
const TEMP_PREFIX = 'effnet-h5-';
const STALE_NAME = new RegExp(`^${TEMP_PREFIX}(\\d+)-`);

/** Whether process `pid` exists (EPERM: it does, under another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary copies of processes that no longer exist: a process killed while it read a file
 * given as bytes could not remove its own. Best effort: whatever cannot be listed or removed is left.
 */
function removeStaleCopies(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = STALE_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      fs.rmSync(path.join(dir, name), {recursive: true, force: true});
    } catch {
      // another user's, or already gone
    }
  }
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
    removeStaleCopies(os.tmpdir());
    temp = fs.mkdtempSync(path.join(os.tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
    file = path.join(temp, 'weights.h5');
    fs.writeFileSync(file, source);
  } else if (!fs.existsSync(source)) {
    throw new Error(`keras: cannot read '${source}': no such file`);
  }
  try {
    const fileBytes = fs.statSync(file).size;
    if (!fileLooksLikeHdf5(file)) throw new Error(`keras: ${label} is not an HDF5 file (no HDF5 signature)`);
    let f: H5File;
    try {
      f = new h5.File(file, 'r');
    } catch (e) {
      throw new Error(`keras: cannot open ${label} as HDF5: ${(e as Error).message}`);
    }
    try {
      return readRoot(f, {low: h5.Module, fileBytes, label});
    } finally {
      f.close();
    }
  } finally {
    if (temp) fs.rmSync(temp, {recursive: true, force: true});
  }
}
