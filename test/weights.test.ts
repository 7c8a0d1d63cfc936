// Weight loading: name maps for every scheme (round trips and real torchvision names), Keras .h5
// reading, scheme detection and numerics, and the loader's error messages.
import {spawnSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {efficientNetConfig, efficientNetBlocks, efficientNetWeightSpec, randomEfficientNetWeights} from '../src/models/efficientnet.js';
import {resNetConfig, resNetWeightSpec} from '../src/models/resnet.js';
import {readKerasH5} from '../src/weights/keras.js';
import {loadWeights, saveWeights, type WeightSpecEntry} from '../src/weights/load.js';
import {detectScheme, familyNumerics, fromCanonical, toCanonical, type WeightScheme} from '../src/weights/names.js';
import {serializeSafetensors, type NamedArray} from '../src/weights/safetensors.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
let tmp: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weights-test-'));
});
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

/** Distinct, position-dependent values so that any transposition error shows. */
function fakeArray(shape: readonly number[], salt: number): NamedArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = salt * 1000 + i * 0.001;
  return {dtype: 'float32', shape: [...shape], data, storedDtype: 'F32'};
}

function fakeCanonical(spec: readonly WeightSpecEntry[]): Map<string, NamedArray> {
  return new Map(spec.map((s, i) => [s.name, fakeArray(s.shape, i)]));
}

function stageRepeatsOf(config: {width: number; depth: number}): number[] {
  const r = [0, 0, 0, 0, 0, 0, 0];
  for (const b of efficientNetBlocks(config)) r[b.stage]++;
  return r;
}

function toSafetensors(tensors: Map<string, NamedArray>, metadata?: Record<string, string>): Uint8Array {
  return serializeSafetensors(new Map([...tensors].map(([k, v]) => [k, {shape: v.shape, data: v.data as Float32Array}])), metadata);
}

async function expectWeightsEqual(loaded: Map<string, tf.Tensor>, canonical: Map<string, NamedArray>): Promise<void> {
  expect([...loaded.keys()].sort()).toEqual([...canonical.keys()].sort());
  for (const [name, t] of loaded) {
    const want = canonical.get(name)!;
    expect(t.shape, name).toEqual(want.shape);
    expect(Buffer.from((await t.data() as Float32Array).buffer).equals(Buffer.from((want.data as Float32Array).buffer)), name).toBe(true);
  }
  tf.dispose([...loaded.values()]);
}

const torchvisionNames: Record<string, [string, number[]][]> =
  JSON.parse(fs.readFileSync(path.join(FIXTURES, 'torchvision_names.json'), 'utf8'));

function fromNameList(list: [string, number[]][]): Map<string, NamedArray> {
  return new Map(list.map(([n, shape], i) => [n, n.endsWith('num_batches_tracked')
    ? {dtype: 'int32', shape, data: Int32Array.of(0), storedDtype: 'I64'}
    : fakeArray(shape, i)]));
}

describe('canonical weight spec', () => {
  it('names follow the contract (small EfficientNet)', () => {
    const config = efficientNetConfig({width: 0.25, depth: 0.25, resolution: 32}, {numClasses: 10});
    const names = efficientNetWeightSpec(config).map((s) => s.name);
    expect(names).toContain('stem/conv/kernel');
    expect(names).toContain('blocks/0/depthwise/conv/kernel');
    expect(names).not.toContain('blocks/0/expand/conv/kernel');
    expect(names).toContain('blocks/1/expand/bn/variance');
    expect(names).toContain('blocks/6/se/expand/bias');
    expect(names).toContain('classifier/kernel');
  });
});

