// Layout kernels against tfjs-backend-cpu: exact equality (these kernels only move, convert or
// generate elements), every dtype including strings where tfjs supports them, ranks 0..6, empty
// tensors, copies large enough to be split over threads, and bad input.
import {describe, expect, it} from 'vitest';

import {getThreads, setThreads} from '../src/index.js';
import {loadCpuAddon} from '../src/native.js';
import {compareExact, compareStrings, DTYPES, Dtype, expectError, make, run} from './util/layout_helpers.js';
import {randomInts, tf} from './util/reference.js';

const SHAPES: number[][] = [[], [7], [3, 5], [2, 3, 4], [2, 1, 3, 5], [1, 2, 3, 2, 3], [2, 1, 2, 3, 1, 3]];

describe('Transpose', () => {
  it('matches tfjs for ranks 0..6, numeric dtypes and strings, several perms', async () => {
    for (const shape of SHAPES) {
      const rank = shape.length;
      const perms: number[][] = [Array.from({length: rank}, (_, i) => rank - 1 - i)];
      if (rank >= 2) perms.push([...Array.from({length: rank - 1}, (_, i) => i + 1), 0]);
      if (rank >= 3) perms.push([0, ...Array.from({length: rank - 2}, (_, i) => i + 2), 1]);  // NHWC -> NCHW-like
      for (const perm of perms) {
        for (const dtype of ['float32', 'int32', 'bool'] as const) {
          await compareExact(() => tf.transpose(make(shape, dtype), perm), `${dtype} [${shape}] perm [${perm}]`);
        }
        await compareStrings((x) => run('Transpose', {x}, {perm}), shape, `string [${shape}] perm [${perm}]`);
      }
    }
  });

  it('NHWC <-> NCHW with odd sizes, across the threading grain (blocked path)', async () => {
    for (const shape of [[1, 13, 11, 7], [1, 45, 47, 61]]) {
      for (const dtype of ['float32', 'bool'] as const) {
        await compareExact(() => tf.transpose(make(shape, dtype), [0, 3, 1, 2]), `${dtype} [${shape}]`);
      }
    }
    await compareExact(() => tf.transpose(make([2, 61, 33, 37], 'int32'), [0, 2, 3, 1]), 'NCHW -> NHWC');
    await compareExact(() => tf.transpose(make([1, 3, 150, 170], 'float32'), [0, 2, 3, 1]), 'RGB NCHW -> NHWC');
    await compareExact(() => tf.transpose(make([1, 150, 170, 3], 'float32'), [0, 3, 1, 2]), 'RGB NHWC -> NCHW');
    await compareExact(() => tf.transpose(make([257, 301], 'float32')), '2-D');
  });

  it('handles empty tensors and identity perms', async () => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      await compareExact(() => tf.transpose(make([2, 0, 3], dtype), [2, 0, 1]), `${dtype} empty`);
      await compareExact(() => tf.transpose(make([2, 3], dtype), [0, 1]), `${dtype} identity`);
    }
    await compareStrings((x) => run('Transpose', {x}, {perm: [1, 0]}), [0, 3], 'string empty');
  });

  it('gives the same result with one thread', async () => {
    const threads = getThreads();
    try {
      setThreads(1);
      await compareExact(() => tf.transpose(make([1, 40, 40, 40], 'float32'), [0, 3, 1, 2]), '1 thread');
      await compareExact(() => tf.concat([make([1, 40, 40, 24], 'float32'), make([1, 40, 40, 40], 'float32', 2)], 3), '1 thread concat');
      await compareExact(() => tf.mirrorPad(make([1, 60, 60, 8], 'int32'), [[0, 0], [2, 2], [2, 2], [0, 0]], 'symmetric'), '1 thread mirror pad');
      await compareExact(() => tf.cast(make([300, 300], 'float32'), 'int32'), '1 thread cast');
    } finally {
      setThreads(threads);
    }
  });

  it('rejects a bad perm naming the kernel', async () => {
    const x = () => make([2, 3], 'float32');
    await expectError(() => run('Transpose', {x: x()}, {perm: [0, 0]}), /Transpose: perm \[0,0\]/);
    await expectError(() => run('Transpose', {x: x()}, {perm: [0, 1, 2]}), /Transpose: perm/);
    await expectError(() => run('Transpose', {x: x()}, {perm: [0, 2]}), /Transpose: perm/);
  });
});

