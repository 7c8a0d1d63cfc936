// Comparison, logical and selection kernels, and the remaining simple unary/binary kernels that
// tfjs-core's own test suite relies on, against tfjs-backend-cpu at every ISA level.
import {describe, expect, it} from 'vitest';

import {compareWithCpu, randomFloats, randomInts, tf} from './util/reference.js';

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, 1e-30, -1e30];

function floats(shape: number[], seed: number, specials = false, lo = -3, hi = 3): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const v = randomFloats(size, seed, lo, hi);
  if (specials) for (let i = 0; i < size; i += 2) v[i] = SPECIALS[(i / 2 + seed) % SPECIALS.length];
  return tf.tensor(v, shape, 'float32');
}

/** Small integers so that comparisons produce ties. */
function ints(shape: number[], seed: number, lo = -3, hi = 3): tf.Tensor {
  return tf.tensor(randomInts(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape, 'int32');
}

function bools(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(Array.from(randomInts(shape.reduce((a, b) => a * b, 1), seed, 0, 1)), shape, 'bool');
}

const PAIRS: Array<[number[], number[]]> = [
  [[3, 1, 5], [4, 5]],
  [[], [7]],
  [[2, 7, 9, 17], [17]],
  [[2, 5, 5, 40], [2, 1, 1, 40]],
  [[1000], [1000]],
  [[100003], []],
];

type BinaryFn = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
const COMPARISONS: Array<[string, BinaryFn]> = [
  ['equal', tf.equal],
  ['notEqual', tf.notEqual],
  ['greater', tf.greater],
  ['greaterEqual', tf.greaterEqual],
  ['less', tf.less],
  ['lessEqual', tf.lessEqual],
];

describe('comparisons (bool output, broadcasting)', () => {
  for (const [name, fn] of COMPARISONS) {
    it(name, async () => {
      for (const [sa, sb] of PAIRS) {
        await compareWithCpu(() => fn(floats(sa, 1, true, -2, 2), floats(sb, 2, true, -2, 2)), {label: `${name} f32 [${sa}] [${sb}]`});
        await compareWithCpu(() => fn(ints(sa, 3), ints(sb, 4)), {label: `${name} i32 [${sa}] [${sb}]`});
      }
      await compareWithCpu(() => fn(bools([3, 5], 5), bools([5], 6)), {label: `${name} bool`});
    });
  }
});

describe('logical ops', () => {
  it('logicalAnd, logicalOr, logicalNot on bool', async () => {
    for (const [sa, sb] of PAIRS) {
      await compareWithCpu(() => [tf.logicalAnd(bools(sa, 7), bools(sb, 8)), tf.logicalOr(bools(sa, 9), bools(sb, 10))], {
        label: `[${sa}] [${sb}]`,
      });
    }
    await compareWithCpu(() => [tf.logicalNot(bools([17], 11)), tf.logicalXor(bools([4, 5], 12), bools([5], 13))]);
  });

  it('select (tf.where) with broadcast condition, float32/int32/bool values', async () => {
    await compareWithCpu(() => tf.where(bools([3, 7], 14), floats([3, 7], 15, true), floats([3, 7], 16)));
    await compareWithCpu(() => tf.where(bools([7], 17), floats([3, 7], 18), floats([3, 7], 19)));
    await compareWithCpu(() => tf.where(bools([100003], 20), ints([100003], 21), ints([100003], 22)));
    await compareWithCpu(() => tf.where(bools([5], 23), bools([5], 24), bools([5], 25)));
    await compareWithCpu(() => tf.where(tf.scalar(true, 'bool'), tf.scalar(1), tf.scalar(2)));
  });

  it('select with a rank-1 condition picks rows', async () => {
    await tf.setBackend('native-cpu');
    const out = tf.tidy(() => {
      const c = tf.tensor([true, false], [2], 'bool');
      const t = tf.tensor([[1, 2], [3, 4]]);
      const e = tf.tensor([[5, 6], [7, 8]]);
      return (tf.engine().runKernel('Select', {condition: c, t, e}) as tf.Tensor).arraySync();
    });
    expect(out).toEqual([[1, 2], [7, 8]]);
  });

  it('select rejects mismatched shapes naming the kernel', async () => {
    await tf.setBackend('native-cpu');
    const c = tf.tensor([true, false, true], [3], 'bool');
    const t = tf.ones([2, 2]);
    expect(() => tf.engine().runKernel('Select', {condition: c, t, e: t})).toThrow(/Select: condition of shape \[3\]/);
    expect(() => tf.engine().runKernel('Select', {condition: c, t, e: tf.ones([3])})).toThrow(/Select: t and e must have the same shape/);
    tf.dispose([c, t]);
  });
});

type UnaryFn = (x: tf.Tensor) => tf.Tensor;
const EXTRA_UNARY: Array<[string, UnaryFn, string, tf.NamedAttrMap?]> = [
  ['step', (x) => tf.step(x, 0.25), 'Step', {alpha: 0.25}],
  ['floor', tf.floor, 'Floor'],
  ['ceil', tf.ceil, 'Ceil'],
  ['round', tf.round, 'Round'],
  ['sign', tf.sign, 'Sign'],
  ['reciprocal', tf.reciprocal, 'Reciprocal'],
  ['isNaN', tf.isNaN, 'IsNan'],
  ['erf', tf.erf, 'Erf'],
  ['softplus', tf.softplus, 'Softplus'],
  ['sin', tf.sin, 'Sin'],
  ['cos', tf.cos, 'Cos'],
  ['expm1', tf.expm1, 'Expm1'],
  ['log1p', tf.log1p, 'Log1p'],
];

describe('other unary kernels', () => {
  for (const [name, fn, kernel, attrs] of EXTRA_UNARY) {
    it(`${name}: float32 with NaN/Inf and halves, int32 at the kernel`, async () => {
      await compareWithCpu(() => fn(floats([1000], 30, true, -20, 20)), {label: `${name} f32`});
      await compareWithCpu(() => fn(floats([2, 3, 4, 5, 7], 31, false, -1, 1)), {label: `${name} rank 5`});
      await compareWithCpu(() => tf.engine().runKernel(kernel, {x: ints([257], 32, -5, 5)}, attrs ?? {}) as tf.Tensor, {
        label: `${name} int32`,
      });
    });
  }
});

describe('extras used by models and the conformance suite', () => {
  it('pow with JavaScript special cases, mod and floorDiv signs', async () => {
    await compareWithCpu(() => {
      const a = tf.tensor([1, 1, -1, -1, 2, -2, 0, 0, NaN, 2, -8, 4]);
      const b = tf.tensor([NaN, Infinity, -Infinity, Infinity, 0.5, 0.5, -1, 0, 0, NaN, 1 / 3, -0.5]);
      return [tf.pow(a, b)];
    });
    await compareWithCpu(() => {
      const a = tf.tensor([7, -7, 7, -7, 0, 5.5, -5.5, 1]);
      const b = tf.tensor([3, 3, -3, -3, 3, 2, 2, 0]);
      return [tf.mod(a, b), tf.floorDiv(a, b)];
    });
    await compareWithCpu(() => {
      const a = tf.tensor([7, -7, 7, -7, 0, 5, 1], [7], 'int32');
      const b = tf.tensor([3, 3, -3, -3, 3, 0, 0], [7], 'int32');
      return [tf.mod(a, b), tf.floorDiv(a, b), tf.pow(a, tf.abs(b))];
    });
  });

  it('any/all/prod and argMin over axes', async () => {
    for (const axis of [0, 1, [0, 1], -1]) {
      await compareWithCpu(() => [tf.any(bools([6, 9], 40), axis), tf.all(bools([6, 9], 41), axis, true)], {label: `${axis}`});
    }
    await compareWithCpu(() => [tf.prod(ints([3, 4], 42), 1), tf.argMin(floats([3, 17], 43), 1)]);
  });

  it('rejects string inputs naming the kernel', async () => {
    await tf.setBackend('native-cpu');
    const s = tf.tensor(['a', 'b']);
    expect(() => tf.engine().runKernel('LogicalAnd', {a: s, b: s})).toThrow(/LogicalAnd: dtype 'string' is not supported/);
    expect(() => tf.engine().runKernel('Equal', {a: s, b: tf.scalar(1)})).toThrow(/Equal: dtype 'string' is not supported/);
    expect(() => tf.engine().runKernel('LogicalNot', {x: s})).toThrow(/LogicalNot: dtype 'string'/);
    expect(() => tf.engine().runKernel('Select', {condition: s, t: s, e: s})).toThrow(/Select: dtype 'string'/);
    s.dispose();
  });
});

describe('string comparisons (computed in JavaScript)', () => {
  it('equal/notEqual/greater/greaterEqual/less/lessEqual with broadcasting', async () => {
    for (const [name, fn] of COMPARISONS) {
      await compareWithCpu(() => fn(tf.tensor([['a', 'b', 'c'], ['bb', 'a', '']]), tf.tensor(['a', 'b', 'bb'])), {label: name});
      await compareWithCpu(() => fn(tf.tensor([['x'], ['a']]), tf.tensor(['a', 'x', 'z'])), {label: `${name} outer`});
      await compareWithCpu(() => fn(tf.tensor('b'), tf.tensor(['a', 'b', 'c'])), {label: `${name} scalar`});
    }
  });
});
