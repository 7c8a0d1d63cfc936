// Binary (broadcasting) and unary element-wise kernels against tfjs-backend-cpu, at every ISA level.
import {afterAll, describe, expect, it} from 'vitest';

import {getThreads, setThreads} from '../src/index.js';
import type {NativeCpuBackend} from '../src/backend.js';
import {compareWithCpu, forEachIsa, randomFloats, randomInts, tf} from './util/reference.js';

const originalThreads = getThreads();
afterAll(() => {
  setThreads(originalThreads);
});

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 2.5, -2.5, 3.5, 1e-30, -1e30, 6, 7, -7];

/** Floats of `shape` from `seed`, with special values sprinkled in when `specials`. */
function floats(shape: number[], seed: number, specials = false, lo = -3, hi = 3): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const v = randomFloats(size, seed, lo, hi);
  if (specials) for (let i = 0; i < size; i += 3) v[i] = SPECIALS[(i / 3 + seed) % SPECIALS.length];
  return tf.tensor(v, shape, 'float32');
}

function ints(shape: number[], seed: number, lo = -10, hi = 10): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(randomInts(size, seed, lo, hi), shape, 'int32');
}

const BROADCAST_PAIRS: Array<[number[], number[]]> = [
  [[3, 1, 5], [4, 5]],
  [[], [7]],
  [[7], []],
  [[], []],
  [[2, 7, 9, 17], [17]],
  [[17], [2, 7, 9, 17]],
  [[2, 5, 5, 40], [2, 1, 1, 40]],
  [[2, 1, 1, 40], [2, 5, 5, 40]],
  [[4, 1], [1, 6]],
  [[2, 1, 3, 1, 2, 3], [3, 4, 1, 1]],
  [[1, 2, 1, 3, 1, 2], [2, 1, 3, 2, 1]],
  [[3, 0, 2], [2]],
];
const SIZES = [1, 7, 15, 17, 1000, 100003];

type BinaryFn = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
const FLOAT_BINARY: Array<[string, BinaryFn]> = [
  ['add', tf.add],
  ['sub', tf.sub],
  ['mul', tf.mul],
  ['div', tf.div],
  ['maximum', tf.maximum],
  ['minimum', tf.minimum],
  ['squaredDifference', tf.squaredDifference],
  ['pow', tf.pow],
  ['mod', tf.mod],
  ['floorDiv', tf.floorDiv],
  ['prelu', (a, b) => tf.prelu(a, b)],
];

describe('binary kernels, float32', () => {
  for (const [name, fn] of FLOAT_BINARY) {
    it(`${name}: broadcasting shapes, ranks 0..6, with NaN/Inf`, async () => {
      for (const [sa, sb] of BROADCAST_PAIRS) {
        await compareWithCpu(() => fn(floats(sa, 1, true), floats(sb, 2, true)), {label: `${name} [${sa}] [${sb}]`});
      }
    });
    it(`${name}: same-shape odd lengths`, async () => {
      for (const n of SIZES) {
        await compareWithCpu(() => fn(floats([n], 3, n < 1000), floats([n], 4, n < 1000)), {label: `${name} ${n}`});
      }
    });
  }

  it('vector runs with a scalar on either side, all lengths (AVX tails)', async () => {
    for (const [name, fn] of FLOAT_BINARY.slice(0, 6)) {
      for (const n of [1, 2, 8, 9, 15, 16, 17, 31, 33, 100003]) {
        await compareWithCpu(() => fn(floats([n], 5, true), floats([], 6)), {label: `${name} ${n} x scalar`});
        await compareWithCpu(() => fn(floats([], 7), floats([n], 8, true)), {label: `${name} scalar x ${n}`});
      }
    }
  });

  it('squeeze-excitation gate: NHWC times [N,1,1,C], large enough to thread', async () => {
    await compareWithCpu(() => tf.mul(floats([2, 28, 28, 72], 9), tf.sigmoid(floats([2, 1, 1, 72], 10))));
  });

  it('Maximum/Minimum propagate NaN from either side', async () => {
    await compareWithCpu(() => {
      const a = tf.tensor([NaN, 1, NaN, -Infinity, 0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, NaN]);
      const b = tf.tensor([1, NaN, NaN, NaN, -0, 2, 5, 4, 6, 8, 7, 9, 11, 10, 12, 14, 1]);
      return [tf.maximum(a, b), tf.minimum(a, b), tf.maximum(b, a), tf.minimum(b, a)];
    });
  });
});