describe('Concat and Pack', () => {
  it('matches tfjs for every rank, axis (negative too) and dtype', async () => {
    for (const shape of SHAPES.slice(1)) {
      const rank = shape.length;
      for (let axis = -rank; axis < rank; axis++) {
        const a = axis < 0 ? axis + rank : axis;
        const shapes = [1, 3, 2].map((n) => shape.map((d, k) => (k === a ? n : d)));
        for (const dtype of DTYPES) {
          await compareExact(
            () => tf.concat(shapes.map((s, i) => make(s, dtype, i + 1)), axis),
            `${dtype} [${shape}] axis ${axis}`,
          );
        }
      }
    }
  });

  it('skips empty inputs and handles all-empty and single inputs', async () => {
    for (const dtype of DTYPES) {
      await compareExact(() => tf.concat([make([2, 0], dtype), make([2, 3], dtype, 2), make([2, 0], dtype)], 1), `${dtype} one non-empty`);
      await compareExact(() => tf.concat([make([2, 0], dtype), make([2, 3], dtype, 2), make([2, 4], dtype, 3)], 1), `${dtype} some empty`);
      await compareExact(() => tf.concat([make([0, 3], dtype), make([0, 3], dtype)], 0), `${dtype} all empty`);
      await compareExact(() => tf.concat([make([3, 2], dtype)], 0), `${dtype} single`);
    }
  });

  it('handles many inputs and large copies', async () => {
    await compareExact(() => tf.concat(Array.from({length: 11}, (_, i) => make([3, i % 4, 5], 'float32', i)), 1), 'many');
    await compareExact(() => tf.concat([make([1, 40, 40, 80], 'float32'), make([1, 40, 40, 56], 'float32', 2)], 3), 'channels');
    await compareExact(() => tf.concat([make([300, 500], 'int32'), make([200, 500], 'int32', 2)], 0), 'rows');
  });

  it('stacks along every axis', async () => {
    for (const shape of [[], [5], [2, 3], [2, 3, 4]]) {
      for (let axis = -(shape.length + 1); axis <= shape.length; axis++) {
        for (const dtype of DTYPES) {
          await compareExact(() => tf.stack([1, 2, 3].map((i) => make(shape, dtype, i)), axis), `${dtype} [${shape}] axis ${axis}`);
        }
      }
    }
    await compareExact(() => tf.stack([make([2, 3], 'float32')], 1), 'single');
    await compareExact(() => tf.stack([make([2, 0], 'int32'), make([2, 0], 'int32')], 1), 'empty');
  });

  it('rejects mismatched shapes and bad axes naming the kernel', async () => {
    await expectError(() => run('Concat', [make([2, 3], 'float32'), make([3, 3], 'float32')], {axis: 1}), /Concat: input 1 has shape \[3,3\]/);
    await expectError(() => run('Concat', [make([2, 3], 'float32'), make([2, 3, 1], 'float32')], {axis: 0}), /Concat: input 1/);
    await expectError(() => run('Concat', [make([2, 3], 'float32'), make([2, 3], 'float32')], {axis: 2}), /Concat: axis 2 is out of range/);
    await expectError(() => run('Concat', [make([2, 3], 'float32'), make([2, 3], 'int32')], {axis: 0}), /Concat: input 1 has dtype 'int32'/);
    await expectError(() => run('Pack', [make([2, 3], 'float32'), make([3, 2], 'float32')], {axis: 0}), /Pack: input 1 has shape/);
    await expectError(() => run('Pack', [make([2, 3], 'float32')], {axis: 3}), /Pack: axis 3 is out of range/);
  });
});

