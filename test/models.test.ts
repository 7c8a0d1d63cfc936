// Building and running small variants of every model: shapes, finite outputs, seeded weights,
// padding modes, batch-norm folding against an unfolded run of the same definition, and native-cpu
// against tfjs-backend-cpu.
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {amoebaNetConfig, amoebaNetGraph, amoebaNetWeightSpec, buildAmoebaNet, randomAmoebaNetWeights} from '../src/models/amoebanet.js';
import {traceModel} from '../src/models/count.js';
import {
  buildEfficientNet,
  efficientNetBlocks,
  efficientNetGraph,
  efficientNetWeightSpec,
  randomEfficientNetWeights,
} from '../src/models/efficientnet.js';
import {type Dims, type ModelGraph, type Ops, randomWeightValues, ShapeTracer, type TraceValue, traceGraph} from '../src/models/graph.js';
import {type ConvSpec, type LayerPadding, tfPadding} from '../src/models/layers.js';
import {backendFusesSwish, mbconvLayers} from '../src/models/mbconv.js';
import {buildResNet, randomResNetWeights, resNetConfig, resNetGraph, resNetWeightSpec} from '../src/models/resnet.js';
import {efficientNetConfig, type MBConvBlockSpec, type PaddingMode} from '../src/models/scaling.js';
import {type Evaluated, evalOn, expectClose, forEachIsa, randomFloats, tf} from './util/reference.js';

const tinyEfficientNet = (padding: PaddingMode = 'same') =>
  efficientNetConfig({width: 0.25, depth: 0.25, resolution: 64, name: 'tiny'}, {numClasses: 10, padding});
const tinyAmoebaNet = () => amoebaNetConfig({numCells: 1, numFilters: 8, resolution: 64, numClasses: 10});
const smallResNet = () => resNetConfig(50, {numClasses: 10, resolution: 64});

function image(n: number, h: number, w: number, seed = 5): tf.Tensor4D {
  return tf.tensor4d(randomFloats(n * h * w * 3, seed), [n, h, w, 3]);
}

function finite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

/**
 * The same definitions run without folding: conv, then tf.batchNorm with the raw statistics,
 * then the activation. Checks the folding and TensorOps independently of both.
 */
class UnfoldedOps implements Ops<tf.Tensor> {
  constructor(private readonly w: Map<string, tf.Tensor>, private readonly eps: number) {}

  private get(name: string): tf.Tensor {
    const t = this.w.get(name);
    if (t == null) throw new Error(`no ${name}`);
    return t;
  }

  dims(x: tf.Tensor): Dims {
    return x.rank === 2 ? {h: 1, w: 1, c: x.shape[1]!} : {h: x.shape[1]!, w: x.shape[2]!, c: x.shape[3]!};
  }

  conv(x: tf.Tensor, spec: ConvSpec): tf.Tensor {
    const x4 = x as tf.Tensor4D;
    const stride = spec.stride ?? 1;
    const pad = tfPadding(spec.padding, spec.kernel, stride, spec.dilation ?? 1, x4.shape[1], x4.shape[2]);
    const kernel = this.get(`${spec.name}/kernel`) as tf.Tensor4D;
    let y: tf.Tensor = spec.depthwise ? tf.depthwiseConv2d(x4, kernel, stride, pad) : tf.conv2d(x4, kernel, stride, pad);
    if (spec.bias) y = tf.add(y, this.get(`${spec.name}/bias`));
    if (spec.bn) {
      const off = spec.bn.offset ?? 0;
      const part = (s: string) => tf.slice(this.get(`${spec.bn!.name}/${s}`), [off], [spec.filters]) as tf.Tensor1D;
      y = tf.batchNorm(y as tf.Tensor4D, part('mean'), part('variance'), part('beta'), part('gamma'), this.eps);
    }
    switch (spec.activation ?? 'linear') {
      case 'relu':
        return tf.relu(y);
      case 'swish':
        return tf.mul(y, tf.sigmoid(y));
      case 'sigmoid':
        return tf.sigmoid(y);
      default:
        return y;
    }
  }