describe('torchvision names', () => {
  for (const variant of ['b0', 'b2'] as const) {
    it(`real efficientnet_${variant} state-dict names map onto the model's spec and back`, async () => {
      const source = fromNameList(torchvisionNames[`efficientnet_${variant}`]);
      const config = efficientNetConfig(variant);
      const spec = efficientNetWeightSpec(config);
      const loaded = await loadWeights(toSafetensors(new Map([...source].filter(([, v]) => v.dtype === 'float32'))), {spec, variant});
      expect(loaded).toMatchObject({scheme: 'torchvision', family: 'efficientnet', padding: 'symmetric', bnEpsilon: 1e-5, format: 'safetensors'});
      // Layouts: stem OIHW [32,3,3,3] -> HWIO [3,3,3,32]; block 0 depthwise [32,1,3,3] -> [3,3,32,1].
      expect(loaded.weights.get('stem/conv/kernel')!.shape).toEqual([3, 3, 3, 32]);
      expect(loaded.weights.get('blocks/0/depthwise/conv/kernel')!.shape).toEqual([3, 3, 32, 1]);
      expect(loaded.weights.get('classifier/kernel')!.shape).toEqual([1280 * (variant === 'b2' ? 1.1 : 1), 1000]);
      // Values: canonical -> torchvision reproduces the source exactly.
      const canonical = new Map<string, NamedArray>();
      for (const [k, t] of loaded.weights) canonical.set(k, {dtype: 'float32', shape: t.shape, data: t.dataSync() as Float32Array, storedDtype: 'F32'});
      tf.dispose([...loaded.weights.values()]);
      const back = fromCanonical(canonical, 'torchvision', 'efficientnet', stageRepeatsOf(config));
      for (const [n, v] of source) {
        if (n.endsWith('num_batches_tracked')) continue;
        expect(back.get(n)?.shape, n).toEqual(v.shape);
        expect(Buffer.from(back.get(n)!.data.buffer).equals(Buffer.from(v.data.buffer)), n).toBe(true);
      }
      expect(back.size).toBe([...source.keys()].filter((n) => !n.endsWith('num_batches_tracked')).length);
    });
  }

  it('real resnet50 names map onto the spec; num_batches_tracked is ignored', () => {
    const source = fromNameList(torchvisionNames.resnet50);
    const mapped = toCanonical(source, 'torchvision', 'resnet');
    expect(mapped.unmapped).toEqual([]);
    expect(mapped.ignored.length).toBe(53);
    const spec = resNetWeightSpec(resNetConfig(50));
    expect([...mapped.tensors.keys()].sort()).toEqual(spec.map((s) => s.name).sort());
    for (const s of spec) expect(mapped.tensors.get(s.name)!.shape, s.name).toEqual(s.shape);
    expect(mapped.sources.get('layers/3/0/downsample/bn/variance')).toBe('layer4.0.downsample.1.running_var');
    expect(detectScheme(source.keys())).toMatchObject({scheme: 'torchvision', family: 'resnet'});
  });

  it('B5-B7 use epsilon 1e-3, B0-B4 1e-5; the file name or variant decides', () => {
    expect(familyNumerics('torchvision', 'efficientnet', 'efficientnet_b5')).toEqual({padding: 'symmetric', bnEpsilon: 1e-3});
    expect(familyNumerics('torchvision', 'efficientnet', 'b7')).toEqual({padding: 'symmetric', bnEpsilon: 1e-3});
    expect(familyNumerics('torchvision', 'efficientnet', 'efficientnet_b4.safetensors')).toEqual({padding: 'symmetric', bnEpsilon: 1e-5});
    expect(familyNumerics('torchvision', 'efficientnet', undefined, 1.8)).toEqual({padding: 'symmetric', bnEpsilon: 1e-3});
    expect(familyNumerics('torchvision', 'efficientnet', undefined, 1.0)).toEqual({padding: 'symmetric', bnEpsilon: 1e-5});
  });
});

