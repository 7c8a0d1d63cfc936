// End-to-end parity with torchvision: load the fixtures written by scripts/fixtures/generate.py,
// build the models with the package's model code, and match torchvision's logits (eval mode) on
// tfjs-backend-cpu and on native-cpu. The SAME-padding references check padding 'same' with
// epsilon 1e-3 (TF/Keras numerics); the Keras path converts the weights to a Keras .h5 first.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {forEachIsa, tf} from './util/reference.js';
import '../src/index.js';
import {buildEfficientNet, efficientNetConfig, efficientNetWeightSpec} from '../src/models/efficientnet.js';
import {buildResNet, resNetConfig} from '../src/models/resnet.js';
import {loadWeights, type LoadedWeights} from '../src/weights/load.js';
import {fromCanonical} from '../src/weights/names.js';
import {readSafetensors, type NamedArray} from '../src/weights/safetensors.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const BACKENDS = ['cpu', 'native-cpu'] as const;
/** Largest |actual - expected| relative to the largest |expected| logit. */
const RTOL = 1e-4;

interface FixtureJson {
  family: 'efficientnet' | 'resnet';
  width: number;
  depth: number;
  numClasses: number;
  stageRepeats: number[];
  sizes: number[];
  batch: number;
  blocks: number[];
  stemChannels: number;
  widths: number[];
  symmetric: {padding: 'symmetric'; bnEpsilon: number; logits: string[]};
  same?: {padding: 'same'; bnEpsilon: number; logits: string[]};
}

function fixture(name: string): {json: FixtureJson; file: string; refs: Map<string, NamedArray>} {
  return {
    json: JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as FixtureJson,
    file: path.join(FIXTURES, `${name}.safetensors`),
    refs: readSafetensors(path.join(FIXTURES, `${name}.ref.safetensors`)).tensors,
  };
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return Number.isFinite(worst) ? worst / scale : Infinity;
}

async function predictOn(
  backend: string, build: () => {predict(x: tf.Tensor): tf.Tensor; dispose(): void}, input: NamedArray,
): Promise<Float32Array> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const model = build();
  const x = tf.tensor(input.data as Float32Array, input.shape, 'float32');
  const y = model.predict(x);
  const values = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  model.dispose();
  expect(tf.memory().numTensors, `tensors leaked on ${backend}`).toBe(before);
  return values;
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parity-'));
});
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

/** Canonical weights, created on the backend about to run (tensors belong to one backend). */
async function weightsOn(backend: string, load: () => Promise<LoadedWeights>): Promise<LoadedWeights> {
  await tf.setBackend(backend);
  return load();
}

for (const name of ['efficientnet_w025_d025', 'efficientnet_w025_d05']) {
  describe(`${name} matches torchvision`, () => {
    const {json, file, refs} = fixture(name);
    const base = {width: json.width, depth: json.depth, resolution: json.sizes[0], name};
    for (const mode of ['symmetric', 'same'] as const) {
      const ref = json[mode]!;
      const model = efficientNetConfig(base, {numClasses: json.numClasses});
      const load = () => loadWeights(file, mode === 'same' ? {config: model, padding: 'same', bnEpsilon: 1e-3} : {config: model});
      for (const backend of BACKENDS) {
        it(`${mode} padding, eps ${ref.bnEpsilon}, on ${backend}, at ${json.sizes.join(' and ')}`, async () => {
          const loaded = await weightsOn(backend, load);
          expect([loaded.scheme, loaded.padding, loaded.bnEpsilon]).toEqual(['torchvision', mode, ref.bnEpsilon]);
          const config = efficientNetConfig(base, {numClasses: json.numClasses, padding: loaded.padding, bnEpsilon: loaded.bnEpsilon});
          try {
            json.sizes.forEach((size, i) => expect(ref.logits[i]).toContain(String(size)));
            const check = async (isa: string) => {
              for (let i = 0; i < json.sizes.length; i++) {
                const input = refs.get(`input_${json.sizes[i]}`)!;
                const expected = refs.get(ref.logits[i])!;
                const actual = await predictOn(backend, () => buildEfficientNet(config, loaded.weights), input);
                expect(actual.length).toBe(expected.data.length);
                const err = relativeError(actual, expected.data as Float32Array);
                expect(err, `${name} ${mode} ${backend} (${isa}) size ${json.sizes[i]}: relative error`).toBeLessThan(RTOL);
              }
            };
            if (backend === 'native-cpu') await forEachIsa(check);
            else await check('reference');
          } finally {
            tf.dispose([...loaded.weights.values()]);
          }
        });
      }
    }
  });
}