describe('binary kernels, int32', () => {
  const INT_BINARY: Array<[string, BinaryFn]> = [
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['div (FloorDiv)', tf.div],
    ['maximum', tf.maximum],
    ['minimum', tf.minimum],
    ['squaredDifference', tf.squaredDifference],
    ['pow', tf.pow],
    ['mod', tf.mod],
    ['floorDiv', tf.floorDiv],
  ];
  for (const [name, fn] of INT_BINARY) {
    it(name, async () => {
      for (const [sa, sb] of BROADCAST_PAIRS) {
        await compareWithCpu(() => fn(ints(sa, 11), ints(sb, 12, -3, 3)), {label: `${name} [${sa}] [${sb}]`});
      }
      await compareWithCpu(() => fn(ints([100003], 13), ints([100003], 14, 1, 5)), {label: `${name} 100003`});
    });
  }

  it('int32 wraps around like an Int32Array', async () => {
    await compareWithCpu(() => {
      const a = tf.tensor([2147483647, -2147483648, 65536, 123456789], [4], 'int32');
      const b = tf.tensor([1, -1, 65536, 1000], [4], 'int32');
      return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b)];
    });
  });

  it('RealDiv called directly on int32 keeps int32 like tfjs-backend-cpu (truncated, x/0 -> 0)', async () => {
    await compareWithCpu(() => {
      const a = tf.tensor([7, -7, 1, 0, 9], [5], 'int32');
      const b = tf.tensor([2, 2, 0, 0, -4], [5], 'int32');
      return tf.engine().runKernel('RealDiv', {a, b}) as tf.Tensor;
    });
  });

  it('AddN sums any number of float32 and int32 tensors', async () => {
    for (const n of [1, 2, 3, 5]) {
      await compareWithCpu(() => tf.addN(Array.from({length: n}, (_, i) => floats([3, 17, 5], 20 + i, true))));
      await compareWithCpu(() => tf.addN(Array.from({length: n}, (_, i) => ints([100003], 30 + i))));
    }
    await compareWithCpu(() => tf.addN([floats([100003], 40), floats([100003], 41), floats([100003], 42)]));
  });
});

type UnaryFn = (x: tf.Tensor) => tf.Tensor;
interface UnaryCase {
  fn: UnaryFn;
  /** tfjs kernel name and attributes, for int32 inputs (tf's ops reject int32 for some). */
  kernel?: string;
  attrs?: tf.NamedAttrMap;
  lo?: number;
  hi?: number;
}
const UNARY: Array<[string, UnaryCase]> = [
  ['sigmoid', {fn: tf.sigmoid, kernel: 'Sigmoid', lo: -30, hi: 30}],
  ['relu', {fn: tf.relu, kernel: 'Relu'}],
  ['relu6', {fn: tf.relu6, kernel: 'Relu6', lo: -10, hi: 10}],
  ['elu', {fn: tf.elu, kernel: 'Elu'}],
  ['leakyRelu', {fn: (x) => tf.leakyRelu(x, 0.15), kernel: 'LeakyRelu', attrs: {alpha: 0.15}}],
  ['tanh', {fn: tf.tanh, kernel: 'Tanh', lo: -12, hi: 12}],
  ['exp', {fn: tf.exp, kernel: 'Exp', lo: -90, hi: 90}],
  ['log', {fn: tf.log, kernel: 'Log', lo: -1, hi: 50}],
  ['rsqrt', {fn: tf.rsqrt, kernel: 'Rsqrt', lo: -1, hi: 50}],
  ['sqrt', {fn: tf.sqrt, kernel: 'Sqrt', lo: -1, hi: 50}],
  ['square', {fn: tf.square, kernel: 'Square'}],
  ['neg', {fn: tf.neg, kernel: 'Neg'}],
  ['abs', {fn: tf.abs, kernel: 'Abs'}],
  ['clipByValue', {fn: (x) => tf.clipByValue(x, -1.5, 2.25), kernel: 'ClipByValue', attrs: {clipValueMin: -1.5, clipValueMax: 2.25}}],
];

describe('unary kernels', () => {
  for (const [name, c] of UNARY) {
    it(`${name}: float32 with NaN/Inf, odd lengths`, async () => {
      for (const n of SIZES) {
        await compareWithCpu(() => c.fn(floats([n], 50 + n, true, c.lo ?? -3, c.hi ?? 3)), {label: `${name} ${n}`});
      }
      await compareWithCpu(() => c.fn(floats([2, 3, 1, 4, 5], 51)), {label: `${name} rank 5`});
      await compareWithCpu(() => c.fn(tf.scalar(0.75)), {label: `${name} scalar`});
    });
    if (c.kernel) {
      it(`${name}: int32 input gives tfjs-backend-cpu's dtype and values`, async () => {
        await compareWithCpu(
          () => tf.engine().runKernel(c.kernel!, {x: ints([1000], 60, -20, 20)}, c.attrs ?? {}) as tf.Tensor,
          {label: `${name} int32`},
        );
      });
    }
  }

  it('Exp returns float32 for int32 input; LeakyRelu too', async () => {
    await compareWithCpu(() => [tf.exp(ints([17], 70)), tf.leakyRelu(ints([17], 71), 0.3)]);
  });

  it('zero-size tensors', async () => {
    await compareWithCpu(() => [tf.sigmoid(tf.zeros([0, 3])), tf.add(tf.zeros([0, 3]), tf.ones([3]))]);
  });
});