describe('scheme round trips', () => {
  const configs = [
    ['b2', efficientNetConfig('b2')],  // two depthwise-separable blocks in the first stage
    ['small', efficientNetConfig({width: 0.25, depth: 0.5, resolution: 40}, {numClasses: 7})],
  ] as const;
  const expectations: Record<string, {scheme: WeightScheme; padding: string; bnEpsilon: number}> = {
    torchvision: {scheme: 'torchvision', padding: 'symmetric', bnEpsilon: 1e-5},
    timm: {scheme: 'timm', padding: 'symmetric', bnEpsilon: 1e-5},
    keras: {scheme: 'keras', padding: 'same', bnEpsilon: 1e-3},
    canonical: {scheme: 'canonical', padding: 'symmetric', bnEpsilon: 1e-5},
  };
  for (const [label, config] of configs) {
    for (const scheme of ['torchvision', 'timm', 'keras', 'canonical'] as const) {
      it(`${label}: canonical -> ${scheme} -> loadWeights gives the same tensors`, async () => {
        const spec = efficientNetWeightSpec(config);
        const canonical = fakeCanonical(spec);
        const source = fromCanonical(canonical, scheme, 'efficientnet', stageRepeatsOf(config));
        expect(source.size).toBe(canonical.size);
        const loaded = await loadWeights(toSafetensors(source), {spec, variant: config.name});
        expect({scheme: loaded.scheme, padding: loaded.padding, bnEpsilon: loaded.bnEpsilon}).toEqual(expectations[scheme]);
        await expectWeightsEqual(loaded.weights, canonical);
      });
    }
  }

  it('timm names are the ones timm uses', () => {
    const config = efficientNetConfig('b2');
    const names = new Map([...fromCanonical(fakeCanonical(efficientNetWeightSpec(config)), 'timm', 'efficientnet', stageRepeatsOf(config))]
      .map(([k, v]) => [k, v.shape]));
    // First stage: DepthwiseSeparableConv (conv_dw, bn1, se, conv_pw, bn2), two blocks in B2.
    expect(names.get('blocks.0.0.conv_dw.weight')).toEqual([32, 1, 3, 3]);
    expect(names.get('blocks.0.1.conv_pw.weight')).toEqual([16, 16, 1, 1]);
    expect(names.get('blocks.0.1.bn2.running_var')).toEqual([16]);
    // Later stages: InvertedResidual.
    expect(names.get('blocks.1.0.conv_pw.weight')).toEqual([96, 16, 1, 1]);
    expect(names.get('blocks.1.0.bn3.weight')).toEqual([24]);
    expect(names.get('blocks.1.0.se.conv_reduce.weight')).toEqual([4, 96, 1, 1]);
    expect(names.get('blocks.1.0.se.conv_expand.bias')).toEqual([96]);
    expect(names.get('blocks.1.0.conv_pwl.weight')).toEqual([24, 96, 1, 1]);
    expect(names.get('conv_stem.weight')).toEqual([32, 3, 3, 3]);
    expect(names.get('conv_head.weight')).toEqual([1408, 352, 1, 1]);
    expect(names.get('bn2.running_mean')).toEqual([1408]);
    expect(names.get('classifier.weight')).toEqual([1000, 1408]);
  });

  it('Keras names are the ones keras.applications uses', () => {
    const config = efficientNetConfig('b0');
    const names = new Map([...fromCanonical(fakeCanonical(efficientNetWeightSpec(config)), 'keras', 'efficientnet', stageRepeatsOf(config))]
      .map(([k, v]) => [k, v.shape]));
    expect(names.get('stem_conv/kernel')).toEqual([3, 3, 3, 32]);
    expect(names.get('stem_bn/moving_variance')).toEqual([32]);
    expect(names.get('block1a_dwconv/depthwise_kernel')).toEqual([3, 3, 32, 1]);
    expect(names.get('block1a_bn/gamma')).toEqual([32]);
    expect(names.get('block1a_se_reduce/kernel')).toEqual([1, 1, 32, 8]);
    expect(names.get('block1a_project_conv/kernel')).toEqual([1, 1, 32, 16]);
    expect(names.get('block6d_expand_conv/kernel')).toEqual([1, 1, 192, 1152]);
    expect(names.get('block6d_expand_bn/beta')).toEqual([1152]);
    expect(names.get('block6d_project_bn/moving_mean')).toEqual([192]);
    expect(names.get('top_conv/kernel')).toEqual([1, 1, 320, 1280]);
    expect(names.get('predictions/kernel')).toEqual([1280, 1000]);
    expect(names.has('block1a_expand_conv/kernel')).toBe(false);
  });

  it('timm tf_ variants: same padding and epsilon 1e-3 from the file name, variant or explicit scheme', async () => {
    const config = efficientNetConfig({width: 0.25, depth: 0.25, resolution: 32}, {numClasses: 10});
    const spec = efficientNetWeightSpec(config);
    const bytes = toSafetensors(fromCanonical(fakeCanonical(spec), 'timm', 'efficientnet', stageRepeatsOf(config)));
    const file = path.join(tmp, 'tf_efficientnet_b0.safetensors');
    fs.writeFileSync(file, bytes);
    const a = await loadWeights(file, {config});
    expect([a.scheme, a.padding, a.bnEpsilon]).toEqual(['timm-tf', 'same', 1e-3]);
    const plain = path.join(tmp, 'efficientnet_b0.safetensors');
    fs.writeFileSync(plain, bytes);
    const p = await loadWeights(plain, {config: efficientNetConfig({width: 0.25, depth: 0.25, resolution: 32, name: 'b0'}, {numClasses: 10})});
    expect([p.scheme, p.padding, p.bnEpsilon]).toEqual(['timm', 'symmetric', 1e-5]);
    tf.dispose([...p.weights.values()]);
    const b = await loadWeights(bytes, {spec, variant: 'tf_efficientnet_b0.ns_jft_in1k'});
    expect([b.scheme, b.padding, b.bnEpsilon]).toEqual(['timm-tf', 'same', 1e-3]);
    const c = await loadWeights(bytes, {spec, scheme: 'timm-tf'});
    expect([c.scheme, c.padding, c.bnEpsilon]).toEqual(['timm-tf', 'same', 1e-3]);
    const d = await loadWeights(bytes, {spec, padding: 'same', bnEpsilon: 1e-4});
    expect([d.scheme, d.padding, d.bnEpsilon]).toEqual(['timm', 'same', 1e-4]);
    for (const r of [a, b, c, d]) tf.dispose([...r.weights.values()]);
  });

  it('options.config gives the spec and selects torchvision\'s epsilon by variant', async () => {
    // B5's epsilon comes from the name; a narrow, shallow net keeps the test fast.
    const b5 = efficientNetConfig({width: 0.25, depth: 0.25, resolution: 32, name: 'b5'}, {numClasses: 10});
    const spec = efficientNetWeightSpec(b5);
    const bytes = toSafetensors(fromCanonical(fakeCanonical(spec), 'torchvision', 'efficientnet', stageRepeatsOf(b5)));
    const r = await loadWeights(bytes, {config: b5});
    expect([r.scheme, r.padding, r.bnEpsilon, r.weights.size]).toEqual(['torchvision', 'symmetric', 1e-3, spec.length]);
    tf.dispose([...r.weights.values()]);
    await expect(loadWeights(bytes, {config: efficientNetConfig({width: 0.5, depth: 0.25, resolution: 32, name: 'b4'}, {numClasses: 10})}))
      .rejects.toThrow(/mis-shaped/);
  });

  it('saveWeights writes canonical files that load back with their padding and epsilon', async () => {
    const config = efficientNetConfig({width: 0.25, depth: 0.25, resolution: 32}, {numClasses: 10});
    const weights = randomEfficientNetWeights(config, 3);
    const file = path.join(tmp, 'saved.safetensors');
    await saveWeights(file, weights, {padding: 'same', bnEpsilon: 1e-3});
    const r = await loadWeights(file, {config});
    expect([r.scheme, r.padding, r.bnEpsilon, r.metadata.format]).toEqual(['canonical', 'same', 1e-3, 'effnet-native']);
    const canonical = new Map<string, NamedArray>();
    for (const [k, t] of weights) canonical.set(k, {dtype: 'float32', shape: t.shape, data: t.dataSync() as Float32Array, storedDtype: 'F32'});
    tf.dispose([...weights.values()]);
    await expectWeightsEqual(r.weights, canonical);
  });

  it('a model without its top takes a full checkpoint and ignores the classifier', async () => {
    const full = efficientNetConfig({width: 0.25, depth: 0.25, resolution: 32}, {numClasses: 10});
    const headless = efficientNetConfig({width: 0.25, depth: 0.25, resolution: 32}, {includeTop: false});
    const bytes = toSafetensors(fromCanonical(fakeCanonical(efficientNetWeightSpec(full)), 'torchvision', 'efficientnet', stageRepeatsOf(full)));
    const r = await loadWeights(bytes, {config: headless});
    expect(r.weights.has('classifier/kernel')).toBe(false);
    expect(r.weights.size).toBe(efficientNetWeightSpec(headless).length);
    expect(r.ignored).toEqual(['classifier.1.weight', 'classifier.1.bias']);
    tf.dispose([...r.weights.values()]);
  });

  it('canonical files carry padding and epsilon in their metadata', async () => {
    const config = efficientNetConfig({width: 0.25, depth: 0.25, resolution: 32}, {numClasses: 10});
    const spec = efficientNetWeightSpec(config);
    const bytes = toSafetensors(fakeCanonical(spec), {'effnet.padding': 'same', 'effnet.bn_epsilon': '0.001'});
    const r = await loadWeights(bytes, {spec});
    expect([r.scheme, r.padding, r.bnEpsilon]).toEqual(['canonical', 'same', 1e-3]);
    tf.dispose([...r.weights.values()]);
  });
});

