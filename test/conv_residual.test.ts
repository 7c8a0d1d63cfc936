// EffnetConv2DResidual (activation(conv2d + bias + residual) in one native pass) against
// tfjs-backend-cpu's conv2d + add + activation, and ResNet with and without it.
import {afterAll, describe, expect, it} from 'vitest';

import {getThreads, setThreads} from '../src/index.js';
import {loadCpuAddon} from '../src/native.js';
import {
  CONV_RESIDUAL_KERNEL,
  type ConvResidualActivation,
  type ConvResidualArgs,
  convResidual,
  convResidualComposite,
  hasConvResidual,
  setConvResidualFusion,
} from '../src/models/conv_residual.js';
import {buildResNet, randomResNetWeights, resNetConfig} from '../src/models/resnet.js';
import {compareWithCpu, evalOn, expectClose, forEachIsa, randomFloats, sumAtol, tf} from './util/reference.js';

type Pad = ConvResidualArgs['pad'];

interface Case {
  batch: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: Pad;
  dilation?: number;
  bias?: 'channel' | 'none' | 'full';
}

const CASES: Case[] = [
  {batch: 1, h: 7, w: 9, cin: 5, cout: 17, k: 1, stride: 1, pad: 'valid'},
  {batch: 2, h: 9, w: 7, cin: 17, cout: 33, k: 1, stride: 1, pad: 'same'},
  {batch: 2, h: 9, w: 11, cin: 24, cout: 40, k: 1, stride: 2, pad: 'valid'},
  {batch: 1, h: 11, w: 9, cin: 7, cout: 19, k: 3, stride: 1, pad: 'same'},
  {batch: 2, h: 13, w: 11, cin: 16, cout: 21, k: 3, stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]]},
  {batch: 2, h: 10, w: 9, cin: 9, cout: 35, k: 3, stride: 2, pad: 'same', dilation: 1, bias: 'none'},
  {batch: 1, h: 9, w: 9, cin: 5, cout: 7, k: 3, stride: 1, pad: 'same', dilation: 2, bias: 'full'},
  // K = 3*3*64 exercises K blocking, 30x30 pixel blocks.
  {batch: 1, h: 30, w: 29, cin: 64, cout: 67, k: 3, stride: 1, pad: 'same'},
];

function label(c: Case): string {
  return `${c.batch}x${c.h}x${c.w}x${c.cin} -> ${c.cout}, ${c.k}x${c.k} s${c.stride} pad ${JSON.stringify(c.pad)} d${c.dilation ?? 1} bias ${c.bias ?? 'channel'}`;
}

function outShape(c: Case): [number, number, number, number] {
  return tf.tidy(
    () =>
      tf.conv2d(tf.zeros([c.batch, c.h, c.w, c.cin]) as tf.Tensor4D, tf.zeros([c.k, c.k, c.cin, c.cout]) as tf.Tensor4D,
        c.stride, c.pad, 'NHWC', c.dilation ?? 1).shape,
  );
}

/** The fused kernel on native backends, conv2d + add + activation on cpu (the reference). */
function run(c: Case, activation: ConvResidualActivation, seed: number): () => tf.Tensor {
  const os = outShape(c);
  const x = randomFloats(c.batch * c.h * c.w * c.cin, seed);
  const f = randomFloats(c.k * c.k * c.cin * c.cout, seed + 1);
  const r = randomFloats(os.reduce((a, b) => a * b, 1), seed + 2, -2, 2);
  const biasShape = c.bias === 'full' ? os.slice(1) : [c.cout];
  const b = randomFloats(biasShape.reduce((a, v) => a * v, 1), seed + 3);
  return () => {
    const args: ConvResidualArgs = {
      x: tf.tensor4d(x, [c.batch, c.h, c.w, c.cin]),
      filter: tf.tensor4d(f, [c.k, c.k, c.cin, c.cout]),
      bias: c.bias === 'none' ? undefined : tf.tensor(b, biasShape),
      residual: tf.tensor4d(r, os),
      strides: c.stride,
      pad: c.pad,
      dilations: c.dilation ?? 1,
      activation,
    };
    if (tf.getBackend() === 'cpu') {
      expect(hasConvResidual()).toBe(false);
      return convResidualComposite(args);
    }
    expect(hasConvResidual()).toBe(true);
    return tf.engine().runKernel(CONV_RESIDUAL_KERNEL, {
      x: args.x, filter: args.filter, residual: args.residual, ...(args.bias ? {bias: args.bias} : {}),
    }, {strides: args.strides, pad: args.pad, dilations: args.dilations!, activation} as unknown as tf.NamedAttrMap) as tf.Tensor;
  };
}

