// Seeded random op calls on native-cpu against tfjs-backend-cpu, at every ISA level: shapes, axes,
// masks, paddings, strides and broadcasts drawn at random (size-0 and size-1 dimensions included),
// so that combinations the per-kernel tests do not list are compared too. A call that tfjs-backend-cpu
// answers must give the same shapes and values on native-cpu; one it refuses must be refused (with an
// Error, never a crash). Where tfjs-backend-cpu is known to be wrong the generators stay away from it
// (listed at each generator), except for windows larger than their padded input, which native-cpu
// refuses by name while tfjs-backend-cpu returns tensors with negative dimensions.
import {describe, expect, it} from 'vitest';

import {evalOn, type Evaluated, expectClose, forEachIsa, seededRandom, tf} from './util/reference.js';

/** Draws from one seeded stream: integers, picks, float arrays. */
class Draw {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
  shape(rank: number, lo: number, hi: number): number[] {
    return Array.from({length: rank}, () => this.int(lo, hi));
  }
  floats(shape: number[], lo = -2, hi = 2): Float32Array {
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }
}

interface Case {
  label: string;
  fn: () => tf.Tensor | tf.Tensor[];
  /** Absolute tolerance (relative 1e-5 on top; 1e-6 unless given): float32 sums in another order. */
  atol?: number;
  /** An Error native-cpu must give where tfjs-backend-cpu answers with a malformed tensor. */
  refuse?: RegExp;
  /** The expected outputs, where tfjs-backend-cpu cannot be the reference. */
  expected?: () => Evaluated[];
}

const t = (d: Draw, shape: number[], lo?: number, hi?: number) => tf.tensor(d.floats(shape, lo, hi), shape);

/** Whether tfjs's geometry gives a negative output size (a window larger than its padded input). */
function windowTooLarge(info: {outHeight: number; outWidth: number}): boolean {
  return info.outHeight < 0 || info.outWidth < 0;
}

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
function drawPad(d: Draw, explicit: boolean): Pad {
  if (explicit && d.chance(0.25)) return [[0, 0], [d.int(0, 2), d.int(0, 2)], [d.int(0, 2), d.int(0, 2)], [0, 0]];
  return d.pick(['same', 'valid'] as const);
}

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;