describe('Unpack and SplitV', () => {
  it('unstacks along every axis', async () => {
    for (const shape of [[4], [2, 3], [2, 3, 4], [1, 2, 1, 3, 2, 2]]) {
      for (let axis = -shape.length; axis < shape.length; axis++) {
        for (const dtype of DTYPES) {
          await compareExact(() => tf.unstack(make(shape, dtype), axis), `${dtype} [${shape}] axis ${axis}`);
        }
      }
    }
    await compareExact(() => tf.unstack(make([3, 0], 'float32'), 0), 'empty');
  });

  it('splits by count and by sizes (with -1) along every axis', async () => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      await compareExact(() => tf.split(make([6, 4], dtype), 3, 0), `${dtype} count`);
      await compareExact(() => tf.split(make([2, 9, 3], dtype), [2, -1, 3], 1), `${dtype} sizes`);
      await compareExact(() => tf.split(make([2, 3, 7], dtype), [0, 7], -1), `${dtype} empty part`);
    }
    await compareStrings((x) => run('SplitV', {x}, {numOrSizeSplits: [2, -1, 3], axis: 1}) as never, [2, 9, 3], 'strings');
    await compareExact(() => tf.split(make([64, 3000], 'float32'), [10, 20, 34], 0), 'large');
  });

  it('rejects bad input naming the kernel', async () => {
    await expectError(() => run('Unpack', {value: make([2, 3], 'float32')}, {axis: 2}), /Unpack: axis 2 is out of range/);
    await expectError(() => run('SplitV', {x: make([5, 3], 'float32')}, {numOrSizeSplits: 2, axis: 0}), /SplitV: .*divide/);
    await expectError(() => run('SplitV', {x: make([5, 3], 'float32')}, {numOrSizeSplits: [2, 2], axis: 0}), /SplitV: .*sum/);
  });
});

describe('Slice and StridedSlice', () => {
  it('slices every rank and dtype (contiguous and strided blocks, -1 sizes, empty)', async () => {
    for (const shape of SHAPES.slice(1)) {
      const begin = shape.map((d) => Math.floor(d / 3));
      const size = shape.map((d, k) => Math.max(0, d - begin[k] - (k % 2)));
      const minus = size.map((s, k) => (k === shape.length - 1 ? -1 : s));
      for (const dtype of DTYPES) {
        await compareExact(() => tf.slice(make(shape, dtype), begin, size), `${dtype} [${shape}] [${begin}] [${size}]`);
        await compareExact(() => tf.slice(make(shape, dtype), begin, minus), `${dtype} [${shape}] -1`);
        await compareExact(() => tf.slice(make(shape, dtype), shape.map(() => 0), shape.map((d) => d)), `${dtype} whole`);
      }
    }
    for (const dtype of DTYPES) {
      await compareExact(() => tf.slice(make([4, 5], dtype), [1, 2], [0, 2]), `${dtype} empty`);
      await compareExact(() => tf.slice(make([0, 5], dtype), [0, 1], [0, 3]), `${dtype} empty input`);
    }
    await compareExact(() => tf.slice(make([50, 80, 60], 'float32'), [3, 5, 7], [40, 70, 50]), 'large');
    await compareExact(() => tf.slice(make([400, 1000], 'int32'), [100, 0], [250, 1000]), 'large contiguous');
  });

  it('strided slices with every mask, negative strides and indices', async () => {
    const x = (dtype: Dtype) => make([5, 6, 7], dtype);
    type Case = [number[], number[], number[], number, number, number, number, number];
    const cases: Case[] = [
      [[0, 0, 0], [5, 6, 7], [1, 1, 1], 0, 0, 0, 0, 0],
      [[1, 0, 2], [4, 6, 7], [1, 2, 2], 0, 0, 0, 0, 0],
      [[4, 5, 6], [0, 0, 0], [-1, -2, -3], 0, 0, 0, 0, 0],
      [[-1, -2, -3], [-5, -6, -7], [-1, -1, -2], 0, 0, 0, 0, 0],
      [[1, 2, 3], [3, 4, 5], [1, 1, 1], 0b101, 0, 0, 0, 0],
      [[1, 2, 3], [3, 4, 5], [2, 1, 3], 0, 0b110, 0, 0, 0],
      [[1, 2, 3], [3, 4, 5], [1, 1, 1], 0b111, 0b111, 0, 0, 0],
      [[1, 0, 2], [3, 0, 6], [1, 1, 2], 0, 0, 0b010, 0, 0],
      [[0, 2], [3, 5], [1, 1], 0, 0, 0b001, 0, 0],
      [[1, 2, 3], [2, 3, 4], [1, 1, 1], 0, 0, 0, 0, 0b010],
      [[1, 2, 3], [2, 3, 4], [1, 1, 1], 0, 0, 0, 0, 0b111],
      [[-1, 0, 0], [0, 6, 7], [1, 1, 1], 0, 0, 0, 0, 0b001],
      [[0, 1, 0], [5, 5, 7], [2, 2, 3], 0, 0, 0, 0b001, 0],
      [[0, 0, 1, 0], [5, 0, 5, 7], [1, 1, 2, 1], 0, 0, 0, 0b010, 0],
      [[1, 2], [4, 5], [1, 1], 0, 0, 0, 0b001, 0b010],
      [[3, 1], [1, 6], [-1, 2], 0, 0, 0, 0, 0],
    ];
    for (const [begin, end, strides, bm, em, elm, nam, sam] of cases) {
      for (const dtype of DTYPES) {
        await compareExact(
          () => tf.stridedSlice(x(dtype), begin, end, strides, bm, em, elm, nam, sam),
          `${dtype} ${JSON.stringify([begin, end, strides, bm, em, elm, nam, sam])}`,
        );
      }
    }
    // Two specs tfjs-backend-cpu itself fails on (shrink with a non-unit stride elsewhere; begin > end in
    // dimension 0): compared with the same selection written another way.
    await compareExact(
      () => tf.expandDims(tf.reshape(tf.slice(x('float32'), [2, 0, 0], [1, 6, 7]), [6, 7]), 0),
      'new axis + shrink + stride',
      () => tf.stridedSlice(x('float32'), [1, 2], [4, 5], [1, 2], 0, 0, 0, 0b001, 0b010),
    );
    await compareExact(
      () => tf.slice(x('int32'), [0, 0, 0], [0, 6, 7]),
      'begin > end in dimension 0',
      () => tf.stridedSlice(x('int32'), [4, 0, 0], [2, 6, 7], [1, 1, 1]),
    );
    await compareExact(() => tf.stridedSlice(make([60, 70, 80], 'float32'), [1, 2, 3], [59, 68, 79], [2, 1, 3]), 'large');
    await compareExact(() => tf.stridedSlice(make([2, 3, 4, 5, 6, 7], 'int32'), [0, 1, 0, 1, 0, 1], [2, 3, 4, 5, 6, 7], [1, 1, 2, 2, 3, 3]), 'rank 6');
  });

  it('rejects out-of-range slices naming the kernel', async () => {
    await expectError(() => run('Slice', {x: make([4, 5], 'float32')}, {begin: [1, 2], size: [4, 1]}), /Slice: begin \[1,2\] and size \[4,1\]/);
    await expectError(() => run('Slice', {x: make([4, 5], 'float32')}, {begin: [0], size: [1, 1, 1]}), /Slice: /);
    await expectError(
      () => run('StridedSlice', {x: make([4, 5], 'float32')}, {begin: [0, 0], end: [1, 1], strides: [0, 1], beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0}),
      /StridedSlice: .*non-zero/,
    );
  });
});

