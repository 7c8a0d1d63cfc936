// Parameter and multiply-add counts from the shape walk, against torchvision's numbers and the
// paper's; rounding rules, the B0 block table, compound scaling. Pure arithmetic: no tensors.
import {describe, expect, it} from 'vitest';

import {amoebaNetConfig, reductionLayers} from '../src/models/amoebanet.js';
import {countMultiplyAdds, countParams, type ModelConfig, traceModel, weightSpec} from '../src/models/count.js';
import {efficientNetWeightSpec} from '../src/models/efficientnet.js';
import {resNetConfig, resNetWeightSpec} from '../src/models/resnet.js';
import {compoundScale, efficientNetBlocks, efficientNetConfig, roundFilters, roundRepeats} from '../src/models/scaling.js';
import {table2Rows, table7Rows} from '../src/models/tables.js';

// torchvision 0.14, 1000 classes: sum of numel() over parameters().
const TORCHVISION_PARAMS: Record<string, number> = {
  b0: 5_288_548,
  b1: 7_794_184,
  b2: 9_109_994,
  b3: 12_233_232,
  b4: 19_341_616,
  b5: 30_389_784,
  b6: 43_040_704,
  b7: 66_347_960,
};

// Multiply-adds (convs and FC) at each variant's resolution, in G.
const MULTIPLY_ADDS: Record<string, number> = {
  b0: 0.386, b1: 0.687, b2: 0.994, b3: 1.827, b4: 4.394, b5: 10.266, b6: 19.068, b7: 37.746,
};

describe('rounding', () => {
  it('round_filters', () => {
    expect(roundFilters(32, 1.0)).toBe(32);
    expect(roundFilters(32, 1.1)).toBe(32);  // 35.2 -> floor(39.2/8)*8 = 32 (>= 0.9 * 35.2)
    expect(roundFilters(40, 1.1)).toBe(48);  // 44 -> 48
    expect(roundFilters(16, 1.2)).toBe(24);  // 19.2 -> 16 < 17.28 -> 24
    expect(roundFilters(1280, 1.4)).toBe(1792);
    expect(roundFilters(320, 2.0)).toBe(640);
    expect(roundFilters(24, 0.25)).toBe(8);  // never below the divisor
    expect(roundFilters(112, 1.8)).toBe(200);  // 201.6 -> 200
    expect(roundFilters(10, 1, 4)).toBe(12);
  });

  it('round_repeats', () => {
    expect(roundRepeats(3, 1.0)).toBe(3);
    expect(roundRepeats(3, 1.1)).toBe(4);
    expect(roundRepeats(1, 3.1)).toBe(4);
    expect(roundRepeats(4, 0.25)).toBe(1);
    expect(roundRepeats(2, 1.2)).toBe(3);
  });
});