// ---- Keras HDF5 ----

interface H5Group {
  create_group(name: string): H5Group;
  create_dataset(o: {name: string; data: unknown; shape?: number[]; dtype?: string}): unknown;
  create_attribute(name: string, value: unknown, shape?: number[] | null, dtype?: string | null): unknown;
}

/** Writes a Keras-2-style weight file: layer_names / weight_names attributes, /<layer>/<layer>/<var>:0. */
async function writeKerasH5(file: string, weights: Map<string, NamedArray>, wrap: boolean): Promise<void> {
  const h5 = (await import('h5wasm/node')) as unknown as {ready: Promise<unknown>; File: new (f: string, m: string) => H5Group & {close(): void}};
  await h5.ready;
  const f = new h5.File(file, 'w');
  const root = wrap ? f.create_group('model_weights') : f;
  const layers = new Map<string, [string, NamedArray][]>();
  layers.set('input_1', []);
  layers.set('rescaling', []);
  layers.set('normalization', [
    ['mean', fakeArray([3], 1)], ['variance', fakeArray([3], 2)],
  ]);
  for (const [name, t] of weights) {
    const [layer, v] = name.split('/');
    if (!layers.has(layer)) layers.set(layer, []);
    layers.get(layer)!.push([v, t]);
  }
  const fixed = (list: string[]) => `S${Math.max(1, ...list.map((s) => s.length))}`;
  const layerNames = [...layers.keys()];
  root.create_attribute('layer_names', layerNames, [layerNames.length], fixed(layerNames));
  root.create_attribute('backend', 'tensorflow');
  root.create_attribute('keras_version', '2.13.1');
  for (const [layer, vars] of layers) {
    const g = root.create_group(layer);
    const names = vars.map(([v]) => `${layer}/${v}:0`);
    if (names.length) g.create_attribute('weight_names', names, [names.length], fixed(names));
    else g.create_attribute('weight_names', [], [0], 'S1');
    if (!vars.length) continue;
    const inner = g.create_group(layer);
    for (const [v, t] of vars) inner.create_dataset({name: `${v}:0`, data: t.data, shape: t.shape, dtype: '<f'});
  }
  f.close();
}