describe('PadV2 and MirrorPad', () => {
  it('pads every rank and numeric dtype with a constant', async () => {
    for (const shape of SHAPES.slice(1)) {
      const paddings = shape.map((_, k) => [k % 3, (k + 1) % 2] as [number, number]);
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const value = dtype === 'bool' ? 1 : dtype === 'int32' ? -7 : 2.5;
        await compareExact(() => tf.pad(make(shape, dtype), paddings, value), `${dtype} [${shape}]`);
        await compareExact(() => tf.pad(make(shape, dtype), paddings), `${dtype} [${shape}] zero`);
      }
    }
    await compareExact(() => tf.pad(make([2, 0, 3], 'float32'), [[1, 0], [2, 1], [0, 0]], 3), 'empty input');
    await compareExact(() => tf.pad(make([1, 100, 100, 24], 'float32'), [[0, 0], [1, 2], [2, 1], [0, 0]], NaN), 'large NaN');
    await compareExact(() => tf.pad(make([3, 4], 'int32'), [[1, 1], [1, 1]], 3.7), 'int32 fractional value');
  });

  it('mirror-pads in reflect and symmetric modes', async () => {
    for (const shape of [[5], [3, 4], [2, 3, 4], [1, 3, 2, 4, 1, 3]]) {
      for (const mode of ['reflect', 'symmetric'] as const) {
        const limit = (d: number) => (mode === 'reflect' ? d - 1 : d);
        const paddings = shape.map((d, k) => [Math.min(limit(d), k + 1), Math.min(limit(d), 2)] as [number, number]);
        for (const dtype of ['float32', 'int32', 'bool'] as const) {
          await compareExact(() => tf.mirrorPad(make(shape, dtype), paddings, mode), `${dtype} [${shape}] ${mode}`);
        }
      }
    }
    await compareExact(() => tf.mirrorPad(make([1, 90, 90, 8], 'float32'), [[0, 0], [3, 3], [3, 3], [0, 0]], 'reflect'), 'large');
  });

  it('rejects bad paddings and string tensors naming the kernel', async () => {
    await expectError(() => run('PadV2', {x: make([2, 3], 'float32')}, {paddings: [[1, 1]], constantValue: 0}), /PadV2: paddings/);
    await expectError(() => run('PadV2', {x: make([2, 3], 'float32')}, {paddings: [[1, 1], [-1, 0]], constantValue: 0}), /PadV2: paddings/);
    await expectError(() => run('PadV2', {x: make([2, 3], 'string')}, {paddings: [[1, 1], [0, 0]], constantValue: 0}), /PadV2: dtype 'string'/);
    await expectError(() => run('MirrorPad', {x: make([2, 3], 'float32')}, {paddings: [[2, 0], [0, 0]], mode: 'reflect'}), /MirrorPad: paddings \[2, 0\] of dimension 0/);
    await expectError(() => run('MirrorPad', {x: make([2, 3], 'float32')}, {paddings: [[0, 0], [0, 0]], mode: 'edge'}), /MirrorPad: mode 'edge'/);
  });
});