const generators: Array<(d: Draw) => Case> = [
  (d) => {
    const [n, h, w, c] = [d.int(1, 2), d.int(1, 9), d.int(1, 9), d.int(1, 5)];
    const [fh, fw, o] = [d.int(1, 4), d.int(1, 4), d.int(1, 6)];
    const stride = d.int(1, 3);
    const dilation = stride === 1 ? d.pick([1, 1, 2]) : 1;
    const pad = drawPad(d, true);
    const activation = d.pick(ACTIVATIONS);
    const seed = d.int(0, 1e9);
    const withBias = d.chance(0.5);
    const info = tf.backend_util.computeConv2DInfo([n, h, w, c], [fh, fw, c, o], stride, dilation, pad);
    return {
      label: `fused.conv2d x[${[n, h, w, c]}] filter ${fh}x${fw}x${o} stride ${stride} dilation ${dilation} pad ${JSON.stringify(pad)} ${activation}`,
      atol: 1e-4,
      refuse: windowTooLarge(info) ? /FusedConv2D: the \d+x\d+ filter .*does not fit/ : undefined,
      fn: () => {
        const r = new Draw(seed);
        return tf.fused.conv2d({
          x: t(r, [n, h, w, c]) as tf.Tensor4D,
          filter: t(r, [fh, fw, c, o]) as tf.Tensor4D,
          strides: stride,
          pad,
          dilations: dilation,
          bias: withBias ? t(r, [o]) : undefined,
          activation,
          preluActivationWeights: activation === 'prelu' ? t(r, [o]) : undefined,
          leakyreluAlpha: 0.1,
        });
      },
    };
  },
  (d) => {
    // Infinities and NaN in the input or the filter: each output is the sum of its taps inside the image
    // (padding skipped, not multiplied), whichever strategy runs, Winograd's 3x3 stride-1 shapes included.
    const [n, h, w] = [d.int(1, 2), d.int(2, 9), d.int(2, 9)];
    const [c, o] = d.chance(0.5) ? [d.int(16, 24), d.int(16, 24)] : [d.int(1, 5), d.int(1, 8)];
    const [fh, fw] = d.chance(0.5) ? [3, 3] : [d.int(1, 4), d.int(1, 4)];
    const stride = d.pick([1, 1, 2]);
    const pad = d.pick(['same', 'valid', 1] as const);
    const depthwise = d.chance(0.3);
    const specials = [Infinity, -Infinity, NaN];
    const seed = d.int(0, 1e9);
    const where = d.pick(['input', 'filter', 'both'] as const);
    const fShape = [fh, fw, c, depthwise ? 1 : o];
    const info = tf.backend_util.computeConv2DInfo([n, h, w, c], fShape as [number, number, number, number], stride, 1, pad, undefined, depthwise);
    if (windowTooLarge(info)) return generators[0](d);
    return {
      label: `${depthwise ? 'depthwiseConv2d' : 'conv2d'} x[${[n, h, w, c]}] filter [${fShape}] stride ${stride} pad ${pad}, non-finite ${where}`,
      atol: 1e-4,
      fn: () => {
        const r = new Draw(seed);
        const sprinkle = (v: Float32Array) => {
          for (let i = r.int(0, 3); i > 0; i--) v[r.int(0, v.length - 1)] = r.pick(specials);
          return v;
        };
        const xv = r.floats([n, h, w, c]);
        const fv = r.floats(fShape);
        if (where !== 'filter') sprinkle(xv);
        if (where !== 'input') sprinkle(fv);
        const x = tf.tensor4d(xv, [n, h, w, c]);
        const f = tf.tensor4d(fv, fShape as [number, number, number, number]);
        return depthwise ? tf.depthwiseConv2d(x, f, stride, pad) : tf.conv2d(x, f, stride, pad);
      },
    };
  },
  (d) => {
    const [n, h, w, c] = [d.int(1, 2), d.int(1, 9), d.int(1, 9), d.int(1, 20)];
    const [fh, fw, m] = [d.int(1, 5), d.int(1, 5), d.int(1, 2)];
    const stride = d.int(1, 3);
    const pad = drawPad(d, false);
    const activation = d.pick(ACTIVATIONS.filter((a) => a !== 'prelu'));
    const withBias = d.chance(0.5);
    const seed = d.int(0, 1e9);
    const info = tf.backend_util.computeConv2DInfo([n, h, w, c], [fh, fw, c, m], stride, 1, pad, undefined, true);
    return {
      label: `fused.depthwiseConv2d x[${[n, h, w, c]}] filter ${fh}x${fw}x${m} stride ${stride} pad ${pad} ${activation}`,
      atol: 1e-4,
      refuse: windowTooLarge(info) ? /FusedDepthwiseConv2D: the \d+x\d+ filter does not fit/ : undefined,
      fn: () => {
        const r = new Draw(seed);
        return tf.fused.depthwiseConv2d({
          x: t(r, [n, h, w, c]) as tf.Tensor4D,
          filter: t(r, [fh, fw, c, m]) as tf.Tensor4D,
          strides: stride,
          pad,
          bias: withBias ? t(r, [c * m]) : undefined,
          activation,
          leakyreluAlpha: 0.2,
        });
      },
    };
  },
  (d) => {
    const [b, m, k, n] = [d.int(1, 3), d.int(0, 20), d.int(0, 40), d.int(0, 30)];
    const bb = d.pick([b, 1]);
    const [ta, tb] = [d.chance(0.5), d.chance(0.5)];
    const activation = d.pick(['linear', 'relu', 'sigmoid', 'elu'] as const);
    const withBias = d.chance(0.5);
    const seed = d.int(0, 1e9);
    return {
      label: `fused.matMul [${b}|${bb}] ${m}x${k}x${n} transpose ${ta}/${tb} ${activation}`,
      atol: 1e-4,
      fn: () => {
        const r = new Draw(seed);
        return tf.fused.matMul({
          a: t(r, ta ? [b, k, m] : [b, m, k]),
          b: t(r, tb ? [bb, n, k] : [bb, k, n]),
          transposeA: ta,
          transposeB: tb,
          bias: withBias ? t(r, [n]) : undefined,
          activation,
        });
      },
    };
  },
  (d) => {
    const shape = [d.int(1, 2), d.int(1, 9), d.int(1, 9), d.int(1, 6)];
    const size: [number, number] = [d.int(1, 4), d.int(1, 4)];
    const stride = d.int(1, 3);
    const pad = d.pick(['same', 'valid', d.int(0, 2)] as const);
    const op = d.pick(['maxPool', 'avgPool'] as const);
    const seed = d.int(0, 1e9);
    const info = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], size, stride, 1, pad);
    return {
      label: `${op} [${shape}] ${size[0]}x${size[1]} stride ${stride} pad ${pad}`,
      refuse: windowTooLarge(info) ? new RegExp(`${op === 'maxPool' ? 'MaxPool' : 'AvgPool'}: the \\d+x\\d+ window does not fit`) : undefined,
      fn: () => tf[op](t(new Draw(seed), shape) as tf.Tensor4D, size, stride, pad),
    };
  },
  (d) => {
    const rank = d.int(1, 4);
    const shape = d.shape(rank, 0, 6);
    // Distinct axes, some negative (tfjs-backend-cpu answers duplicates inconsistently).
    const axes = [...new Set(Array.from({length: d.int(0, rank)}, () => d.int(0, rank - 1)))].map((a) =>
      d.chance(0.3) ? a - rank : a,
    );
    const keepDims = d.chance(0.5);
    const op = d.pick(['sum', 'mean', 'max', 'min', 'prod', 'logSumExp', 'any', 'all'] as const);
    const seed = d.int(0, 1e9);
    const normalized = new Set(axes.map((a) => (a + rank) % rank));
    const emptyReduced = shape.some((s, i) => s === 0 && (axes.length === 0 || normalized.has(i)));
    return {
      label: `${op} [${shape}] axes [${axes}] keepDims ${keepDims}`,
      atol: 1e-4,
      fn: () => {
        // tfjs-backend-cpu's max/min over an empty axis give +-Infinity in some paths, errors in others;
        // such calls draw sum instead.
        const x = t(new Draw(seed), shape);
        const axis = axes.length === 0 ? undefined : axes;
        if (op === 'any' || op === 'all') return tf[op](tf.greater(x, 0), axis, keepDims);
        if (emptyReduced && (op === 'max' || op === 'min' || op === 'logSumExp')) return tf.sum(x, axis, keepDims);
        return tf[op](x, axis, keepDims);
      },
    };
  },
  (d) => {
    const rank = d.int(1, 4);
    const shape = d.shape(rank, 1, 6);
    const axis = d.int(0, rank - 1);  // tfjs-backend-cpu mishandles negative axes of cumsum / cumprod
    const op = d.pick(['cumsum', 'cumprod', 'argMax', 'argMin'] as const);
    const [exclusive, reverse] = [d.chance(0.3), d.chance(0.3)];
    const seed = d.int(0, 1e9);
    return {
      label: `${op} [${shape}] axis ${axis}${op.startsWith('cum') ? ` exclusive ${exclusive} reverse ${reverse}` : ''}`,
      atol: 1e-4,
      fn: () => {
        const x = t(new Draw(seed), shape, 0.5, 1.5);
        return op === 'cumsum' || op === 'cumprod' ? tf[op](x, axis, exclusive, reverse) : tf[op](x, axis);
      },
    };
  },
  (d) => {
    const rank = d.int(1, 4);
    const a = d.shape(rank, 1, 5);
    const b = a.map((s) => (d.chance(0.3) ? 1 : s)).slice(d.int(0, rank - 1));
    const swap = d.chance(0.5);
    const op = d.pick([
      'add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'squaredDifference', 'floorDiv', 'mod',
      'greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual', 'logicalAnd', 'prelu',
    ] as const);
    const seed = d.int(0, 1e9);
    return {
      label: `${op} [${swap ? b : a}] [${swap ? a : b}]`,
      atol: 1e-5,
      fn: () => {
        const r = new Draw(seed);
        // Integer-valued floats: floorDiv and mod compare exactly; pow stays finite and real.
        const [x, y] = [t(r, swap ? b : a, -4, 4), t(r, swap ? a : b, -4, 4)];
        if (op === 'floorDiv' || op === 'mod') return tf[op](tf.round(x), tf.add(tf.round(tf.abs(y)), 1));
        if (op === 'pow') return tf.pow(tf.abs(x), y);
        if (op === 'logicalAnd') return tf.logicalAnd(tf.greater(x, 0), tf.greater(y, 0));
        if (op === 'prelu') return tf.prelu(x, tf.abs(y));
        return tf[op](x, y);
      },
    };
  },
  (d) => {
    const shape = d.shape(d.int(1, 4), 0, 7);
    const op = d.pick([
      'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'tanh', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'abs',
      'neg', 'floor', 'ceil', 'round', 'sign', 'square', 'softplus', 'erf', 'reciprocal', 'sin', 'cos', 'isNaN',
      'step', 'leakyRelu', 'clipByValue', 'softmax', 'logSoftmax',
    ] as const);
    const seed = d.int(0, 1e9);
    return {
      label: `${op} [${shape}]`,
      atol: 1e-5,
      fn: () => {
        const x = t(new Draw(seed), shape, -3, 3);
        const positive = tf.add(tf.abs(x), 0.01);
        if (op === 'log' || op === 'sqrt' || op === 'rsqrt') return tf[op](positive);
        if (op === 'log1p') return tf.log1p(tf.abs(x));
        if (op === 'leakyRelu') return tf.leakyRelu(x, 0.3);
        if (op === 'clipByValue') return tf.clipByValue(x, -0.5, 0.7);
        if (op === 'step') return tf.step(x, 0.5);
        if ((op === 'softmax' || op === 'logSoftmax') && x.size === 0) return tf.abs(x);
        return tf[op](x);
      },
    };
  },
  (d) => {
    const shape = [d.int(1, 2), d.int(1, 7), d.int(1, 7), d.int(1, 4)];
    const size: [number, number] = [d.int(1, 12), d.int(1, 12)];
    const alignCorners = d.chance(0.5);
    const halfPixelCenters = !alignCorners && d.chance(0.5);
    const seed = d.int(0, 1e9);
    return {
      label: `resizeBilinear [${shape}] -> ${size} alignCorners ${alignCorners} halfPixelCenters ${halfPixelCenters}`,
      atol: 1e-5,
      fn: () => tf.image.resizeBilinear(t(new Draw(seed), shape) as tf.Tensor4D, size, alignCorners, halfPixelCenters),
    };
  },
  (d) => {
    const shape = d.shape(d.int(1, 4), 1, 5);
    const mode = d.pick(['constant', 'reflect', 'symmetric'] as const);
    const paddings = shape.map((s): [number, number] => {
      const most = mode === 'constant' ? 3 : mode === 'reflect' ? s - 1 : s;
      return [d.int(0, Math.min(3, most)), d.int(0, Math.min(3, most))];
    });
    const seed = d.int(0, 1e9);
    return {
      label: `pad ${mode} [${shape}] ${JSON.stringify(paddings)}`,
      fn: () => {
        const x = t(new Draw(seed), shape);
        return mode === 'constant' ? tf.pad(x, paddings, 1.5) : tf.mirrorPad(x, paddings, mode);
      },
    };
  },
  (d) => {
    const rank = d.int(1, 4);
    const shape = d.shape(rank, 1, 6);
    const axis = d.int(0, rank - 1);
    const indices = Array.from({length: d.int(0, 6)}, () => d.int(0, shape[axis] - 1));
    const seed = d.int(0, 1e9);
    return {
      label: `gather [${shape}] axis ${axis} indices [${indices}]`,
      fn: () => tf.gather(t(new Draw(seed), shape), tf.tensor1d(indices, 'int32'), axis),
    };
  },
  (d) => {
    const rank = d.int(1, 4);
    const shape = d.shape(rank, 1, 5);
    const axis = d.int(0, rank - 1);
    const parts = Array.from({length: d.int(1, 3)}, () => shape.map((s, i) => (i === axis ? d.int(0, 3) : s)));
    const seed = d.int(0, 1e9);
    return {
      label: `concat ${JSON.stringify(parts)} axis ${axis}`,
      fn: () => {
        const r = new Draw(seed);
        return tf.concat(parts.map((p) => t(r, p)), axis);
      },
    };
  },
  (d) => {
    const rank = d.int(1, 4);
    const shape = d.shape(rank, 1, 6);
    const axis = d.int(0, rank - 1);
    const sizes: number[] = [];
    let left = shape[axis];
    for (let i = d.int(0, 2); i > 0; i--) {
      const s = d.int(0, left);
      sizes.push(s);
      left -= s;
    }
    sizes.push(d.chance(0.3) ? -1 : left);
    const seed = d.int(0, 1e9);
    return {
      label: `split [${shape}] axis ${axis} sizes [${sizes}], unstack, reverse`,
      fn: () => {
        const x = t(new Draw(seed), shape);
        return [...tf.split(x, sizes, axis), ...tf.unstack(x, axis), tf.reverse(x, axis), tf.stack([x, x], axis)];
      },
    };
  },
  (d) => {
    const rank = d.int(1, 4);
    const shape = d.shape(rank, 0, 4);
    const reps = shape.map(() => d.int(0, 3));
    const perm = [...Array(rank).keys()].sort(() => d.int(-1, 1));
    const seed = d.int(0, 1e9);
    return {
      label: `tile [${shape}] reps [${reps}], transpose perm [${perm}]`,
      fn: () => {
        const x = t(new Draw(seed), shape);
        return [tf.tile(x, reps), tf.transpose(x, perm)];
      },
    };
  },
  (d) => {
    // Against a strided gather written here from tfjs-core's slice_util.sliceInfo: tfjs-backend-cpu
    // throws on some empty ranges ("Size(5) must match the product of shape 0" for x[-5:-6] of 6) and,
    // with shrink masks on axes whose stride is not 1, reads the wrong element (x[1, ::-2] of a 4x5
    // tensor gives x[0, 1] there, not x[1, 4]).
    const rank = d.int(1, 4);
    const shape = d.shape(rank, 1, 6);
    const begin = shape.map((s) => d.int(-s, s));
    const end = shape.map((s) => d.int(-s - 1, s + 1));
    const strides = shape.map(() => d.pick([1, 1, 2, 3, -1, -2]));
    const [beginMask, endMask] = [d.int(0, (1 << rank) - 1), d.int(0, (1 << rank) - 1)];
    const shrinkMask = d.chance(0.3) ? d.int(0, (1 << rank) - 1) : 0;
    const values = d.floats(shape);
    const args = [begin, end, strides, beginMask, endMask, 0, 0, shrinkMask] as const;
    return {
      label: `stridedSlice [${shape}] begin [${begin}] end [${end}] strides [${strides}] masks ${beginMask}/${endMask}/${shrinkMask}`,
      fn: () => tf.stridedSlice(tf.tensor(values, shape), ...args),
      expected: () => [stridedGather(values, shape, tf.slice_util.sliceInfo(shape, ...args))],
    };
  },
  (d) => {
    const rank = d.int(1, 4);
    const shape = d.shape(rank, 1, 6);
    const begin = shape.map((s) => d.int(0, s - 1));
    const size = shape.map((s, i) => d.int(-1, s - begin[i]));
    const seed = d.int(0, 1e9);
    return {label: `slice [${shape}] begin [${begin}] size [${size}]`, fn: () => tf.slice(t(new Draw(seed), shape), begin, size)};
  },
  (d) => {
    const shape = d.shape(d.int(1, 3), 1, 8);
    const k = d.int(0, shape[shape.length - 1]);
    const seed = d.int(0, 1e9);
    // Sorted only: the order of an unsorted top-k is unspecified.
    return {
      label: `topk [${shape}] k ${k}`,
      fn: () => {
        const {values, indices} = tf.topk(t(new Draw(seed), shape), k, true);
        return [values, indices];
      },
    };
  },
  (d) => {
    const depth = d.int(1, 6);
    const indices = Array.from({length: d.int(0, 6)}, () => d.int(-1, depth));
    const [on, off] = [d.int(-2, 3), d.int(-2, 3)];
    const shape = d.shape(d.int(1, 3), 1, 5);
    const dtype = d.pick(['int32', 'bool', 'float32'] as const);
    const seed = d.int(0, 1e9);
    return {
      label: `oneHot [${indices}] depth ${depth}; cast [${shape}] to ${dtype}; where`,
      fn: () => {
        const r = new Draw(seed);
        const x = t(r, shape, -3, 3);
        const y = t(r, shape);
        return [tf.oneHot(tf.tensor1d(indices, 'int32'), depth, on, off), tf.cast(x, dtype), tf.where(tf.greater(x, 0), x, y)];
      },
    };
  },
  (d) => {
    const [n, h, w, c] = [d.int(1, 2), d.int(1, 6), d.int(1, 6), d.int(1, 8)];
    const seed = d.int(0, 1e9);
    return {
      label: `batchNorm [${[n, h, w, c]}], unsortedSegmentSum`,
      atol: 1e-5,
      fn: () => {
        const r = new Draw(seed);
        const x = t(r, [n, h, w, c]);
        const segments = tf.tensor1d(Array.from({length: n * h}, () => r.int(0, 3)), 'int32');
        return [
          tf.batchNorm(x, t(r, [c]), t(r, [c], 0.1, 2), t(r, [c]), t(r, [c]), 1e-3),
          tf.unsortedSegmentSum(tf.reshape(x, [n * h, w * c]), segments, 4),
        ];
      },
    };
  },
  (d) => {
    const shape = [d.int(1, 2), 2 * d.int(1, 4), 2 * d.int(1, 4), d.int(1, 3)];
    const paddings = [[2 * d.int(0, 1), 0], [0, 2 * d.int(0, 1)]];
    const seed = d.int(0, 1e9);
    return {
      label: `spaceToBatchND / batchToSpaceND [${shape}] paddings ${JSON.stringify(paddings)}`,
      fn: () => {
        const s = tf.spaceToBatchND(t(new Draw(seed), shape), [2, 2], paddings);
        return [s, tf.batchToSpaceND(s, [2, 2], paddings)];
      },
    };
  },
];