/** Writes a Keras-3-style `.weights.h5`: /layers/<layer>/vars/<index>, no variable names. */
async function writeKeras3H5(file: string, weights: Map<string, NamedArray>): Promise<void> {
  const h5 = (await import('h5wasm/node')) as unknown as {ready: Promise<unknown>; File: new (f: string, m: string) => H5Group & {close(): void}};
  await h5.ready;
  const f = new h5.File(file, 'w');
  const layersGroup = f.create_group('layers');
  const order: Record<string, number> = {kernel: 0, depthwise_kernel: 0, bias: 1, gamma: 0, beta: 1, moving_mean: 2, moving_variance: 3};
  const layers = new Map<string, [number, NamedArray][]>();
  for (const [name, t] of weights) {
    const [layer, v] = name.split('/');
    if (!layers.has(layer)) layers.set(layer, []);
    layers.get(layer)!.push([order[v], t]);
  }
  const norm = layersGroup.create_group('normalization').create_group('vars');
  norm.create_dataset({name: '0', data: Float32Array.of(0.4, 0.5, 0.6), shape: [3], dtype: '<f'});
  norm.create_dataset({name: '1', data: Float32Array.of(0.1, 0.2, 0.3), shape: [3], dtype: '<f'});
  norm.create_dataset({name: '2', data: BigInt64Array.of(7n), shape: [], dtype: '<q'});
  layersGroup.create_group('rescaling').create_group('vars');
  for (const [layer, vars] of layers) {
    const g = layersGroup.create_group(layer).create_group('vars');
    for (const [i, t] of vars) g.create_dataset({name: String(i), data: t.data, shape: t.shape, dtype: '<f'});
  }
  f.close();
}