describe('EfficientNet block table', () => {
  it("B0's blocks stage by stage", () => {
    const blocks = efficientNetBlocks(efficientNetConfig('b0'));
    expect(blocks).toHaveLength(16);
    const row = (b: (typeof blocks)[number]) =>
      [b.stage, b.kernelSize, b.stride, b.expandRatio, b.inChannels, b.expandedChannels, b.seChannels, b.outChannels, b.residual];
    expect(blocks.map(row)).toEqual([
      [0, 3, 1, 1, 32, 32, 8, 16, false],
      [1, 3, 2, 6, 16, 96, 4, 24, false],
      [1, 3, 1, 6, 24, 144, 6, 24, true],
      [2, 5, 2, 6, 24, 144, 6, 40, false],
      [2, 5, 1, 6, 40, 240, 10, 40, true],
      [3, 3, 2, 6, 40, 240, 10, 80, false],
      [3, 3, 1, 6, 80, 480, 20, 80, true],
      [3, 3, 1, 6, 80, 480, 20, 80, true],
      [4, 5, 1, 6, 80, 480, 20, 112, false],
      [4, 5, 1, 6, 112, 672, 28, 112, true],
      [4, 5, 1, 6, 112, 672, 28, 112, true],
      [5, 5, 2, 6, 112, 672, 28, 192, false],
      [5, 5, 1, 6, 192, 1152, 48, 192, true],
      [5, 5, 1, 6, 192, 1152, 48, 192, true],
      [5, 5, 1, 6, 192, 1152, 48, 192, true],
      [6, 3, 1, 6, 192, 1152, 48, 320, false],
    ]);
    expect(blocks.map((b) => b.index)).toEqual([...Array(16).keys()]);
  });

  it('block counts of B1-B7 (sum of ceil(d * repeats))', () => {
    const counts = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7'].map((v) => efficientNetBlocks(efficientNetConfig(v)).length);
    expect(counts).toEqual([23, 23, 26, 32, 39, 45, 55]);
  });

  it('canonical weight names and shapes of B0', () => {
    const spec = efficientNetWeightSpec(efficientNetConfig('b0'));
    const shape = new Map(spec.map((s) => [s.name, s.shape]));
    expect(spec[0]).toMatchObject({name: 'stem/conv/kernel', shape: [3, 3, 3, 32]});
    expect(shape.get('stem/bn/variance')).toEqual([32]);
    expect(shape.has('blocks/0/expand/conv/kernel')).toBe(false);
    expect(shape.get('blocks/0/depthwise/conv/kernel')).toEqual([3, 3, 32, 1]);
    expect(shape.get('blocks/0/se/reduce/kernel')).toEqual([1, 1, 32, 8]);
    expect(shape.get('blocks/0/se/reduce/bias')).toEqual([8]);
    expect(shape.get('blocks/0/se/expand/kernel')).toEqual([1, 1, 8, 32]);
    expect(shape.get('blocks/0/project/conv/kernel')).toEqual([1, 1, 32, 16]);
    expect(shape.get('blocks/1/expand/conv/kernel')).toEqual([1, 1, 16, 96]);
    expect(shape.get('blocks/1/expand/bn/gamma')).toEqual([96]);
    expect(shape.get('blocks/15/project/bn/mean')).toEqual([320]);
    expect(shape.get('head/conv/kernel')).toEqual([1, 1, 320, 1280]);
    expect(shape.get('classifier/kernel')).toEqual([1280, 1000]);
    expect(shape.get('classifier/bias')).toEqual([1000]);
    // 16 blocks: 15 with expand; per block 4 BN tensors x (2 or 3) BNs + 4 SE + 2-3 kernels.
    expect(spec.length).toBe(new Set(spec.map((s) => s.name)).size);
    const noTop = efficientNetWeightSpec(efficientNetConfig('b0', {includeTop: false}));
    expect(noTop.some((s) => s.name.startsWith('classifier/'))).toBe(false);
    expect(noTop.length).toBe(spec.length - 2);
  });
});

describe('parameter counts', () => {
  for (const [variant, params] of Object.entries(TORCHVISION_PARAMS)) {
    it(`EfficientNet-${variant.toUpperCase()} has torchvision's ${params} parameters`, () => {
      expect(countParams(efficientNetConfig(variant))).toBe(params);
    });
  }

  it("ResNet-152 has torchvision's 60,192,808 parameters (ResNet-50 25,557,032, ResNet-101 44,549,160)", () => {
    expect(countParams(resNetConfig(152))).toBe(60_192_808);
    expect(countParams(resNetConfig(50))).toBe(25_557_032);
    expect(countParams(resNetConfig(101))).toBe(44_549_160);
  });

  it("scaled-down torchvision networks: the fixtures' state-dict sizes", () => {
    // scripts/fixtures/generate.py counts every state-dict tensor (running statistics included):
    // torchvision EfficientNet-B0 settings at width 0.25, depth 0.25 or 0.5; torchvision's
    // Bottleneck ResNet with stage widths 4 * (1, 2, 4, 8), blocks [1, 2, 1, 1].
    const numel = (config: ModelConfig) => weightSpec(config).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    const runningStats = (config: ModelConfig) =>
      weightSpec(config).filter((s) => s.role === 'mean' || s.role === 'variance').reduce((n, s) => n + s.shape[0], 0);
    const e1 = efficientNetConfig({width: 0.25, depth: 0.25, resolution: 32}, {numClasses: 10});
    const e2 = efficientNetConfig({width: 0.25, depth: 0.5, resolution: 32}, {numClasses: 7});
    const tiny = resNetConfig(50, {blocks: [1, 2, 1, 1], stemChannels: 4, widths: [4, 8, 16, 32], numClasses: 6});
    expect([numel(e1), numel(e2), numel(tiny)]).toEqual([131_190, 208_141, 36_258]);
    for (const c of [e1, e2, tiny]) expect(countParams(c)).toBe(numel(c) - runningStats(c));
    // layer 1's first block: stem 4 channels -> 16, so it has a downsample; 4 * 4 = 16 would not.
    const noDown = resNetConfig(50, {blocks: [1, 1, 1, 1], stemChannels: 16, widths: [4, 8, 16, 32]});
    expect(resNetWeightSpec(noDown).some((s) => s.name === 'layers/0/0/downsample/conv/kernel')).toBe(false);
    expect(resNetWeightSpec(noDown).some((s) => s.name === 'layers/1/0/downsample/conv/kernel')).toBe(true);
  });

  it('AmoebaNet-B (N=18, F=512, 1001 classes) has about 557M parameters', () => {
    const params = countParams(amoebaNetConfig());
    expect(Math.abs(params - 557e6) / 557e6).toBeLessThan(0.005);
  });

  it('classes and includeTop change only the classifier', () => {
    const b0 = countParams(efficientNetConfig('b0'));
    expect(countParams(efficientNetConfig('b0', {numClasses: 10}))).toBe(b0 - 990 * 1281);
    expect(countParams(efficientNetConfig('b0', {includeTop: false}))).toBe(b0 - 1000 * 1281);
    expect(countParams(efficientNetConfig('b0', {padding: 'symmetric'}))).toBe(b0);
  });
});