  mbconv(x: tf.Tensor, block: MBConvBlockSpec, padding: PaddingMode): tf.Tensor {
    const l = mbconvLayers(block, padding);
    const e = l.expand ? this.conv(x, l.expand) : x;
    const d = this.conv(e, l.depthwise);
    const s = this.conv(this.conv(tf.mean(d, [1, 2], true), l.seReduce), l.seExpand);
    const y = this.conv(tf.mul(d, s), l.project);
    return block.residual ? tf.add(y, x) : y;
  }

  relu(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }

  add(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.add(a, b);
  }

  concat(xs: tf.Tensor[]): tf.Tensor {
    return tf.concat(xs, 3);
  }

  pool(x: tf.Tensor, type: 'max' | 'avg', size: number, stride: number, padding: LayerPadding): tf.Tensor {
    const x4 = x as tf.Tensor4D;
    const pad = tfPadding(padding, size, stride, 1, x4.shape[1], x4.shape[2]);
    return type === 'max' ? tf.maxPool(x4, size, stride, pad) : tf.avgPool(x4, size, stride, pad);
  }

  shift(x: tf.Tensor): tf.Tensor {
    const [n, h, w, c] = x.shape;
    return tf.slice(tf.pad(x as tf.Tensor4D, [[0, 0], [0, 1], [0, 1], [0, 0]]), [0, 1, 1, 0], [n, h, w, c]);
  }

  globalAvgPool(x: tf.Tensor): tf.Tensor {
    return tf.mean(x, [1, 2]);
  }

  dense(x: tf.Tensor, name: string): tf.Tensor {
    return tf.add(tf.matMul(x as tf.Tensor2D, this.get(`${name}/kernel`) as tf.Tensor2D), this.get(`${name}/bias`));
  }
}

