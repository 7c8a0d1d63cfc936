// Every kernel family on native-cuda against tfjs-backend-cpu on seeded random inputs: odd sizes,
// channel counts that are not multiples of 8, broadcasting, strides 1 and 2, every padding mode,
// dilations, batch > 1, infinite and NaN weights and inputs in convolutions. A kernel the CUDA addon
// lacks fails here with an Error naming it.
import {expect, it} from 'vitest';

import {CUDA_UNREGISTERED_KERNELS} from '../../src/backend_cuda.js';
import {randomFloats, randomInts} from '../util/reference.js';
import {compareCudaWithCpu, describeGpu, tf} from './gpu_util.js';

const f = (shape: number[], seed: number, lo = -1, hi = 1) =>
  tf.tensor(randomFloats(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape, 'float32');
const f4 = (shape: number[], seed: number) => f(shape, seed) as tf.Tensor4D;
const i32 = (shape: number[], seed: number, lo = -10, hi = 10) =>
  tf.tensor(randomInts(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape, 'int32');

describeGpu('native-cuda kernels vs tfjs-backend-cpu', () => {
  it('binary ops with broadcasting (float32 and int32)', async () => {
    const shapes: [number[], number[]][] = [
      [[7], [7]], [[3, 5], [5]], [[2, 3, 1, 4], [3, 5, 1]], [[1], [2, 3, 17]], [[2, 1, 3], [1, 4, 1]], [[], [9]],
    ];
    const ops = [tf.add, tf.sub, tf.mul, tf.div, tf.maximum, tf.minimum, tf.squaredDifference, tf.pow, tf.mod,
      tf.floorDiv, tf.equal, tf.notEqual, tf.greater, tf.greaterEqual, tf.less, tf.lessEqual];
    for (const [as, bs] of shapes) {
      for (const op of ops) {
        await compareCudaWithCpu(() => op(f(as, 1, 0.5, 2), f(bs, 2, 0.5, 2)), {label: `${op.name} ${as} ${bs}`});
      }
      await compareCudaWithCpu(() => [tf.add(i32(as, 3), i32(bs, 4)), tf.mul(i32(as, 3), i32(bs, 4)),
        tf.floorDiv(i32(as, 3), i32(bs, 4, 1, 5))], {label: `int32 ${as} ${bs}`});
      await compareCudaWithCpu(() => tf.prelu(f(as, 5), f(bs, 6)), {label: `prelu ${as} ${bs}`});
    }
    await compareCudaWithCpu(() => [tf.logicalAnd(tf.greater(f([9], 1), 0), tf.less(f([9], 2), 0)),
      tf.logicalOr(tf.greater(f([3, 3], 1), 0), tf.less(f([3], 2), 0))]);
    await compareCudaWithCpu(() => tf.add(tf.tensor([NaN, Infinity, -Infinity, 1]), tf.tensor([1, NaN, Infinity, 2])));
    await compareCudaWithCpu(() => tf.maximum(tf.tensor([NaN, 1, 2]), tf.tensor([0, NaN, 1])));
  });

  it('unary ops, addN', async () => {
    const x = () => f([3, 37], 7, -4, 4);
    const pos = () => f([3, 37], 8, 0.01, 4);
    const unary = [tf.sigmoid, tf.relu, tf.relu6, tf.elu, tf.tanh, tf.exp, tf.square, tf.neg, tf.abs, tf.step, tf.floor,
      tf.ceil, tf.round, tf.sign, tf.erf, tf.softplus, tf.sin, tf.cos, tf.expm1, tf.isNaN];
    for (const op of unary) await compareCudaWithCpu(() => op(x()), {label: op.name});
    for (const op of [tf.log, tf.rsqrt, tf.sqrt, tf.reciprocal, tf.log1p]) await compareCudaWithCpu(() => op(pos()), {label: op.name});
    await compareCudaWithCpu(() => [tf.leakyRelu(x(), 0.3), tf.clipByValue(x(), -1.5, 2), tf.logicalNot(tf.greater(x(), 0))]);
    await compareCudaWithCpu(() => [tf.relu(i32([11], 1)), tf.abs(i32([11], 2)), tf.neg(i32([11], 3))]);
    await compareCudaWithCpu(() => tf.addN([f([5, 7], 1), f([5, 7], 2), f([5, 7], 3)]));
    await compareCudaWithCpu(() => tf.relu(tf.tensor([NaN, -1, 2])));
  });

  it('reductions (Sum, Mean, Max, Min, Prod, ArgMax, ArgMin, All, Any) and Softmax', async () => {
    const x = () => f([4, 5, 33], 11, -3, 3);
    for (const axis of [0, 1, 2, [0, 2], [1, 2], undefined]) {
      await compareCudaWithCpu(() => [tf.sum(x(), axis), tf.mean(x(), axis), tf.max(x(), axis), tf.min(x(), axis)],
        {label: `axis ${axis}`, rtol: 1e-5, atol: 1e-5});
      await compareCudaWithCpu(() => [tf.sum(x(), axis, true), tf.prod(f([4, 5, 3], 2, 0.5, 1.5), axis)], {label: `keepDims ${axis}`});
    }
    for (const axis of [0, 1, 2]) await compareCudaWithCpu(() => [tf.argMax(x(), axis), tf.argMin(x(), axis)], {label: `arg ${axis}`});
    await compareCudaWithCpu(() => [tf.all(tf.greater(x(), -2), 1), tf.any(tf.greater(x(), 2.5), 2)]);
    await compareCudaWithCpu(() => [tf.sum(i32([6, 7], 5), 1), tf.max(i32([6, 7], 5), 0)]);
    await compareCudaWithCpu(() => [tf.softmax(f([3, 1001], 3, -5, 5)), tf.softmax(f([2, 3, 7], 4))]);
    await compareCudaWithCpu(() => tf.mean(f([2, 7, 7, 37], 5), [1, 2]));  // global average pooling
  });

  it('layout: Transpose, Concat, Pack, Unpack, Slice, StridedSlice, Split, Pad, MirrorPad, Tile, BroadcastTo, Reverse', async () => {
    const x = () => f([2, 3, 5, 7], 21);
    await compareCudaWithCpu(() => [tf.transpose(x(), [0, 3, 1, 2]), tf.transpose(x(), [3, 2, 1, 0]), tf.transpose(f([224, 224, 3], 1), [2, 0, 1])]);
    await compareCudaWithCpu(() => [tf.concat([x(), f([2, 3, 5, 2], 3)], 3), tf.concat([x(), x()], 0), tf.concat([x(), f([2, 1, 5, 7], 4)], 1)]);
    await compareCudaWithCpu(() => [tf.stack([f([3, 4], 1), f([3, 4], 2)], 1), ...tf.unstack(f([3, 4], 1), 1)]);
    await compareCudaWithCpu(() => [tf.slice(x(), [1, 0, 2, 3], [1, 2, 3, 4]), tf.stridedSlice(x(), [0, 2, 4, 0], [2, 0, 0, 7], [1, -1, -2, 3])]);
    await compareCudaWithCpu(() => [...tf.split(x(), [2, 4, 1], 3), ...tf.split(x(), 3, 1)]);
    await compareCudaWithCpu(() => [tf.pad(x(), [[0, 0], [1, 2], [0, 1], [3, 0]], 0.5), tf.mirrorPad(f([4, 5], 1), [[1, 2], [2, 1]], 'reflect'),
      tf.mirrorPad(f([4, 5], 1), [[1, 2], [2, 1]], 'symmetric')]);
    await compareCudaWithCpu(() => [tf.tile(f([2, 3], 1), [3, 2]), tf.broadcastTo(f([1, 3, 1], 2), [4, 3, 5]), tf.reverse(x(), [1, 3])]);
    await compareCudaWithCpu(() => [tf.transpose(i32([3, 4], 1)), tf.concat([tf.greater(f([2, 2], 1), 0), tf.greater(f([2, 3], 2), 0)], 1)]);
  });

  it('Gather, GatherNd, Cast, Fill, OneHot, Range, Select', async () => {
    await compareCudaWithCpu(() => [tf.gather(f([5, 6, 3], 1), tf.tensor([4, 0, 2, 2], [4], 'int32'), 1),
      tf.gather(f([7, 3], 2), tf.tensor([[1, 6], [0, 3]], [2, 2], 'int32'))]);
    await compareCudaWithCpu(() => tf.gatherND(f([4, 5, 3], 3), tf.tensor([[1, 2], [3, 4], [0, 0]], [3, 2], 'int32')));
    await compareCudaWithCpu(() => [tf.cast(f([9], 1, -300, 300), 'int32'), tf.cast(f([9], 1), 'bool'), tf.cast(i32([9], 2), 'float32'),
      tf.cast(tf.tensor([NaN, Infinity, 3e9, -0.5]), 'int32')]);
    await compareCudaWithCpu(() => [tf.fill([3, 5], 2.5), tf.fill([4], 7, 'int32'), tf.zeros([5]), tf.ones([2, 3], 'bool')]);
    await compareCudaWithCpu(() => [tf.oneHot(tf.tensor([0, 3, 2, 9], [4], 'int32'), 5), tf.range(0, 17, 3)]);
    await compareCudaWithCpu(() => tf.where(tf.greater(f([4, 3], 1), 0), f([4, 3], 2), f([4, 3], 3)));
  });

  it('Conv2D and FusedConv2D: strides, padding modes, dilations, 1x1, bias/activations, batch > 1', async () => {
    const cases: {x: number[]; w: number[]; s: number; pad: 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]]; d: number}[] = [
      {x: [2, 17, 15, 5], w: [3, 3, 5, 11], s: 1, pad: 'same', d: 1},
      {x: [1, 16, 16, 3], w: [3, 3, 3, 32], s: 2, pad: 'same', d: 1},
      {x: [2, 13, 11, 7], w: [5, 5, 7, 9], s: 2, pad: 'valid', d: 1},
      {x: [1, 12, 12, 6], w: [3, 3, 6, 10], s: 1, pad: 'same', d: 2},
      {x: [2, 9, 9, 19], w: [1, 1, 19, 37], s: 1, pad: 'valid', d: 1},
      {x: [1, 10, 10, 8], w: [1, 1, 8, 24], s: 2, pad: 'same', d: 1},
      {x: [1, 9, 10, 4], w: [3, 2, 4, 5], s: 1, pad: [[0, 0], [2, 1], [0, 3], [0, 0]], d: 1},
    ];
    for (const [k, c] of cases.entries()) {
      const label = JSON.stringify(c);
      await compareCudaWithCpu(() => tf.conv2d(f4(c.x, k), f4(c.w, k + 50), c.s, c.pad, 'NHWC', c.d), {label, rtol: 1e-4, atol: 1e-4});
      for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const) {
        await compareCudaWithCpu(() => tf.fused.conv2d({x: f4(c.x, k), filter: f4(c.w, k + 50), strides: c.s, pad: c.pad, dilations: c.d,
          bias: f([c.w[3]], k + 100), activation, leakyreluAlpha: 0.2}), {label: `${label} ${activation}`, rtol: 1e-4, atol: 1e-4});
      }
      await compareCudaWithCpu(() => tf.fused.conv2d({x: f4(c.x, k), filter: f4(c.w, k + 50), strides: c.s, pad: c.pad, dilations: c.d,
        bias: f([c.w[3]], k + 100), activation: 'prelu', preluActivationWeights: f([c.w[3]], k + 7)}), {label: `${label} prelu`, rtol: 1e-4, atol: 1e-4});
    }
  });

  // tfjs-backend-cpu sums only the taps inside the image: an infinite weight at a tap in the padding
  // leaves the outputs it does not reach finite (zeros multiplied in would make them NaN), while infinite
  // and NaN inputs, and inf - inf inside a window, give what the sums give.
  it('Conv2D and DepthwiseConv2dNative with infinite and NaN weights and inputs', async () => {
    const withSpecials = (shape: number[], seed: number, specials: Array<[number, number]>) => {
      const v = randomFloats(shape.reduce((a, b) => a * b, 1), seed, -1, 1);
      for (const [i, value] of specials) v[i] = value;
      return tf.tensor4d(v, shape as [number, number, number, number], 'float32');
    };
    // 3x3 filters [3, 3, 4, 5]: index ((fy * 3 + fx) * 4 + ci) * 5 + co.
    const w = () => withSpecials([3, 3, 4, 5], 61, [[0 * 20 + 1 * 5 + 0, Infinity], [8 * 20 + 3 * 5 + 2, -Infinity],
      [3 * 20 + 0 * 5 + 4, NaN], [4 * 20 + 2 * 5 + 1, Infinity], [5 * 20 + 2 * 5 + 1, -Infinity]]);
    const x = () => withSpecials([2, 9, 8, 4], 62, [[(0 * 8 + 3) * 4 + 1, Infinity], [2 * 9 * 8 * 4 - 1, NaN]]);
    const finiteX = () => f4([2, 9, 8, 4], 63);
    const paddings: Array<[number, 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]]]> =
      [[1, 'same'], [2, 'same'], [1, 'valid'], [1, [[0, 0], [2, 0], [1, 3], [0, 0]]]];
    for (const [s, pad] of paddings) {
      const label = `stride ${s} pad ${JSON.stringify(pad)}`;
      await compareCudaWithCpu(() => [tf.conv2d(finiteX(), w(), s, pad), tf.conv2d(x(), w(), s, pad), tf.conv2d(x(), f4([3, 3, 4, 5], 64), s, pad)],
        {label, rtol: 1e-4, atol: 1e-4});
      await compareCudaWithCpu(() => tf.fused.conv2d({x: finiteX(), filter: w(), strides: s, pad, bias: f([5], 65), activation: 'relu'}),
        {label: `${label} fused relu`, rtol: 1e-4, atol: 1e-4});
    }
    // 7x7 stride 2 (ResNet's stem shape) with an infinite weight in its first row.
    await compareCudaWithCpu(() => tf.conv2d(f4([1, 15, 13, 3], 66), withSpecials([7, 7, 3, 4], 67, [[1 * 3 * 4 + 2 * 4 + 3, Infinity]]), 2, 'same'),
      {label: '7x7 stride 2', rtol: 1e-4, atol: 1e-4});
    // Depthwise [3, 3, 4, 1]: index (fy * 3 + fx) * 4 + c.
    const dw = () => withSpecials([3, 3, 4, 1], 68, [[0 * 4 + 0, Infinity], [8 * 4 + 1, -Infinity], [3 * 4 + 2, NaN]]);
    for (const s of [1, 2]) {
      await compareCudaWithCpu(() => [tf.depthwiseConv2d(finiteX(), dw(), s, 'same'), tf.depthwiseConv2d(x(), f4([3, 3, 4, 1], 69), s, 'same')],
        {label: `depthwise stride ${s}`, rtol: 1e-4, atol: 1e-4});
    }
  });

  it('DepthwiseConv2dNative and FusedDepthwiseConv2D', async () => {
    const cases: {x: number[]; w: number[]; s: number; pad: 'same' | 'valid'; d: number}[] = [
      {x: [2, 17, 15, 13], w: [3, 3, 13, 1], s: 1, pad: 'same', d: 1},
      {x: [1, 16, 16, 24], w: [3, 3, 24, 1], s: 2, pad: 'same', d: 1},
      {x: [1, 15, 15, 40], w: [5, 5, 40, 1], s: 2, pad: 'same', d: 1},
      {x: [2, 11, 12, 6], w: [5, 5, 6, 1], s: 1, pad: 'valid', d: 1},
      {x: [1, 12, 12, 5], w: [3, 3, 5, 2], s: 1, pad: 'same', d: 2},
    ];
    for (const [k, c] of cases.entries()) {
      const label = JSON.stringify(c);
      await compareCudaWithCpu(() => tf.depthwiseConv2d(f4(c.x, k), f4(c.w, k + 50), c.s, c.pad, 'NHWC', c.d), {label, rtol: 1e-4, atol: 1e-4});
      await compareCudaWithCpu(() => tf.fused.depthwiseConv2d({x: f4(c.x, k), filter: f4(c.w, k + 50), strides: c.s, pad: c.pad, dilations: c.d,
        bias: f([c.w[2] * c.w[3]], k + 100), activation: 'relu6'}), {label: `${label} fused`, rtol: 1e-4, atol: 1e-4});
    }
  });

  it('MaxPool and AvgPool', async () => {
    for (const [k, c] of [
      {x: [2, 17, 15, 13], size: 3, s: 2, pad: 'same'}, {x: [1, 16, 16, 8], size: 2, s: 2, pad: 'valid'},
      {x: [1, 15, 15, 7], size: 3, s: 1, pad: 'same'}, {x: [2, 7, 7, 33], size: 7, s: 1, pad: 'valid'},
    ].entries()) {
      const pad = c.pad as 'same' | 'valid';
      await compareCudaWithCpu(() => [tf.maxPool(f4(c.x, k) as tf.Tensor4D, c.size, c.s, pad), tf.avgPool(f4(c.x, k) as tf.Tensor4D, c.size, c.s, pad)],
        {label: JSON.stringify(c)});
    }
  });

  it('BatchMatMul and _FusedMatMul (transposes, batch broadcast, bias, activations)', async () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      await compareCudaWithCpu(() => tf.matMul(f(ta ? [3, 37, 5] : [3, 5, 37], 1), f(tb ? [3, 19, 37] : [3, 37, 19], 2), ta, tb),
        {label: `ta ${ta} tb ${tb}`, rtol: 1e-4, atol: 1e-4});
    }
    await compareCudaWithCpu(() => tf.matMul(f([1, 1280], 1), f([1280, 1000], 2)), {rtol: 1e-4, atol: 1e-4});
    await compareCudaWithCpu(() => [tf.matMul(f([2, 4, 6], 1), f([1, 6, 5], 2)), tf.matMul(f([1, 4, 6], 1), f([3, 6, 5], 2))], {rtol: 1e-4, atol: 1e-4});
    for (const activation of ['linear', 'relu', 'sigmoid'] as const) {
      await compareCudaWithCpu(() => tf.fused.matMul({a: f([7, 33], 1), b: f([33, 10], 2), bias: f([10], 3), activation}),
        {label: activation, rtol: 1e-4, atol: 1e-4});
    }
  });

  it('FusedBatchNorm and ResizeBilinear', async () => {
    await compareCudaWithCpu(() => tf.batchNorm(f([2, 5, 6, 7], 1), f([7], 2), f([7], 3, 0.5, 2), f([7], 4), f([7], 5), 1e-3),
      {rtol: 1e-4, atol: 1e-4});
    for (const [alignCorners, halfPixel] of [[false, false], [true, false], [false, true]]) {
      await compareCudaWithCpu(() => [tf.image.resizeBilinear(f([2, 7, 9, 3], 1) as tf.Tensor4D, [13, 5], alignCorners, halfPixel),
        tf.image.resizeBilinear(f([1, 16, 16, 4], 2) as tf.Tensor4D, [8, 8], alignCorners, halfPixel)],
      {label: `align ${alignCorners} half ${halfPixel}`, rtol: 1e-4, atol: 1e-5});
    }
  });

  it('registers every kernel of native-cpu except the listed ones; the fused MBConv block is composed', async () => {
    const cpu = tf.getKernelsForBackend('native-cpu').map((k) => k.kernelName).sort();
    const cuda = tf.getKernelsForBackend('native-cuda').map((k) => k.kernelName).sort();
    expect(cuda).toEqual(cpu.filter((k) => !CUDA_UNREGISTERED_KERNELS.includes(k)));
    expect(cuda).not.toContain('EffnetMBConv');
  });
});