describe('multiply-add counts', () => {
  for (const [variant, gmacs] of Object.entries(MULTIPLY_ADDS)) {
    it(`EfficientNet-${variant.toUpperCase()}: ${gmacs}G at its resolution (within 0.5%)`, () => {
      const macs = countMultiplyAdds(efficientNetConfig(variant)) / 1e9;
      expect(Math.abs(macs - gmacs) / gmacs).toBeLessThan(0.005);
    });
  }

  it('ResNet-152: 11.514G at 224', () => {
    const macs = countMultiplyAdds(resNetConfig(152)) / 1e9;
    expect(Math.abs(macs - 11.514) / 11.514).toBeLessThan(0.005);
  });

  it('AmoebaNet-B (18, 512): about 299G at 480', () => {
    const macs = countMultiplyAdds(amoebaNetConfig()) / 1e9;
    expect(Math.abs(macs - 299) / 299).toBeLessThan(0.01);
  });

  it('B0 exactly: the walk adds up conv and FC multiply-adds by hand', () => {
    // Stem: 112*112*27*32; head 7*7*320*1280; FC 1280*1000.
    const layers = traceModel(efficientNetConfig('b0')).layers;
    expect(layers[0].multiplyAdds).toBe(112 * 112 * 27 * 32);
    expect(layers[layers.length - 1].multiplyAdds).toBe(1280 * 1000);
    expect(layers[layers.length - 2].multiplyAdds).toBe(7 * 7 * 320 * 1280);
  });

  it('the count scales with the resolution and does not depend on the padding mode', () => {
    const b0 = efficientNetConfig('b0');
    const sym = efficientNetConfig('b0', {padding: 'symmetric'});
    for (const r of [223, 224, 225, 300]) expect(countMultiplyAdds(sym, r)).toBe(countMultiplyAdds(b0, r));
    expect(countMultiplyAdds(b0, 448)).toBeGreaterThan(3.9 * countMultiplyAdds(b0, 224));
  });

  it("Table 7's rows scale B0 literally: d=4 1.575G, w=2 1.450G, r=2 1.538G, compound 1.800G", () => {
    const rows = table7Rows();
    const ours = Object.fromEntries(rows.map((r) => [r.label, r.multiplyAdds / 1e9]));
    expect(ours['Scale model by depth (d=4)']).toBeCloseTo(1.575, 3);
    expect(ours['Scale model by width (w=2)']).toBeCloseTo(1.450, 3);
    expect(ours['Scale model by resolution (r=2)']).toBeCloseTo(1.538, 3);
    expect(ours['Compound scale (d=1.4, w=1.2, r=1.3)']).toBeCloseTo(1.800, 3);
    expect(rows.map((r) => r.paperMultiplyAdds)).toEqual([0.4e9, 1.8e9, 1.8e9, 1.9e9, 1.8e9]);
    expect(ours['Baseline model (EfficientNet-B0)']).toBeCloseTo(0.386, 3);
  });
});