describe('Keras .h5', () => {
  const config = efficientNetConfig({width: 0.25, depth: 0.5, resolution: 40}, {numClasses: 7});
  const spec = efficientNetWeightSpec(config);
  const canonical = fakeCanonical(spec);
  const keras = fromCanonical(canonical, 'keras', 'efficientnet', stageRepeatsOf(config));

  it('reads a save_weights file (layer groups at the root)', async () => {
    const file = path.join(tmp, 'efficientnet_small.h5');
    await writeKerasH5(file, keras, false);
    const raw = await readKerasH5(file);
    expect(raw.get('block4b_dwconv/depthwise_kernel')!.shape).toEqual(keras.get('block4b_dwconv/depthwise_kernel')!.shape);
    expect(raw.has('normalization/mean')).toBe(true);
    const loaded = await loadWeights(file, {spec});
    expect(loaded).toMatchObject({scheme: 'keras', format: 'keras', padding: 'same', bnEpsilon: 1e-3});
    expect(loaded.ignored.sort()).toEqual(['normalization/mean', 'normalization/variance']);
    await expectWeightsEqual(loaded.weights, canonical);
  });

  it('reads a whole-model file (/model_weights) from a Buffer', async () => {
    const file = path.join(tmp, 'efficientnet_small_model.h5');
    await writeKerasH5(file, keras, true);
    const loaded = await loadWeights(fs.readFileSync(file), {spec});
    expect(loaded.scheme).toBe('keras');
    await expectWeightsEqual(loaded.weights, canonical);
  });

  it('reads a Keras 3 .weights.h5 (layers/<layer>/vars/<i>)', async () => {
    const file = path.join(tmp, 'efficientnet_small.weights.h5');
    await writeKeras3H5(file, keras);
    const raw = await readKerasH5(file);
    expect(Array.from(raw.get('normalization/count')!.data)).toEqual([7]);
    expect(raw.get('block2a_dwconv/depthwise_kernel')!.shape).toEqual(keras.get('block2a_dwconv/depthwise_kernel')!.shape);
    const loaded = await loadWeights(file, {spec});
    expect(loaded).toMatchObject({scheme: 'keras', format: 'keras', padding: 'same', bnEpsilon: 1e-3});
    expect(loaded.ignored.sort()).toEqual(['normalization/count', 'normalization/mean', 'normalization/variance']);
    await expectWeightsEqual(loaded.weights, canonical);
  });

  it('reports a missing layer by its canonical and Keras names', async () => {
    const file = path.join(tmp, 'efficientnet_broken.h5');
    const partial = new Map([...keras].filter(([k]) => !k.startsWith('block3a_se_reduce/')));
    await writeKerasH5(file, partial, false);
    await expect(loadWeights(file, {spec})).rejects.toThrow(/scheme detected: 'keras'[\s\S]*missing 2: blocks\/2\/se\/reduce\/kernel, blocks\/2\/se\/reduce\/bias/);
  });

  it('reads big- and little-endian datasets of every converted type (fixture from scripts/fixtures/keras_byte_orders.py)', async () => {
    const raw = await readKerasH5(path.join(FIXTURES, 'keras_byte_orders.h5'));
    // The values the script wrote, recomputed here: exact in every type.
    const expected = (kind: 'float' | 'int' | 'uint' | 'int8' | 'uint8', n: number) =>
      Array.from({length: n}, (_, i) => kind === 'float' ? (i - 5) * 0.375 + 0.0625
        : kind === 'int' ? (i - 3) * 1000 : kind === 'uint' ? i * 1000 : kind === 'int8' ? i - 3 : i);
    const cases: [string, number[], 'float' | 'int' | 'uint' | 'int8' | 'uint8', string, string][] = [
      ['be_f32', [3, 4], 'float', 'float32', 'F32'], ['le_f32', [3, 4], 'float', 'float32', 'F32'],
      ['be_f64', [5], 'float', 'float32', 'F64'], ['be_f16', [2, 3], 'float', 'float32', 'F16'],
      ['le_f16', [2, 3], 'float', 'float32', 'F16'], ['be_i64', [4], 'int', 'int32', 'I64'],
      ['be_i32', [2, 2], 'int', 'int32', 'I32'], ['be_i16', [5], 'int', 'int32', 'I32'],
      ['be_u32', [3], 'uint', 'int32', 'I32'], ['be_u16', [3], 'uint', 'int32', 'I32'],
      ['int8', [4], 'int8', 'int32', 'I32'], ['uint8', [4], 'uint8', 'int32', 'I32'],
    ];
    expect([...raw.keys()].sort()).toEqual(cases.map(([n]) => `probe/${n}`).sort());
    for (const [name, shape, kind, dtype, stored] of cases) {
      const a = raw.get(`probe/${name}`)!;
      expect({name, shape: a.shape, dtype: a.dtype, stored: a.storedDtype}).toEqual({name, shape, dtype, stored});
      expect(Array.from(a.data), name).toEqual(expected(kind, shape.reduce((p, q) => p * q, 1)));
    }
  });

  it('reads a file given as bytes through a temporary copy it removes, and removes those of dead processes', async () => {
    const child = spawnSync(process.execPath, ['-e', '']);  // a pid that has just ended
    const dead = path.join(os.tmpdir(), `effnet-h5-${child.pid}-stale`);
    const live = path.join(os.tmpdir(), `effnet-h5-${process.ppid}-live`);  // the parent still runs
    for (const dir of [dead, live]) {
      fs.mkdirSync(dir, {recursive: true});
      fs.writeFileSync(path.join(dir, 'weights.h5'), 'left over');
    }
    try {
      const ownBefore = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`effnet-h5-${process.pid}-`));
      const raw = await readKerasH5(fs.readFileSync(path.join(FIXTURES, 'keras_byte_orders.h5')));
      expect(raw.size).toBe(12);
      expect(fs.existsSync(dead)).toBe(false);
      expect(fs.existsSync(live)).toBe(true);
      expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`effnet-h5-${process.pid}-`))).toEqual(ownBefore);
    } finally {
      for (const dir of [dead, live]) fs.rmSync(dir, {recursive: true, force: true});
    }
  });

  it('rejects a file that is not HDF5', async () => {
    const file = path.join(tmp, 'not.h5');
    fs.writeFileSync(file, 'hello');
    await expect(readKerasH5(file)).rejects.toThrow(/not an HDF5 file/);
    await expect(loadWeights(file, {spec})).rejects.toThrow(/neither a safetensors file nor an HDF5/);
  });
});