function unfolded<C extends {bnEpsilon: number}>(graph: ModelGraph<C>, config: C, weights: Map<string, tf.Tensor>, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => graph(new UnfoldedOps(weights, config.bnEpsilon), x, config));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('EfficientNet (tiny: width 0.25, depth 0.25, 64x64) on cpu', () => {
  it('predicts logits of the right shape, finite, for NHWC and HWC inputs; dispose frees everything', () => {
    const config = tinyEfficientNet();
    const before = tf.memory().numTensors;
    const weights = randomEfficientNetWeights(config, 1);
    const model = buildEfficientNet(config, weights);
    tf.dispose([...weights.values()]);
    const afterBuild = tf.memory().numTensors;
    expect(afterBuild - before).toBe(model.numTensors);
    const x = image(2, 64, 64);
    const y = model.predict(x);
    expect(y.shape).toEqual([2, 10]);
    expect(finite(y.dataSync())).toBe(true);
    const single = tf.tidy(() => tf.squeeze(tf.slice(x, [1, 0, 0, 0], [1, 64, 64, 3]), [0]));
    const one = model.predict(single);
    expect(one.shape).toEqual([10]);
    expectClose(
      [{shape: [10], dtype: 'float32', values: one.dataSync()}],
      [{shape: [10], dtype: 'float32', values: y.dataSync().slice(10)}],
      1e-5, 1e-6, 'batch item vs single image',
    );
    tf.dispose([x, y, one, single]);
    expect(tf.memory().numTensors).toBe(afterBuild);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => model.predict(image(1, 64, 64))).toThrow(/disposed/);
  });

  it('works at any input size; includeTop false gives the head feature map', () => {
    const config = efficientNetConfig({width: 0.25, depth: 0.25, resolution: 64}, {includeTop: false});
    const weights = randomEfficientNetWeights(config, 2);
    const model = buildEfficientNet(config, weights);
    for (const [h, w] of [[64, 64], [33, 50]]) {
      const x = image(1, h, w);
      const y = model.predict(x);
      expect(y.shape).toEqual([1, Math.ceil(h / 32), Math.ceil(w / 32), 320]);
      expect(traceGraph(efficientNetGraph, config, h, w).outputShape).toEqual(y.shape);
      expect(finite(y.dataSync())).toBe(true);
      tf.dispose([x, y]);
    }
    model.dispose();
    tf.dispose([...weights.values()]);
  });

  it('seeded weights are deterministic and depend on the seed', () => {
    const config = tinyEfficientNet();
    const spec = efficientNetWeightSpec(config);
    const a = randomEfficientNetWeights(config, 7);
    const b = randomEfficientNetWeights(config, 7);
    const c = randomEfficientNetWeights(config, 8);
    expect([...a.keys()]).toEqual(spec.map((s) => s.name));
    for (const s of spec) {
      expect(a.get(s.name)!.shape).toEqual(s.shape);
      expect(Array.from(a.get(s.name)!.dataSync())).toEqual(Array.from(b.get(s.name)!.dataSync()));
      expect(Array.from(a.get(s.name)!.dataSync())).toEqual(Array.from(randomWeightValues(s, 7)));
    }
    const k = 'blocks/1/expand/conv/kernel';
    expect(Array.from(a.get(k)!.dataSync())).not.toEqual(Array.from(c.get(k)!.dataSync()));
    // He initialisation: std close to sqrt(2 / fan_in).
    const v = a.get(k)!.dataSync();
    const fanIn = a.get(k)!.shape[2]!;
    const std = Math.sqrt(v.reduce((s, t) => s + t * t, 0) / v.length);
    expect(std / Math.sqrt(2 / fanIn)).toBeGreaterThan(0.8);
    expect(std / Math.sqrt(2 / fanIn)).toBeLessThan(1.2);
    const gamma = a.get('stem/bn/gamma')!.dataSync();
    expect(Math.min(...gamma)).toBeGreaterThanOrEqual(0.8);
    expect(Math.max(...gamma)).toBeLessThanOrEqual(1.2);
    const model1 = buildEfficientNet(config, a);
    const model2 = buildEfficientNet(config, b);
    const x = image(1, 64, 64);
    const y1 = model1.predict(x);
    const y2 = model2.predict(x);
    expect(Array.from(y1.dataSync())).toEqual(Array.from(y2.dataSync()));
    tf.dispose([x, y1, y2, ...a.values(), ...b.values(), ...c.values()]);
    model1.dispose();
    model2.dispose();
  });

  it("'same' and 'symmetric' give the same shapes at odd and even sizes; values differ where a stride-2 input is even", () => {
    const same = tinyEfficientNet('same');
    const sym = tinyEfficientNet('symmetric');
    const weights = randomEfficientNetWeights(same, 3);
    const a = buildEfficientNet({...same, includeTop: false}, weights);
    const b = buildEfficientNet({...sym, includeTop: false}, weights);
    for (const size of [63, 64, 65, 66]) {
      const x = image(1, size, size, size);
      const ya = a.predict(x);
      const yb = b.predict(x);
      const expected = traceModel({...same, includeTop: false}, size).outputShape;
      expect(ya.shape).toEqual(expected);
      expect(yb.shape).toEqual(expected);
      expect(ya.shape).toEqual([1, Math.ceil(size / 32), Math.ceil(size / 32), 320]);
      const va = ya.dataSync();
      const vb = yb.dataSync();
      let diff = 0;
      for (let i = 0; i < va.length; i++) diff = Math.max(diff, Math.abs(va[i] - vb[i]));
      // TF's SAME at stride 2 pads symmetrically on odd sizes: 65 -> 33 -> 17 -> 9 -> 5 -> 3 never
      // meets an even size, so both rules pad identically there.
      let allOdd = true;
      for (let n = size, i = 0; i < 5; i++, n = Math.ceil(n / 2)) allOdd &&= n % 2 === 1;
      if (allOdd) expect(diff).toBe(0);
      else expect(diff).toBeGreaterThan(1e-3);
      tf.dispose([x, ya, yb]);
    }
    a.dispose();
    b.dispose();
    tf.dispose([...weights.values()]);
  });

  for (const padding of ['same', 'symmetric'] as const) {
    it(`folded batch norms match an unfolded run (${padding})`, () => {
      const config = {...tinyEfficientNet(padding), bnEpsilon: 1e-3};
      const weights = randomEfficientNetWeights(config, 4);
      const model = buildEfficientNet(config, weights);
      const x = image(2, 65, 64);
      const y = model.predict(x);
      const r = unfolded(efficientNetGraph, config, weights, x);
      expectClose(
        [{shape: y.shape, dtype: 'float32', values: y.dataSync()}],
        [{shape: r.shape, dtype: 'float32', values: r.dataSync()}],
        1e-4, 1e-5, 'folded vs unfolded',
      );
      tf.dispose([x, y, r, ...weights.values()]);
      model.dispose();
    });
  }

  it('names missing or mis-shaped weights', () => {
    const config = tinyEfficientNet();
    const weights = randomEfficientNetWeights(config, 5);
    const missing = new Map(weights);
    missing.delete('blocks/2/se/reduce/bias');
    expect(() => buildEfficientNet(config, missing)).toThrow(/EfficientNet-tiny: missing weights: blocks\/2\/se\/reduce\/bias/);
    const wrong = new Map(weights);
    wrong.set('head/bn/gamma', tf.ones([3]));
    expect(() => buildEfficientNet(config, wrong)).toThrow(/weight 'head\/bn\/gamma' has shape \[3\], expected \[320\]/);
    const model = buildEfficientNet(config, weights);
    expect(() => model.predict(tf.zeros([1, 8, 8, 4]))).toThrow(/3 channels/);
    model.dispose();
    tf.dispose([...weights.values(), wrong.get('head/bn/gamma')!]);
  });
});