describe('Keras .h5 path matches torchvision run with TF numerics', () => {
  const name = 'efficientnet_w025_d05';
  const {json, file, refs} = fixture(name);
  const base = {width: json.width, depth: json.depth, resolution: json.sizes[0], name};

  it('torchvision weights -> Keras names -> .h5 -> loadWeights picks same + 1e-3 and matches', async () => {
    await tf.setBackend('cpu');
    const spec = efficientNetWeightSpec(efficientNetConfig(base, {numClasses: json.numClasses}));
    const tv = await loadWeights(file, {spec});
    const canonical = new Map<string, NamedArray>();
    for (const [k, t] of tv.weights) {
      canonical.set(k, {dtype: 'float32', shape: t.shape, data: t.dataSync() as Float32Array, storedDtype: 'F32'});
    }
    tf.dispose([...tv.weights.values()]);
    const keras = fromCanonical(canonical, 'keras', 'efficientnet', json.stageRepeats);
    const h5file = path.join(tmp, `${name}.h5`);
    const h5 = (await import('h5wasm/node')) as unknown as {
      ready: Promise<unknown>;
      File: new (f: string, m: string) => {
        create_group(n: string): {create_group(n: string): {create_dataset(o: object): unknown}; create_attribute(n: string, v: unknown): unknown};
        create_attribute(n: string, v: unknown): unknown;
        close(): void;
      };
    };
    await h5.ready;
    const f = new h5.File(h5file, 'w');
    const layers = [...new Set([...keras.keys()].map((k) => k.split('/')[0]))];
    f.create_attribute('layer_names', layers);
    for (const layer of layers) {
      const vars = [...keras].filter(([k]) => k.split('/')[0] === layer);
      const g = f.create_group(layer);
      g.create_attribute('weight_names', vars.map(([k]) => `${k}:0`));
      const inner = g.create_group(layer);
      for (const [k, t] of vars) inner.create_dataset({name: `${k.split('/')[1]}:0`, data: t.data, shape: t.shape, dtype: '<f'});
    }
    f.close();

    const loaded = await loadWeights(h5file, {spec});
    expect([loaded.scheme, loaded.padding, loaded.bnEpsilon]).toEqual(['keras', 'same', 1e-3]);
    const config = efficientNetConfig(base, {numClasses: json.numClasses, padding: loaded.padding, bnEpsilon: loaded.bnEpsilon});
    try {
      for (let i = 0; i < json.sizes.length; i++) {
        const actual = await predictOn('cpu', () => buildEfficientNet(config, loaded.weights), refs.get(`input_${json.sizes[i]}`)!);
        expect(relativeError(actual, refs.get(json.same!.logits[i])!.data as Float32Array)).toBeLessThan(RTOL);
      }
    } finally {
      tf.dispose([...loaded.weights.values()]);
    }
  });
});

describe('resnet_tiny matches torchvision', () => {
  const {json, file, refs} = fixture('resnet_tiny');
  // The fixture is torchvision's Bottleneck ResNet with stage widths stemChannels * (1, 2, 4, 8).
  const config = resNetConfig(50, {
    numClasses: json.numClasses, resolution: json.sizes[0], blocks: json.blocks, stemChannels: json.stemChannels, widths: json.widths,
  });

  for (const backend of BACKENDS) {
    it(`symmetric padding on ${backend} at ${json.sizes.join(' and ')}`, async () => {
      const loaded = await weightsOn(backend, () => loadWeights(file, {config}));
      expect([loaded.scheme, loaded.family, loaded.padding, loaded.bnEpsilon]).toEqual(['torchvision', 'resnet', 'symmetric', 1e-5]);
      const check = async (isa: string) => {
        for (let i = 0; i < json.sizes.length; i++) {
          const actual = await predictOn(backend, () => buildResNet({...config, bnEpsilon: loaded.bnEpsilon}, loaded.weights),
            refs.get(`input_${json.sizes[i]}`)!);
          expect(relativeError(actual, refs.get(json.symmetric.logits[i])!.data as Float32Array), `${isa} size ${json.sizes[i]}`)
            .toBeLessThan(RTOL);
        }
      };
      try {
        if (backend === 'native-cpu') await forEachIsa(check);
        else await check('reference');
      } finally {
        tf.dispose([...loaded.weights.values()]);
      }
    });
  }
});

describe('the references tell the numerics apart', () => {
  it('symmetric-padding logits do not match a SAME-padding run (and vice versa)', async () => {
    const {json, file, refs} = fixture('efficientnet_w025_d025');
    const base = {width: json.width, depth: json.depth, resolution: json.sizes[0], name: 'efficientnet_w025_d025'};
    const loaded = await weightsOn('cpu', () => loadWeights(file, {config: efficientNetConfig(base, {numClasses: json.numClasses})}));
    try {
      for (let i = 0; i < json.sizes.length; i++) {
        const input = refs.get(`input_${json.sizes[i]}`)!;
        const same = await predictOn('cpu', () => buildEfficientNet(
          efficientNetConfig(base, {numClasses: json.numClasses, padding: 'same', bnEpsilon: 1e-3}), loaded.weights), input);
        expect(relativeError(same, refs.get(json.symmetric.logits[i])!.data as Float32Array)).toBeGreaterThan(100 * RTOL);
        expect(relativeError(same, refs.get(json.same!.logits[i])!.data as Float32Array)).toBeLessThan(RTOL);
      }
    } finally {
      tf.dispose([...loaded.weights.values()]);
    }
  });
});