describe('loadWeights errors', () => {
  const config = efficientNetConfig({width: 0.25, depth: 0.25, resolution: 32}, {numClasses: 10});
  const spec = efficientNetWeightSpec(config);
  const torchvision = () => fromCanonical(fakeCanonical(spec), 'torchvision', 'efficientnet', stageRepeatsOf(config));

  it('lists missing, unexpected and mis-shaped tensors with counts and the detected scheme', async () => {
    const src = torchvision();
    for (const n of ['features.3.0.block.2.fc1.weight', 'features.3.0.block.2.fc1.bias', 'features.8.1.running_var']) src.delete(n);
    src.set('features.9.0.weight', fakeArray([4, 4, 1, 1], 1));
    src.set('extra_head.weight', fakeArray([3], 2));
    src.set('classifier.1.weight', fakeArray([11, 320], 3));
    src.set('features.0.0.weight', fakeArray([8, 3, 5, 5], 4));
    let message = '';
    try {
      await loadWeights(toSafetensors(src), {spec});
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^loadWeights\(<buffer>\): the weights do not match the model \(scheme detected: 'torchvision', family efficientnet/);
    expect(message).toMatch(/missing 3: blocks\/2\/se\/reduce\/kernel, blocks\/2\/se\/reduce\/bias, head\/bn\/variance/);
    expect(message).toMatch(/unexpected 2: .*features\.9\.0\.weight \(no torchvision rule\)/);
    expect(message).toMatch(/extra_head\.weight \(no torchvision rule\)/);
    expect(message).toMatch(/mis-shaped 2: .*stem\/conv\/kernel \(from features\.0\.0\.weight\) is \[5, 5, 3, 8\], the model needs \[3, 3, 3, 8\]/);
    expect(message).toMatch(/classifier\/kernel \(from classifier\.1\.weight\) is \[320, 11\], the model needs \[320, 10\]/);
  });

  it('shortens long lists', async () => {
    const src = torchvision();
    for (const n of [...src.keys()].filter((k) => /fc[12]\.bias$/.test(k))) src.delete(n);
    await expect(loadWeights(toSafetensors(src), {spec})).rejects.toThrow(/missing 14: blocks\/0\/se\/reduce\/bias, [^\n]*\.\.\. \(9 more\)$/);
  });

  it('a file for another model family', async () => {
    const resnet = fromNameList(torchvisionNames.resnet50);
    const err = await loadWeights(toSafetensors(new Map([...resnet].filter(([, v]) => v.dtype === 'float32'))), {spec})
      .then(() => '', (e: Error) => e.message);
    expect(err).toMatch(/these look like resnet weights \(torchvision names: 267 of 267 understood\) but the model is efficientnet/);
  });

  it('bad arguments', async () => {
    await expect(loadWeights(path.join(tmp, 'nope.safetensors'), {spec})).rejects.toThrow(/cannot read .*nope\.safetensors/);
    await expect(loadWeights(new Uint8Array(3), {spec})).rejects.toThrow(/neither a safetensors file nor an HDF5/);
    await expect(loadWeights(new Uint8Array(3), {} as never)).rejects.toThrow(/options\.config \(the model configuration\) or options\.spec/);
    await expect(loadWeights(toSafetensors(torchvision()), {spec, scheme: 'onnx' as never})).rejects.toThrow(/unknown scheme 'onnx'; supported: canonical, torchvision, timm, timm-tf, keras/);
    const corrupt = toSafetensors(torchvision()).slice(0, 100);
    await expect(loadWeights(corrupt, {spec})).rejects.toThrow(/neither a safetensors file|runs past the end/);
  });
});