describe('Tile, BroadcastTo, Reverse, ExpandDims', () => {
  it('tiles every rank and dtype', async () => {
    for (const shape of SHAPES) {
      const reps = shape.map((_, k) => [2, 1, 3][k % 3]);
      for (const dtype of DTYPES) {
        await compareExact(() => tf.tile(make(shape, dtype), reps), `${dtype} [${shape}] reps [${reps}]`);
      }
    }
    await compareExact(() => tf.tile(make([2, 3], 'int32'), [0, 2]), 'zero reps');
    await compareExact(() => tf.tile(make([1, 1, 64], 'float32'), [100, 30, 1]), 'large');
  });

  it('broadcasts like tfjs (BroadcastTo kernel against tfjs-backend-cpu tile)', async () => {
    const cases: Array<[number[], number[]]> = [
      [[3], [4, 3]],
      [[1], [2, 3, 4]],
      [[2, 1, 3], [2, 5, 3]],
      [[1, 4, 1], [3, 4, 5]],
      [[2, 3], [2, 3]],
      [[], [2, 2]],
      [[1, 1], [200, 300]],
    ];
    for (const [from, to] of cases) {
      await compareStrings((x) => tf.broadcastTo(x, to), from, `strings [${from}] -> [${to}]`, (x) =>
        run('BroadcastTo', {x}, {shape: to, inputShape: from}),
      );
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        await compareExact(
          () => tf.broadcastTo(make(from, dtype), to),
          `${dtype} [${from}] -> [${to}]`,
          () => run('BroadcastTo', {x: make(from, dtype)}, {shape: to, inputShape: from}),
        );
      }
    }
    await expectError(() => run('BroadcastTo', {x: make([2, 3], 'float32')}, {shape: [2, 4], inputShape: [2, 3]}), /BroadcastTo: .*\[2,3\].*\[2,4\]/);
  });

  it('reverses any set of dimensions', async () => {
    for (const shape of SHAPES) {
      const rank = shape.length;
      const dimsList: number[][] = [[], Array.from({length: rank}, (_, i) => i)];
      if (rank >= 1) dimsList.push([rank - 1], [-1]);
      if (rank >= 3) dimsList.push([0, 2]);
      for (const dims of dimsList) {
        for (const dtype of ['float32', 'int32', 'bool'] as const) {
          await compareExact(() => tf.reverse(make(shape, dtype), dims), `${dtype} [${shape}] dims [${dims}]`);
        }
        await compareStrings((x) => run('Reverse', {x}, {dims}), shape, `strings [${shape}] dims [${dims}]`);
      }
    }
    await compareExact(() => tf.reverse(make([200, 300, 3], 'float32'), [1]), 'large');
    await compareExact(() => run('Reverse', {x: make([2, 3, 4], 'int32')}, {}), 'no dims: every dimension');
    await expectError(() => run('Reverse', {x: make([2, 3], 'float32')}, {dims: [2]}), /Reverse: dim 2 is out of range/);
  });

  it('expands dims without copying', async () => {
    for (const shape of [[], [3], [2, 3]]) {
      for (let dim = -(shape.length + 1); dim <= shape.length; dim++) {
        for (const dtype of DTYPES) {
          await compareExact(() => tf.expandDims(make(shape, dtype), dim), `${dtype} [${shape}] dim ${dim}`);
        }
      }
    }
    await expectError(() => run('ExpandDims', {input: make([2, 3], 'float32')}, {dim: 4}), /ExpandDims: dim 4/);
  });

  it('squeezes like tf.squeeze (Squeeze kernel)', async () => {
    for (const [shape, axis] of [[[1, 3, 1, 2], undefined], [[1, 3, 1, 2], [2]], [[1, 3, 1, 2], [-4, 2]], [[1], [0]], [[2, 0, 1], undefined]] as Array<[number[], number[] | undefined]>) {
      for (const dtype of DTYPES) {
        await compareExact(() => tf.squeeze(make(shape, dtype), axis), `${dtype} [${shape}] axis ${axis}`, () =>
          run('Squeeze', {x: make(shape, dtype)}, {axis}),
        );
      }
    }
    await expectError(() => run('Squeeze', {x: make([1, 3], 'float32')}, {axis: [1]}), /Squeeze: /);
  });
});