/** Max relative error of native `op` over `xs` against a float64 reference, at the current ISA. */
function maxRelError(op: UnaryFn, ref: (x: number) => number, xs: Float32Array): number {
  const y = tf.tidy(() => op(tf.tensor(xs)).dataSync());
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const r = ref(xs[i]);
    if (Math.abs(r) < 1e-37) continue;  // float32 subnormal results
    const err = Math.abs(y[i] - r) / Math.abs(r);
    if (!(err <= worst)) worst = err;
  }
  return worst;
}

describe('accuracy of the vector exp / sigmoid / tanh', () => {
  it('stays within 3e-7 relative of float64 at every ISA level', async () => {
    await tf.setBackend('native-cpu');
    const n = 100001;
    const wide = new Float32Array(n);
    for (let i = 0; i < n; i++) wide[i] = -87 + (175.7 * i) / (n - 1);
    const mid = new Float32Array(n);
    for (let i = 0; i < n; i++) mid[i] = -12 + (24 * i) / (n - 1);
    const tiny = new Float32Array(n);
    for (let i = 0; i < n; i++) tiny[i] = (i - (n - 1) / 2) * 1e-8;
    const report: string[] = [];
    await forEachIsa((isa) => {
      const exp = Math.max(maxRelError(tf.exp, Math.exp, wide), maxRelError(tf.exp, Math.exp, tiny));
      const sig = (x: number) => 1 / (1 + Math.exp(-x));
      const sigmoid = Math.max(maxRelError(tf.sigmoid, sig, wide), maxRelError(tf.sigmoid, sig, mid));
      const tanh = Math.max(maxRelError(tf.tanh, Math.tanh, mid), maxRelError(tf.tanh, Math.tanh, tiny));
      report.push(`${isa}: exp ${exp.toExponential(2)}, sigmoid ${sigmoid.toExponential(2)}, tanh ${tanh.toExponential(2)}`);
      expect(exp, `exp ${isa}`).toBeLessThan(3e-7);
      expect(sigmoid, `sigmoid ${isa}`).toBeLessThan(3e-7);
      expect(tanh, `tanh ${isa}`).toBeLessThan(3e-7);
    });
    console.log('max relative error vs float64:\n  ' + report.join('\n  '));
  });
});

describe('swish (the C++ activation of fused blocks, reachable through the unary entry)', () => {
  it('matches x * sigmoid(x) from tfjs-backend-cpu at every ISA level', async () => {
    const xs = randomFloats(1003, 90, -30, 30);
    xs[0] = NaN;
    xs[1] = Infinity;
    xs[2] = 0;
    xs[3] = -Infinity; // x * sigmoid(x) = -Infinity * 0: NaN
    xs[4] = -1e30;
    xs[5] = 1e30;
    xs[6] = -100; // sigmoid underflows in float32
    const expected = await (async () => {
      await tf.setBackend('cpu');
      return tf.tidy(() => {
        const x = tf.tensor(xs);
        return tf.mul(x, tf.sigmoid(x)).dataSync();
      });
    })();
    await tf.setBackend('native-cpu');
    const backend = tf.backend() as NativeCpuBackend;
    await forEachIsa((isa) => {
      const x = tf.tensor(xs);
      const out = tf.zeros([xs.length]);
      backend.run('unary', {
        op: 'Swish', x: backend.bufferOf(x, 'Swish'), out: backend.bufferOf(out, 'Swish'), size: xs.length,
        xDtype: 'float32', outDtype: 'float32',
      });
      const got = out.dataSync();
      for (let i = 0; i < xs.length; i++) {
        if (Number.isNaN(expected[i])) {
          expect(Number.isNaN(got[i]), `${isa} ${i}`).toBe(true);
        } else if (got[i] !== expected[i]) {
          expect(Math.abs(got[i] - expected[i]), `${isa} swish(${xs[i]})`).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(expected[i]));
        }
      }
      tf.dispose([x, out]);
    });
  });
});