const originalThreads = getThreads();
afterAll(async () => {
  setThreads(originalThreads);
  setConvResidualFusion(true);
  await tf.setBackend('cpu');
});

describe(CONV_RESIDUAL_KERNEL, () => {
  for (const c of CASES) {
    for (const activation of ['linear', 'relu'] as const) {
      it(`${label(c)} + residual, ${activation}`, async () => {
        setThreads(c.h === 30 ? 2 : 1);
        await compareWithCpu(run(c, activation, 31), {label: label(c), atol: sumAtol(c.k * c.k * c.cin)});
      });
    }
  }

  it('relu6, elu and sigmoid', async () => {
    for (const activation of ['relu6', 'elu', 'sigmoid'] as const) {
      await compareWithCpu(run(CASES[4], activation, 41), {label: activation});
    }
  });

  it('propagates NaN from the residual and the input', async () => {
    const c = CASES[3];
    const os = outShape(c);
    const x = randomFloats(c.batch * c.h * c.w * c.cin, 5);
    const r = randomFloats(os.reduce((a, b) => a * b, 1), 6);
    x[10] = NaN;
    r[3] = NaN;
    r[50] = -Infinity;
    const f = randomFloats(9 * c.cin * c.cout, 7);
    await compareWithCpu(() => {
      const args: ConvResidualArgs = {
        x: tf.tensor4d(x, [c.batch, c.h, c.w, c.cin]), filter: tf.tensor4d(f, [3, 3, c.cin, c.cout]),
        residual: tf.tensor4d(r, os), strides: 1, pad: 'same', activation: 'relu',
      };
      return tf.getBackend() === 'cpu' ? convResidualComposite(args) : convResidual(args);
    });
  });

  it('handles zero-size outputs', async () => {
    await tf.setBackend('native-cpu');
    const y = convResidual({
      x: tf.zeros([0, 5, 5, 3]), filter: tf.ones([1, 1, 3, 4]), residual: tf.zeros([0, 5, 5, 4]),
      strides: 1, pad: 'valid', activation: 'relu',
    });
    expect(y.shape).toEqual([0, 5, 5, 4]);
    y.dispose();
  });

  it('rejects bad input with errors naming the kernel and what is supported', async () => {
    await tf.setBackend('native-cpu');
    const x = tf.ones([1, 5, 5, 3]);
    const filter = tf.ones([1, 1, 3, 4]);
    const residual = tf.ones([1, 5, 5, 4]);
    const call = (inputs: tf.NamedTensorMap, attrs: Record<string, unknown> = {}) => () =>
      tf.engine().runKernel(CONV_RESIDUAL_KERNEL, inputs, {strides: 1, pad: 'valid', dilations: 1, activation: 'relu', ...attrs} as unknown as tf.NamedAttrMap);
    const bad: [() => unknown, RegExp][] = [
      [call({x, filter, residual: tf.ones([1, 5, 5, 3])}), /EffnetConv2DResidual: residual has shape \[1,5,5,3\]; supported: exactly the output's shape \[1,5,5,4\]/],
      [call({x, filter, residual: tf.ones([5, 5, 4])}), /EffnetConv2DResidual: residual has shape.*supported/],
      [call({x, filter, residual: tf.ones([1, 5, 5, 4], 'int32')}), /EffnetConv2DResidual: residual has dtype 'int32'; supported: float32/],
      [call({x: tf.ones([1, 5, 5, 3], 'int32'), filter, residual}), /EffnetConv2DResidual: x has dtype 'int32'; supported: float32/],
      [call({x, filter}), /EffnetConv2DResidual: missing input 'residual'; supported/],
      [call({x, filter, residual}, {activation: 'prelu'}), /EffnetConv2DResidual: unsupported activation 'prelu'; supported: linear, relu/],
      [call({x, filter, residual}, {activation: 'leakyrelu'}), /EffnetConv2DResidual: unsupported activation 'leakyrelu'; supported/],
      [call({x, filter: tf.ones([1, 1, 2, 4]), residual}), /EffnetConv2DResidual: x has 3 channels.*supported/],
      [call({x, filter, residual, bias: tf.ones([3])}), /EffnetConv2DResidual: bias of shape \[3\] does not broadcast.*supported/],
      [call({x, filter, residual}, {dataFormat: 'NCHW'}), /EffnetConv2DResidual: dataFormat 'NCHW'.*supported: NHWC/],
    ];
    const before = tf.memory().numTensors;
    for (const [fn, message] of bad) expect(fn).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, filter, residual]);
  });
});