describe('Cast, Fill, OnesLike, ZerosLike, OneHot, Range', () => {
  const special = [0, -0, 1, -1, 0.5, -0.5, 2.7, -2.7, NaN, Infinity, -Infinity, 3e9, -3e9, 2147483520, 16777216, 1e-40];

  it('casts between float32, int32 and bool in every direction', async () => {
    const dtypes = ['float32', 'int32', 'bool'] as const;
    for (const from of dtypes) {
      for (const to of dtypes) {
        await compareExact(() => tf.cast(tf.tensor(special, [4, 4], from), to), `${from} -> ${to} special values`);
        await compareExact(() => tf.cast(make([3, 0], from), to), `${from} -> ${to} empty`);
        await compareExact(() => tf.cast(make([181, 211], from), to), `${from} -> ${to} large`);
      }
    }
    await expectError(() => run('Cast', {x: make([2], 'string')}, {dtype: 'float32'}), /Cast: cannot cast 'string' to 'float32'/);
    await expectError(() => run('Cast', {x: make([2], 'float32')}, {dtype: 'string'}), /Cast: .*supported: float32, int32, bool/);
  });

  it('fills with any value and dtype', async () => {
    const values: Array<[number | string, tf.DataType | undefined]> = [
      [2.5, 'float32'], [-0, 'float32'], [NaN, 'float32'], [7, 'int32'], [-3.9, 'int32'], [1, 'bool'], [0, 'bool'],
      [4, undefined], ['abc', 'string'], ['x', undefined],
    ];
    for (const [value, dtype] of values) {
      const shapes = [[], [3], [2, 0], [3, 5, 7]];
      if (dtype !== 'string' && dtype !== undefined) shapes.push([300, 250]);
      for (const shape of shapes) {
        await compareExact(
          () => tf.fill(shape, value, dtype),
          `fill ${value} ${dtype} [${shape}]`,
          () => run('Fill', {}, {shape, value, dtype}),
        );
      }
    }
  });

  it('makes ones and zeros like numeric tensors', async () => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      for (const shape of [[], [5], [2, 0, 3], [100, 300]]) {
        await compareExact(() => tf.onesLike(make(shape, dtype)), `ones ${dtype} [${shape}]`);
        await compareExact(() => tf.zerosLike(make(shape, dtype)), `zeros ${dtype} [${shape}]`);
      }
    }
    await expectError(() => run('OnesLike', {x: make([2], 'string')}), /OnesLike: dtype 'string'/);
    await expectError(() => run('ZerosLike', {x: make([2], 'string')}), /ZerosLike: dtype 'string'/);
  });

  it('one-hot encodes, ignoring indices outside [0, depth)', async () => {
    const idx = () => tf.tensor([0, 3, -1, 4, 2, 5, 1, 100], [2, 4], 'int32');
    await compareExact(() => tf.oneHot(idx(), 5), 'default');
    await compareExact(() => tf.oneHot(idx(), 5, 3, -2, 'int32'), 'on/off int32');
    await compareExact(() => tf.oneHot(idx(), 4, 2.5, 0.5, 'float32'), 'on/off float32');
    await compareExact(() => tf.oneHot(tf.tensor([1, 0, 2], [3], 'int32'), 3, 1, 0, 'bool'), 'bool');
    await compareExact(() => tf.oneHot(tf.tensor([], [0], 'int32'), 3), 'empty');
    await compareExact(() => tf.oneHot(tf.tensor(randomInts(1000, 5, -1, 100), [1000], 'int32'), 100), 'large');
    await expectError(() => run('OneHot', {indices: make([2], 'float32')}, {depth: 3, onValue: 1, offValue: 0, dtype: 'int32'}), /OneHot: indices have dtype 'float32'/);
  });

  it('lists the coordinates of true elements (Where) like tf.whereAsync', async () => {
    for (const shape of [[], [7], [3, 5], [2, 3, 4], [1, 2, 1, 3, 2, 2]]) {
      for (const dtype of ['bool', 'float32', 'int32'] as const) {
        const cond = () => tf.tensor(Int32Array.from(randomInts(shape.reduce((a, b) => a * b, 1), 9, -1, 1)), shape, dtype);
        await tf.setBackend('cpu');
        const c = cond();
        const expected = await tf.whereAsync(tf.cast(c, 'bool'));
        const want = {shape: expected.shape, values: Array.from(expected.dataSync())};
        tf.dispose([c, expected]);
        await tf.setBackend('native-cpu');
        const x = cond();
        const got = run('Where', {condition: x});
        expect({shape: got.shape, values: Array.from(got.dataSync())}, `${dtype} [${shape}]`).toEqual(want);
        expect(got.dtype).toBe('int32');
        tf.dispose([x, got]);
      }
    }
    await expectError(() => run('Where', {condition: make([2], 'string')}), /Where: dtype 'string'/);
  });

  it('makes ranges like tfjs', async () => {
    const cases: Array<[number, number, number, 'float32' | 'int32']> = [
      [0, 10, 1, 'float32'], [0, 10, 3, 'int32'], [10, 0, 1, 'float32'], [10, 0, -3, 'int32'], [0, 1, 0.1, 'float32'],
      [-2.5, 7.25, 0.75, 'float32'], [3, 3, 1, 'float32'], [0, 5, -1, 'float32'], [0, 100000, 1, 'int32'],
    ];
    for (const [start, stop, step, dtype] of cases) {
      await compareExact(() => tf.range(start, stop, step, dtype), `range ${start} ${stop} ${step} ${dtype}`);
    }
  });
});