/** x[begin + i * stride] over the dense shape sliceInfo resolves, reshaped to its final shape. */
function stridedGather(values: Float32Array, shape: number[], info: tf.slice_util.SliceInfo): Evaluated {
  const dense = shape.map((_, k) => {
    const span = info.end[k] - info.begin[k];
    const stride = info.strides[k];
    return span === 0 || span < 0 !== stride < 0 ? 0 : Math.ceil(span / stride);
  });
  const inStrides = tf.util.computeStrides(shape);
  const out: number[] = [];
  const visit = (k: number, offset: number): void => {
    if (k === shape.length) {
      out.push(values[offset]);
      return;
    }
    const step = shape.length - k > 1 ? inStrides[k] : 1;
    for (let i = 0; i < dense[k]; i++) visit(k + 1, offset + (info.begin[k] + i * info.strides[k]) * step);
  };
  visit(0, 0);
  expect(out.length).toBe(tf.util.sizeFromShape(info.finalShape));
  return {shape: info.finalShape, dtype: 'float32', values: new Float32Array(out)};
}

/** Runs `c` on tfjs-backend-cpu; undefined when it refuses. */
async function reference(c: Case): Promise<Evaluated[] | undefined> {
  try {
    if (c.expected) return c.expected();
    return await evalOn('cpu', c.fn);
  } catch {
    await tf.setBackend('cpu');
    return undefined;
  }
}