describe('fusedConv2d entry: residual option', () => {
  it('rejects a too-small, freed or missing residual buffer with an Error', () => {
    const addon = loadCpuAddon();
    const call = (options: Record<string, unknown>) => () => (addon.fusedConv2d as (o: unknown) => unknown)(options);
    const buf = (n: number) => addon.create(new Float32Array(n).fill(0.5)) as number;
    const [x, filter, out, residual, small, freed] = [buf(16 * 2), buf(9 * 2 * 3), buf(4 * 3), buf(4 * 3), buf(4 * 3 - 1), buf(12)];
    addon.free(freed);
    const options = {
      x, filter, out, batch: 1, inH: 4, inW: 4, inC: 2, outH: 2, outW: 2, outC: 3, filterH: 3, filterW: 3,
      strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, activation: 1,
    };
    try {
      expect(call({...options, residual})).not.toThrow();
      expect(Array.from(new Float32Array(addon.read(out) as ArrayBuffer))).toEqual(new Array(12).fill(9 * 2 * 0.25 + 0.5));
      expect(call({...options, residual: small})).toThrow(/residual/);
      expect(call({...options, residual: freed})).toThrow(/residual/);
      expect(call({...options, residual: 'nope'})).toThrow(/residual/);
    } finally {
      for (const id of [x, filter, out, residual, small]) addon.free(id);
    }
  });
});

describe('ResNet with the fused conv + residual', () => {
  const config = resNetConfig(50, {numClasses: 5, resolution: 33, stemChannels: 8, widths: [8, 16, 24, 32], blocks: [2, 2, 2, 2]});
  const weights = randomResNetWeights(config, 3);
  afterAll(() => tf.dispose([...weights.values()]));

  async function predict(backend: string, fused: boolean): Promise<ReturnType<typeof evalOn>> {
    await tf.setBackend(backend);
    const previous = setConvResidualFusion(fused);
    try {
      const model = buildResNet(config, weights);
      try {
        return await evalOn(backend, () => model.predict(tf.tensor4d(randomFloats(2 * 33 * 33 * 3, 9), [2, 33, 33, 3])));
      } finally {
        model.dispose();
      }
    } finally {
      setConvResidualFusion(previous);
    }
  }

  it('native-cpu runs the fused kernel for every bottleneck', async () => {
    await tf.setBackend('native-cpu');
    expect(hasConvResidual()).toBe(true);
    const model = buildResNet(config, weights);
    const x = tf.tensor4d(randomFloats(33 * 33 * 3, 9), [1, 33, 33, 3]);
    const {kernels} = await tf.profile(() => model.predict(x));
    const names = kernels.map((k) => k.name);
    expect(names.filter((n) => n === CONV_RESIDUAL_KERNEL).length).toBe(8);
    expect(names).not.toContain('Add');
    expect(names).not.toContain('Relu');
    const previous = setConvResidualFusion(false);
    try {
      const unfused = (await tf.profile(() => model.predict(x))).kernels.map((k) => k.name);
      expect(unfused).not.toContain(CONV_RESIDUAL_KERNEL);
      expect(unfused.filter((n) => n === 'Add').length).toBe(8);
    } finally {
      setConvResidualFusion(previous);
    }
    tf.dispose(x);
    model.dispose();
  });

  it('with and without the kernel agree on native-cpu (1e-5 relative), and match cpu', async () => {
    setThreads(2);
    const reference = await predict('cpu', true);
    await forEachIsa(async (isa) => {
      const fused = await predict('native-cpu', true);
      const unfused = await predict('native-cpu', false);
      expectClose(fused, unfused, 1e-5, 1e-6, `fused vs unfused ${isa}`);
      expectClose(fused, reference, 1e-4, 1e-5, `fused vs cpu ${isa}`);
    });
  });
});