describe('bool operands of arithmetic kernels (stored as tfjs stores them in a Uint8Array)', () => {
  it('add/mul/sub of bool tensors', async () => {
    const b = (seed: number) => tf.tensor(Array.from(randomInts(17, seed, 0, 1)), [17], 'bool');
    await compareWithCpu(() => [tf.add(b(1), b(2)), tf.mul(b(3), b(4)), tf.maximum(b(5), b(6))]);
  });
});

describe('threads', () => {
  it('gives the same results with 1 and 2 threads', async () => {
    for (const threads of [1, 2]) {
      setThreads(threads);
      await compareWithCpu(() => tf.add(floats([100003], 80, true), floats([100003], 81)), {label: `add t${threads}`});
      await compareWithCpu(() => tf.mul(floats([3, 200, 301], 82), floats([301], 83)), {label: `mul t${threads}`});
      await compareWithCpu(() => tf.sigmoid(floats([100003], 84, true)), {label: `sigmoid t${threads}`});
      // Short runs with a repeated vector on either side (tiled path), chunks starting mid-group.
      await compareWithCpu(() => tf.sub(floats([7], 87), floats([30011, 7], 88)), {label: `sub periodic a t${threads}`});
      await compareWithCpu(() => tf.mul(floats([3, 5003, 7], 89), floats([3, 1, 7], 90)), {label: `gate C=7 t${threads}`});
      await compareWithCpu(() => tf.maximum(floats([2, 9001, 3], 91, true), floats([3], 92, true)), {label: `max C=3 t${threads}`});
      await compareWithCpu(() => tf.pow(floats([100003], 85, false, 0, 2), floats([1], 86)), {label: `pow t${threads}`});
    }
    setThreads(originalThreads);
  });
});

describe('bad input', () => {
  it('rejects string tensors naming the kernel', async () => {
    await tf.setBackend('native-cpu');
    const s = tf.tensor(['a', 'b']);
    expect(() => tf.engine().runKernel('Add', {a: s, b: s})).toThrow(/Add: dtype 'string' is not supported; supported: float32, int32, bool/);
    expect(() => tf.engine().runKernel('Sigmoid', {x: s})).toThrow(/Sigmoid: dtype 'string' is not supported/);
    s.dispose();
  });

  it('rejects complex64 naming the kernel', async () => {
    await tf.setBackend('native-cpu');
    const x = tf.tensor([1, 2]);
    const fake = {dataId: x.dataId, shape: x.shape, dtype: 'complex64' as const};
    expect(() => tf.engine().runKernel('Multiply', {a: fake, b: fake})).toThrow(/Multiply: dtype 'complex64'/);
    expect(() => tf.engine().runKernel('Exp', {x: fake})).toThrow(/Exp: dtype 'complex64'/);
    x.dispose();
  });

  it('rejects shapes that do not broadcast', async () => {
    await tf.setBackend('native-cpu');
    const a = tf.ones([3, 4]);
    const b = tf.ones([5]);
    expect(() => tf.sub(a, b)).toThrow(/Sub: .*could not be broadcast/);
    expect(() => tf.addN([a, tf.ones([4, 3])])).toThrow();
    expect(() => tf.engine().runKernel('AddN', [a, b] as unknown as tf.NamedTensorMap)).toThrow(/AddN: inputs must have the same shape/);
    tf.dispose([a, b]);
  });

  it('the native entries check buffer sizes against the shapes they are given', async () => {
    await tf.setBackend('native-cpu');
    const backend = tf.backend() as NativeCpuBackend;
    const a = tf.ones([4]);
    const id = backend.bufferOf(a, 'test');
    const big = tf.ones([8]);
    const bigId = backend.bufferOf(big, 'test');
    const opts = {op: 'Add', a: id, b: id, out: id, aShape: [1000], bShape: [1000], outShape: [1000],
      aDtype: 'float32', bDtype: 'float32', outDtype: 'float32'};
    expect(() => backend.run('binary', opts)).toThrow(/Add: buffer 'a' holds 16 bytes but 1000 float32/);
    expect(() => backend.run('binary', {...opts, out: bigId, aShape: [4], bShape: [4], outShape: [5]})).toThrow(/Add: shapes \[4\] and \[4\] do not broadcast to \[5\]/);
    expect(() => backend.run('binary', {...opts, op: 'Nope'})).toThrow(/Nope: not a binary op/);
    expect(() => backend.run('unary', {op: 'Exp', x: id, out: id, size: 5, xDtype: 'float32', outDtype: 'float32'})).toThrow(/Exp: buffer 'x'/);
    expect(() => backend.run('addN', {inputs: [id, 999999], out: id, size: 4, dtype: 'float32'})).toThrow(/AddN: inputs\[1\]/);
    tf.dispose([a, big]);
  });
});