describe('compound scaling', () => {
  it('phi=1: depth 1.2, width 1.1, resolution 1.15 * 224 = 258', () => {
    const s = compoundScale(1);
    expect(s.depth).toBeCloseTo(1.2, 12);
    expect(s.width).toBeCloseTo(1.1, 12);
    expect(s.resolutionMultiplier).toBeCloseTo(1.15, 12);
    expect(s.resolution).toBe(258);
    expect(s.flopsMultiplier).toBeCloseTo(1.2 * 1.1 ** 2 * 1.15 ** 2, 12);
    expect(s.config).toMatchObject({family: 'efficientnet', depth: s.depth, width: s.width, resolution: 258, numClasses: 1000});
  });

  it('phi=0 is B0; larger phi grows every coefficient; the FLOPS target is about 2^phi', () => {
    const s0 = compoundScale(0);
    expect([s0.depth, s0.width, s0.resolution]).toEqual([1, 1, 224]);
    expect(countParams(s0.config)).toBe(TORCHVISION_PARAMS.b0);
    const s3 = compoundScale(3, {alpha: 1.2, beta: 1.1, gamma: 1.15});
    expect(s3.depth).toBeCloseTo(1.728, 10);
    expect(s3.width).toBeCloseTo(1.331, 10);
    expect(s3.resolution).toBe(Math.round(224 * 1.15 ** 3));
    // alpha * beta^2 * gamma^2 = 1.92, the paper's "approximately 2".
    expect(s3.flopsMultiplier).toBeCloseTo((1.2 * 1.1 ** 2 * 1.15 ** 2) ** 3, 10);
    expect(s3.flopsMultiplier).toBeGreaterThan(2 ** 3 * 0.85);
    expect(s3.flopsMultiplier).toBeLessThan(2 ** 3);
    // The measured multiply-adds follow the target loosely (channel and depth rounding).
    const ratio = countMultiplyAdds(s3.config) / countMultiplyAdds(s0.config);
    expect(ratio).toBeGreaterThan(6);
    expect(ratio).toBeLessThan(10);
  });

  it('custom coefficients and options pass through', () => {
    const s = compoundScale(2, {alpha: 1.1, beta: 1.2, gamma: 1.0}, {padding: 'symmetric', numClasses: 10});
    expect(s.resolution).toBe(224);
    expect(s.config.padding).toBe('symmetric');
    expect(s.config.numClasses).toBe(10);
    expect(() => compoundScale(1, {alpha: 0, beta: 1, gamma: 1})).toThrow(/alpha must be a positive number/);
  });
});

describe('configurations', () => {
  it('accepts variant names in several spellings and rejects unknown ones', () => {
    expect(efficientNetConfig('B3').name).toBe('b3');
    expect(efficientNetConfig('efficientnet-b7')).toMatchObject({width: 2.0, depth: 3.1, resolution: 600, dropout: 0.5});
    expect(() => efficientNetConfig('b8')).toThrow(/unknown variant 'b8'; supported: b0..b7/);
    expect(() => efficientNetConfig({width: -1, depth: 1, resolution: 224})).toThrow(/width must be a positive number/);
    expect(() => efficientNetConfig('b0', {padding: 'valid' as 'same'})).toThrow(/padding 'valid' is not supported/);
    expect(() => resNetConfig(34 as 50)).toThrow(/supported: 50, 101, 152/);
    expect(() => amoebaNetConfig({numFilters: 0})).toThrow(/numFilters must be a positive integer/);
  });

  it('ResNet-152 names follow torchvision layout', () => {
    const spec = resNetWeightSpec(resNetConfig(152));
    const shape = new Map(spec.map((s) => [s.name, s.shape]));
    expect(shape.get('stem/conv/kernel')).toEqual([7, 7, 3, 64]);
    expect(shape.get('layers/0/0/downsample/conv/kernel')).toEqual([1, 1, 64, 256]);
    expect(shape.get('layers/1/0/conv2/kernel')).toEqual([3, 3, 128, 128]);
    expect(shape.get('layers/2/35/conv3/kernel')).toEqual([1, 1, 256, 1024]);
    expect(shape.has('layers/2/36/conv1/kernel')).toBe(false);
    expect(shape.has('layers/1/1/downsample/conv/kernel')).toBe(false);
    expect(shape.get('classifier/kernel')).toEqual([2048, 1000]);
  });

  it('AmoebaNet reduction cells sit at N/3 and 2N/3', () => {
    expect(reductionLayers(18, 2)).toEqual([6, 12]);
    expect(reductionLayers(1, 2)).toEqual([0, 0]);
    expect(reductionLayers(12, 2)).toEqual([4, 8]);
  });
});

describe('tables', () => {
  it('Table 2 rows carry our counts beside the paper values', () => {
    const rows = table2Rows();
    expect(rows.map((r) => r.model)).toEqual([
      'EfficientNet-B0', 'EfficientNet-B1', 'EfficientNet-B2', 'EfficientNet-B3', 'EfficientNet-B4',
      'EfficientNet-B5', 'EfficientNet-B6', 'EfficientNet-B7', 'ResNet-152', 'AmoebaNet-B (GPipe)',
    ]);
    expect(rows[0].params).toBe(TORCHVISION_PARAMS.b0);
    expect(rows[0].paperParams).toBe(5.3e6);
    expect(rows[8].params).toBe(60_192_808);
    expect(rows[9].paperParams).toBe(557e6);
    expect(rows[9].paperMultiplyAdds).toBeNull();
  });
});