describe('native layout entries', () => {
  // The addon checks every option itself: nothing reachable from JavaScript may read or write
  // outside a buffer, whatever the options say.
  it('reject options that would touch memory outside the buffers', async () => {
    const addon = loadCpuAddon();
    const call = (entry: string, options: object) => () => (addon[entry] as (o: object) => void)(options);
    const f4 = (n: number) => addon.create(new Float32Array(n));
    const i4 = (values: number[]) => addon.create(Int32Array.from(values));
    const x = f4(12);
    const out = f4(12);
    const base = {x, out, dtype: 'float32'};
    try {
      expect(call('transpose', {...base, shape: [3, 4], xOffset: 0, xStrides: [1, 3]})).not.toThrow();
      expect(call('transpose', {...base, shape: [3, 4], xOffset: 1, xStrides: [1, 3]})).toThrow(/Transpose: source elements \[1, 12\] are outside the input \(12 elements\)/);
      expect(call('slice', {...base, shape: [3, 4], xOffset: 11, xStrides: [-4, -1]})).not.toThrow();
      expect(call('slice', {...base, shape: [3, 4], xOffset: 10, xStrides: [-4, -1]})).toThrow(/Slice: source elements \[-1, 10\]/);
      expect(call('tile', {...base, shape: [4, 4], xOffset: 0, xStrides: [0, 1]})).toThrow(/Tile: destination elements \[0, 15\] are outside the output/);
      expect(call('reverse', {...base, shape: [2, 2], xOffset: 0, xStrides: [2 ** 52, 1]})).toThrow(/Reverse: /);
      expect(call('stridedSlice', {...base, shape: [2, 3], xOffset: 0, xStrides: [1]})).toThrow(/StridedSlice: shape, xStrides and outStrides/);
      expect(call('broadcastTo', {...base, shape: [2, -3], xOffset: 0, xStrides: [1, 1]})).toThrow(/BroadcastTo: negative dimension/);
      expect(call('unpack', {...base, shape: [2, 2], xOffset: 0})).toThrow(/Unpack: missing option 'xStrides'/);
      expect(call('transpose', {...base, x: 999999, shape: [1], xOffset: 0, xStrides: [1]})).toThrow(/Transpose: 'x': no native buffer with id 999999/);
      expect(call('concat', {inputs: [x, x], inner: [4, 4], out, dtype: 'float32', outer: 2})).toThrow(/Concat: buffer 'out' holds 48 bytes/);
      expect(call('concat', {inputs: [x, x], inner: [7, 1], out: f4(16), dtype: 'float32', outer: 2})).toThrow(/Concat: input 0 holds 12 elements, 14 are needed/);
      expect(call('pack', {inputs: [x], inner: [-1], out, dtype: 'float32', outer: 1})).toThrow(/Pack: /);
      expect(call('padV2', {...base, shape: [3, 4], before: [0, 1], after: [0, 0], value: 0})).toThrow(/PadV2: the output holds 12 elements, 15 are needed/);
      expect(call('padV2', {...base, shape: [3, 4], before: [0, -1], after: [0, 1], value: 0})).toThrow(/PadV2: paddings must be non-negative/);
      expect(call('padV2', {...base, shape: [4, 4], before: [0, 0], after: [0, 0], value: 0})).toThrow(/PadV2: buffer 'x' holds 48 bytes/);
      expect(call('mirrorPad', {...base, x: f4(2), shape: [2], before: [2], after: [0], offset: 0})).toThrow(/MirrorPad: paddings of dimension 0 must be at most 1/);
      expect(call('mirrorPad', {...base, shape: [12], before: [0], after: [0], offset: 2})).toThrow(/MirrorPad: mode offset/);
      const idx = i4([0, 2, 1]);
      expect(call('gatherV2', {...base, indices: idx, batch: 1, outer: 1, dim: 3, slice: 4, count: 3})).not.toThrow();
      expect(call('gatherV2', {...base, indices: idx, batch: 1, outer: 1, dim: 3, slice: 4, count: 4})).toThrow(/GatherV2: indices hold 3 elements, 4 are needed/);
      expect(call('gatherV2', {...base, indices: idx, batch: 1, outer: 1, dim: 4, slice: 4, count: 3})).toThrow(/GatherV2: the input holds 12 elements, 16 are needed/);
      expect(call('gatherV2', {...base, indices: idx, batch: 1, outer: 1, dim: 2, slice: 6, count: 2})).toThrow(/GatherV2: the index value 2 is not in \[0, 1\]/);
      expect(call('gatherNd', {params: x, indices: idx, out, dtype: 'float32', slices: 1, indexRank: 3, sliceSize: 1, strides: [4, 1], rows: 12, paramsShape: [12]})).toThrow(/GatherNd: 2 strides for indices of depth 3/);
      expect(call('gatherNd', {params: x, indices: idx, out, dtype: 'float32', slices: 3, indexRank: 1, sliceSize: 4, strides: [1], rows: 4, paramsShape: [3, 4]})).toThrow(/GatherNd: the input holds 12 elements, 16 are needed/);
      expect(call('cast', {x, out, from: 'float32', to: 'int32', size: 13})).toThrow(/Cast: buffer 'x' holds 48 bytes but 13 float32 elements/);
      expect(call('cast', {x, out, from: 'float32', to: 'string', size: 1})).toThrow(/Cast: unsupported dtype 'string'/);
      expect(call('fill', {out, dtype: 'int32', size: 20, value: 1})).toThrow(/Fill: buffer 'out' holds 48 bytes/);
      expect(call('fill', {out, dtype: 'int32', size: -1, value: 1})).toThrow(/Fill: option 'size' must be >= 0/);
      expect(call('oneHot', {indices: idx, out, dtype: 'float32', count: 3, depth: 5, on: 1, off: 0})).toThrow(/OneHot: the output holds 12 elements, 15 are needed/);
      expect(call('oneHot', {indices: idx, out, dtype: 'float32', count: 4, depth: 3, on: 1, off: 0})).toThrow(/OneHot: buffer 'indices'/);
      addon.free(idx);
    } finally {
      addon.free(x);
      addon.free(out);
    }
  });
});