describe('AmoebaNet-B frees cell outputs as it goes', () => {
  it('releases each cell output once the two cells that read it have run, and never reads a released one', () => {
    const config = amoebaNetConfig({numCells: 6, numFilters: 8, resolution: 64, numClasses: 10});
    const tracer = new ShapeTracer();
    const released = new Set<TraceValue>();
    const scopes: number[] = [];
    const check = (v: unknown) => {
      for (const x of Array.isArray(v) ? v : [v]) {
        if (released.has(x as TraceValue)) throw new Error('read a released value');
      }
    };
    // The tracer's ops, each checking its inputs first, plus scope and release.
    const g = new Proxy(tracer, {
      get(target, key) {
        if (key === 'scope') return (fn: () => TraceValue) => (scopes.push(released.size), fn());
        if (key === 'release') {
          return (x: TraceValue) => {
            check(x);
            released.add(x);
          };
        }
        const member = Reflect.get(target, key) as unknown;
        if (typeof member !== 'function') return member;
        return (...args: unknown[]) => {
          args.forEach(check);
          return (member as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as unknown as Ops<TraceValue>;
    const input: TraceValue = {rank: 4, h: 64, w: 64, c: 3};
    const out = amoebaNetGraph(g, input, config);
    expect(out.c).toBe(10);
    expect(released.has(input)).toBe(false);
    // 2 stem cells, 2 reduction cells and 6 normal cells in scopes; every output but the last two released.
    expect(scopes.length).toBe(10);
    expect(released.size).toBe(10 + 1 - 2);
  });
});

describe('AmoebaNet-B (tiny: N=1, F=8, 64x64) on cpu', () => {
  it('predicts finite logits; matches an unfolded run', () => {
    const config = tinyAmoebaNet();
    const spec = amoebaNetWeightSpec(config);
    const names = new Set(spec.map((s) => s.name));
    // Stem cells, one reduction cell (N=1 puts both reductions before cell 0), one normal cell.
    expect(names.has('cell_stem_0/1x1/kernel')).toBe(true);
    expect(names.has('cell_stem_1/path1_conv/kernel')).toBe(true);
    expect(names.has('reduction_cell_0/comb_iter_1/right/3x3/kernel')).toBe(true);  // F/4 < 1 at the stem only
    expect(names.has('cell_0/comb_iter_1/right/separable_3x3_2/depthwise/kernel')).toBe(true);
    expect(names.has('reduction_cell_1/1x1/kernel')).toBe(false);
    const weights = randomAmoebaNetWeights(config, 11);
    const model = buildAmoebaNet(config, weights);
    const x = image(2, 64, 64);
    const y = model.predict(x);
    expect(y.shape).toEqual([2, 10]);
    expect(finite(y.dataSync())).toBe(true);
    const r = unfolded(amoebaNetGraph, config, weights, x);
    expectClose(
      [{shape: y.shape, dtype: 'float32', values: y.dataSync()}],
      [{shape: r.shape, dtype: 'float32', values: r.dataSync()}],
      1e-4, 1e-5, 'folded vs unfolded',
    );
    const features = buildAmoebaNet({...config, includeTop: false}, weights);
    const f = features.predict(x);
    // Normal cell output: 4 states x 2F filters after one reduction, 64 -> 31 -> 16 -> 8 -> 4.
    expect(f.shape).toEqual([2, 4, 4, 64]);
    expect(f.shape).toEqual([2, ...traceModel({...config, includeTop: false}, 64).outputShape.slice(1)]);
    tf.dispose([x, y, r, f, ...weights.values()]);
    model.dispose();
    features.dispose();
  });
});

interface Case {
  build: () => {predict(x: tf.Tensor): tf.Tensor; dispose(): void};
  input: () => tf.Tensor;
}

function buildWith<C>(config: C, random: (c: C, seed: number) => Map<string, tf.Tensor>, build: (c: C, w: Map<string, tf.Tensor>) => {predict(x: tf.Tensor): tf.Tensor; dispose(): void}, seed: number) {
  return () => {
    const w = random(config, seed);
    const m = build(config, w);
    tf.dispose([...w.values()]);
    return m;
  };
}

/** Models run on cpu once (memoised) and on native-cpu. */
const CASES: Record<string, Case> = {
  'EfficientNet same': {
    build: buildWith(tinyEfficientNet('same'), randomEfficientNetWeights, buildEfficientNet, 21),
    input: () => image(2, 65, 64, 22),
  },
  'EfficientNet symmetric': {
    build: buildWith(tinyEfficientNet('symmetric'), randomEfficientNetWeights, buildEfficientNet, 21),
    input: () => image(2, 65, 64, 22),
  },
  'AmoebaNet-B': {build: buildWith(tinyAmoebaNet(), randomAmoebaNetWeights, buildAmoebaNet, 23), input: () => image(1, 64, 64, 24)},
  'ResNet-50': {build: buildWith(smallResNet(), randomResNetWeights, buildResNet, 25), input: () => image(1, 64, 64, 26)},
};

async function run(backend: string, c: Case): Promise<Evaluated[]> {
  return evalOn(backend, () => {
    const model = c.build();
    const y = model.predict(c.input());
    model.dispose();
    return y;
  });
}

const cpuRuns = new Map<string, Promise<Evaluated[]>>();
function onCpu(key: string): Promise<Evaluated[]> {
  if (!cpuRuns.has(key)) cpuRuns.set(key, run('cpu', CASES[key]));
  return cpuRuns.get(key)!;
}

describe('ResNet-50 (10 classes, 64x64) on cpu', () => {
  it('predicts finite logits', async () => {
    const [out] = await onCpu('ResNet-50');
    expect(out.shape).toEqual([1, 10]);
    expect(finite(out.values as Float32Array)).toBe(true);
  });

  it('matches an unfolded run (ResNet-50 topology at 1/8 width, 33x32 input, 3 classes)', () => {
    const config = resNetConfig(50, {numClasses: 3, resolution: 32, stemChannels: 8, widths: [8, 16, 32, 64]});
    const weights = randomResNetWeights(config, 12);
    const model = buildResNet(config, weights);
    const x = image(1, 33, 32);
    const y = model.predict(x);
    const r = unfolded(resNetGraph, config, weights, x);
    // 53 convs deep: float32 rounding of the folded kernels accumulates to a few 1e-4.
    expectClose(
      [{shape: y.shape, dtype: 'float32', values: y.dataSync()}],
      [{shape: r.shape, dtype: 'float32', values: r.dataSync()}],
      1e-3, 1e-4, 'folded vs unfolded',
    );
    tf.dispose([x, y, r, ...weights.values()]);
    model.dispose();
  });
});

describe('native-cpu against cpu (within 1e-4 relative)', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it("native-cpu fuses swish into its conv kernels (x * sigmoid(x), negatives included)", async () => {
    await tf.setBackend('native-cpu');
    expect(backendFusesSwish()).toBe(true);
  });

  for (const key of ['EfficientNet same', 'EfficientNet symmetric']) {
    it(`tiny ${key}, every ISA level`, async () => {
      const expected = await onCpu(key);
      await forEachIsa(async (isa) => {
        expectClose(await run('native-cpu', CASES[key]), expected, 1e-4, 1e-5, `${key} ${isa}`);
      });
    });
  }

  for (const key of ['AmoebaNet-B', 'ResNet-50']) {
    it(key, async () => {
      expectClose(await run('native-cpu', CASES[key]), await onCpu(key), 1e-4, 1e-5, key);
    });
  }
});

describe('seeded random weights of deep residual networks', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  // Untrained batch norms do not normalise: with every gamma ~1 each residual block doubled its input's
  // variance, B7's logits reached ~1e7 and a one-ulp change of one pixel moved them by 50x their size,
  // so no two correct backends could agree on it. Random weights draw the gammas that end residual
  // branches small.
  it('small gammas end exactly the residual branches; logits stay of order one and insensitive to one ulp', async () => {
    await tf.setBackend('native-cpu');
    const config = efficientNetConfig('b7');
    const spec = efficientNetWeightSpec(config);
    const marked = spec.filter((s) => s.residualBranchEnd).map((s) => s.name);
    const residualBlocks = efficientNetBlocks(config).filter((b) => b.residual);
    expect(residualBlocks.length).toBe(48);
    expect(marked).toEqual(residualBlocks.map((b) => `blocks/${b.index}/project/bn/gamma`));
    const weights = randomEfficientNetWeights(config, 1);
    const ends = weights.get(marked[0]!)!.dataSync();
    expect(Math.min(...ends)).toBeGreaterThanOrEqual(0.1);
    expect(Math.max(...ends)).toBeLessThanOrEqual(0.3);

    const model = buildEfficientNet(config, weights);
    const size = 64;
    const pixels = randomFloats(size * size * 3, 99, -1, 1);
    const nudged = pixels.slice();
    nudged[0] = Math.fround(nudged[0]! * (1 + 2 ** -22));
    const logits = (values: Float32Array) =>
      tf.tidy(() => model.predict(tf.tensor(values, [1, size, size, 3]))).dataSync() as Float32Array;
    const a = logits(pixels);
    const b = logits(nudged);
    const scale = Math.max(...a.map(Math.abs));
    expect(scale).toBeGreaterThan(1e-3);
    expect(scale).toBeLessThan(10);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(a[i]!), scale * 1e-2));
    expect(worst).toBeLessThan(1e-4);
    model.dispose();
    tf.dispose([...weights.values()]);
  });

  it("ResNet-152: the small gammas are exactly the bottlenecks' bn3", () => {
    const marked = resNetWeightSpec(resNetConfig(152)).filter((s) => s.residualBranchEnd).map((s) => s.name);
    const expected = [3, 8, 36, 3].flatMap((count, l) => Array.from({length: count}, (_, b) => `layers/${l}/${b}/bn3/gamma`));
    expect(marked).toEqual(expected);
  });
});