/** Runs `c` on native-cpu: its outputs, or the Error it gave. */
async function native(c: Case): Promise<Evaluated[] | Error> {
  try {
    return await evalOn('native-cpu', c.fn);
  } catch (e) {
    return e as Error;
  }
}

const CASES_PER_GENERATOR = 100;

describe('random op calls on native-cpu match tfjs-backend-cpu', () => {
  it.each(generators.map((g, i) => [i, g] as const))('generator %i, every ISA level', async (index, generate) => {
    const draw = new Draw(1000 + index);
    const cases = Array.from({length: CASES_PER_GENERATOR}, () => generate(draw));
    const expected = [];
    for (const c of cases) expected.push(c.refuse ? undefined : await reference(c));
    await forEachIsa(async (isa) => {
      for (let i = 0; i < cases.length; i++) {
        const c = cases[i];
        const label = `${c.label} [${isa}]`;
        const got = await native(c);
        if (c.refuse) {
          expect(got, label).toBeInstanceOf(Error);
          expect((got as Error).message, label).toMatch(c.refuse);
        } else if (expected[i] === undefined) {
          expect(got, `${label}: tfjs-backend-cpu refuses it`).toBeInstanceOf(Error);
        } else {
          if (got instanceof Error) throw new Error(`${label}: ${got.message}`);
          expectClose(got, expected[i]!, 1e-5, c.atol ?? 1e-6, label);
        }
      }
    });
  });
});
