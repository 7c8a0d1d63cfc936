// Bad input never aborts the process: every native entry and every tfjs op on native-cpu answers
// garbage with an Error that says what was wrong.
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

import {describe, expect, it} from 'vitest';

import {NativeCpuBackend} from '../src/backend.js';
import {setPreparedBlocks} from '../src/kernels/mbconv_prepared.js';
import {head} from '../src/models/head.js';
import {mbconv} from '../src/models/mbconv.js';
import {loadCpuAddon} from '../src/native.js';
import {runWithAddon} from './util/addon_child.js';
import {tf} from './util/reference.js';

const addon = loadCpuAddon();
const call = (entry: string, ...args: unknown[]) => (addon[entry] as (...a: unknown[]) => unknown)(...args);

/** Options for conv2d over a 1x4x4x2 input and a 3x3x2x3 filter (valid padding). */
function conv2dOptions(x: number, filter: number, out: number): Record<string, unknown> {
  return {
    x, filter, out, batch: 1, inH: 4, inW: 4, inC: 2, outH: 2, outW: 2, outC: 3, filterH: 3, filterW: 3,
    strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0,
  };
}

/** MemAvailable + SwapFree from /proc/meminfo, in bytes. */
function availableMemoryBytes(): number {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(info)?.[1] ?? 0);
  return (kb('MemAvailable') + kb('SwapFree')) * 1024;
}

function floats(n: number): number {
  return addon.create(new Float32Array(n).fill(0.5));
}

describe('memory entries reject bad input with a clear Error', () => {
  it('alloc: missing, wrong-typed, negative, absurd sizes', () => {
    expect(() => call('alloc')).toThrowError(/alloc: expected a byte count/);
    expect(() => call('alloc', '64')).toThrowError(/alloc: expected a byte count/);
    expect(() => call('alloc', -1)).toThrowError(/alloc: invalid byte count/);
    expect(() => call('alloc', NaN)).toThrowError(/alloc: invalid byte count/);
    expect(() => call('alloc', 1e300)).toThrowError(/alloc: invalid byte count/);
    expect(() => call('alloc', 1e15)).toThrowError(/out of memory/);
    // More than the system can back: refused before Linux's overcommit grants it (the process would be
    // killed when the buffer is written), with what was asked and what is available.
    expect(() => call('alloc', availableMemoryBytes() + 2 ** 30)).toThrowError(
      /out of memory: a native buffer of \d+ bytes; \d+ bytes of memory are available/,
    );
    // The engine is still usable afterwards.
    const id = addon.alloc(16);
    expect(new Float32Array(addon.read(id))).toEqual(new Float32Array(4));
    expect(addon.free(id)).toBe(true);
  });

  it('create / write / read / free: wrong types, wrong sizes, freed and unknown ids', () => {
    expect(() => call('create')).toThrowError(/create: expected a typed array/);
    expect(() => call('create', [1, 2, 3])).toThrowError(/create: expected a typed array/);
    const id = addon.create(new Float32Array([1, 2, 3]));
    expect(() => call('write', id)).toThrowError(/write: expected a typed array/);
    expect(() => call('write', 'x', new Float32Array(3))).toThrowError(/write: expected a buffer id/);
    expect(() => addon.write(id, new Float32Array(4))).toThrowError(/write: buffer \d+ holds 12 bytes, the array has 16/);
    addon.write(id, new Float32Array([4, 5, 6]));
    expect(Array.from(new Float32Array(addon.read(id)))).toEqual([4, 5, 6]);
    expect(addon.free(id)).toBe(true);
    expect(addon.free(id)).toBe(false);
    expect(() => addon.read(id)).toThrowError(new RegExp(`no native buffer with id ${id} \\(was the tensor disposed\\?\\)`));
    expect(() => addon.write(id, new Float32Array(3))).toThrowError(/no native buffer with id/);
    expect(() => addon.read(0x7fffffff)).toThrowError(/no native buffer with id 2147483647/);
    expect(() => call('read')).toThrowError(/read: expected a buffer id/);
    expect(() => call('free', {})).toThrowError(/free: expected a buffer id/);
  });

  it('setThreads / setIsa / winogradMode / gemmTileRates: out-of-range and unknown values', () => {
    const before = addon.info();
    expect(() => call('setThreads')).toThrowError(/setThreads: expected a thread count/);
    expect(() => call('setThreads', 0)).toThrowError(/setThreads: thread count must be an integer from 1 to 1024, got 0/);
    expect(() => call('setThreads', 2.5)).toThrowError(/setThreads: thread count must be an integer/);
    expect(() => call('setThreads', 1e9)).toThrowError(/setThreads: thread count must be an integer from 1 to 1024/);
    expect(() => call('setIsa', 'sse9')).toThrowError(/setIsa: unknown ISA level 'sse9'; supported: portable, avx2, avx512/);
    expect(() => call('setIsa', 3)).toThrowError(/setIsa: expected 'portable', 'avx2' or 'avx512'/);
    expect(() => call('winogradMode', 'f3')).toThrowError(/winogradMode: unknown mode 'f3'; supported: f2, f4, off/);
    expect(() => call('winogradMode', 3)).toThrowError(/winogradMode: expected 'f2', 'f4' or 'off'/);
    const rates = call('gemmTileRates');
    expect(() => call('gemmTileRates', 'quarter')).toThrowError(/gemmTileRates: unknown kind 'quarter'; supported: half, full, auto/);
    expect(() => call('gemmTileRates', 2)).toThrowError(/gemmTileRates: expected 'half', 'full' or 'auto'/);
    expect(call('gemmTileRates')).toBe(rates);
    expect(addon.info().threads).toBe(before.threads);
    expect(addon.info().isa).toBe(before.isa);
  });
});

describe('op entries reject bad options with a clear Error', () => {
  it('conv2d: missing options, wrong types, freed ids, buffers too small, absurd shapes', () => {
    const x = floats(32);
    const f = floats(54);
    const out = floats(12);
    try {
      expect(() => call('conv2d')).toThrowError(/Conv2D: expected one options object/);
      expect(() => call('conv2d', 7)).toThrowError(/Conv2D: expected one options object/);
      expect(() => call('conv2d', {})).toThrowError(/Conv2D: missing option 'batch'/);
      expect(() => call('conv2d', {...conv2dOptions(x, f, out), inH: 'four'})).toThrowError(/Conv2D: option 'inH' must be a number/);
      expect(() => call('conv2d', {...conv2dOptions(x, f, out), inW: 4.5})).toThrowError(/Conv2D: option 'inW' must be an integer/);
      expect(() => call('conv2d', {...conv2dOptions(x, f, out), x: 'id'})).toThrowError(/Conv2D: option 'x' must be a number/);
      expect(() => call('conv2d', {...conv2dOptions(x, f, out), x: -3})).toThrowError(/Conv2D: option 'x' is not a buffer id/);
      expect(() => call('conv2d', {...conv2dOptions(x, f, out), filter: 0x7ffffff0})).toThrowError(/Conv2D: 'filter': no native buffer with id/);
      // A buffer too small for the stated shape (input, filter and output in turn).
      expect(() => call('conv2d', {...conv2dOptions(x, f, out), inH: 5, outH: 3})).toThrowError(/Conv2D: buffer 'x' holds 128 bytes but 40 float32 elements \(160 bytes\) are needed/);
      expect(() => call('conv2d', {...conv2dOptions(x, f, out), outC: 4})).toThrowError(/Conv2D: buffer 'filter' holds 216 bytes/);
      expect(() => call('conv2d', {...conv2dOptions(x, f, f), outH: 20, outW: 20})).toThrowError(/Conv2D: /);
      // Absurd sizes: overflowing element counts and shapes inconsistent with each other.
      expect(() => call('conv2d', {...conv2dOptions(x, f, out), batch: 2 ** 40, inH: 2 ** 40})).toThrowError(/Conv2D: /);
      expect(() => call('conv2d', {...conv2dOptions(x, f, out), inC: -2})).toThrowError(/Conv2D: /);
      expect(() => call('conv2d', {...conv2dOptions(x, f, out), strideH: 0})).toThrowError(/Conv2D: /);
      // Freed ids.
      const freed = floats(32);
      addon.free(freed);
      expect(() => call('conv2d', conv2dOptions(freed, f, out))).toThrowError(new RegExp(`Conv2D: 'x': no native buffer with id ${freed}`));
      // The valid call works.
      call('conv2d', conv2dOptions(x, f, out));
      expect(Array.from(new Float32Array(addon.read(out)))).toEqual(new Array(12).fill(0.25 * 18));
    } finally {
      [x, f, out].forEach((id) => addon.free(id));
    }
  });

  it('batchMatMul / binary: wrong shapes and dtypes', () => {
    const a = floats(6);
    const b = floats(6);
    const out = floats(4);
    const mm = {a, b, out, batchA: 1, batchB: 1, batch: 1, m: 2, n: 2, k: 3, transposeA: false, transposeB: false, outShape: [2, 2]};
    try {
      expect(() => call('batchMatMul', {})).toThrowError(/BatchMatMul: missing option/);
      expect(() => call('batchMatMul', {...mm, k: 30})).toThrowError(/buffer 'a' holds 24 bytes but 60 float32 elements/);
      expect(() => call('batchMatMul', {...mm, outShape: [3, 3]})).toThrowError(/outShape does not match batch x m x n/);
      expect(() => call('batchMatMul', {...mm, m: -1})).toThrowError(/negative matrix dimension/);
      expect(() => call('batchMatMul', {...mm, transposeA: 'yes'})).toThrowError(/option 'transposeA' must be a boolean/);
      call('batchMatMul', mm);
      expect(Array.from(new Float32Array(addon.read(out)))).toEqual([0.75, 0.75, 0.75, 0.75]);

      const bin = {op: 'Add', a, b, out, aShape: [2, 3], bShape: [2, 3], outShape: [2, 3], aDtype: 'float32', bDtype: 'float32', outDtype: 'float32'};
      expect(() => call('binary', {...bin, op: 'Frobnicate'})).toThrowError(/Frobnicate: not a binary op of the native engine/);
      expect(() => call('binary', {...bin, aDtype: 'complex64'})).toThrowError(/unsupported dtype 'complex64' for 'aDtype'; supported: float32, int32, bool/);
      expect(() => call('binary', {...bin, outShape: [6, 6]})).toThrowError(/Add: /);
      expect(() => call('binary', {...bin, aShape: [2, 3], bShape: [4], outShape: [2, 3]})).toThrowError(/Add: /);
    } finally {
      [a, b, out].forEach((id) => addon.free(id));
    }
  });

  it('every op entry answers missing or garbage options with an Error, in a process that survives', () => {
    // Run in a child process: a crash there fails this test instead of taking the test runner down.
    // (and the prepared-block entries that take a handle and buffer ids: test/mbconv_prepared.test.ts)
    const memoryEntries = ['alloc', 'create', 'write', 'read', 'free', 'pin', 'unpin', 'copyBuffer', 'shareBuffer', 'resetBuffers', 'writtenWhole', 'compileGraph', 'runGraph', 'releaseGraph', 'info', 'setThreads', 'setIsa', 'winogradMode', 'gemmTileRates', 'mbconvRun', 'mbconvRelease', 'mbconvBlockCount'];
    const script = `
      const addon = require(process.argv[process.argv.length - 1]);
      const skip = new Set(${JSON.stringify(memoryEntries)});
      const garbage = [[], [undefined], [null], [42], ['x'], [[]], [{}], [{x: -1, out: -1}], [{x: 1e300}],
        [{x: NaN, a: NaN, out: NaN}], [{op: 'Add'}], [{op: 42}], [{size: -5}], [{size: 1e18, x: 1, out: 1}],
        [{shape: [1e9, 1e9, 1e9]}], [{inputs: [1, 2, 3]}], [{batch: 1e12, inH: 1e12, inW: 1e12, inC: 1e12}]];
      const report = [];
      for (const name of Object.keys(addon)) {
        if (skip.has(name) || typeof addon[name] !== 'function') continue;
        for (const args of garbage) {
          try {
            addon[name](...args);
            report.push({name, args: JSON.stringify(args), threw: false});
          } catch (e) {
            report.push({name, args: JSON.stringify(args), threw: e instanceof Error, message: String(e && e.message)});
          }
        }
      }
      process.stdout.write(JSON.stringify(report));
    `;
    const report = runWithAddon<{name: string; args: string; threw: boolean; message?: string}[]>(['-e', script]).result;
    const entries = new Set(report.map((r) => r.name));
    expect(entries.size, 'op entries found').toBeGreaterThanOrEqual(10);
    // Entries that take no options (peakGflops, copyGbps, ...) may accept anything; the rest must throw.
    const silent = report.filter((r) => !r.threw).map((r) => `${r.name}(${r.args})`);
    const silentEntries = new Set(report.filter((r) => !r.threw).map((r) => r.name));
    for (const name of silentEntries) {
      expect(['peakGflops', 'copyGbps'], `${name} accepted garbage: ${silent.filter((s) => s.startsWith(name)).join(', ')}`).toContain(name);
    }
    for (const r of report.filter((x) => x.threw)) {
      expect(r.message, `${r.name}(${r.args})`).toMatch(/\S/);
      expect(r.message, `${r.name}(${r.args})`).not.toMatch(/unknown native error/);
    }
  });
});

/** Options that name native buffers (a buffer id, or a list of them for `inputs`). */
const BUFFER_KEYS = ['x', 'filter', 'out', 'a', 'b', 'bias', 'prelu', 'mean', 'variance', 'offset', 'scale', 'logits',
  'condition', 't', 'e', 'indices', 'params', 'inputs', 'expandKernel', 'expandBias', 'depthwiseKernel', 'depthwiseBias',
  'seReduceKernel', 'seReduceBias', 'seExpandKernel', 'seExpandBias', 'projectKernel', 'projectBias', 'convKernel', 'convBias',
  'denseKernel', 'denseBias'];

/**
 * Options that size a buffer the entry reads or writes: multiplying one by 1000 (or setting 2^53)
 * must give an Error, since the buffers no longer hold what the options say.
 */
const SIZE_KEYS = /^(batch|batchA|batchB|height|width|headChannels|numClasses|inH|inW|inC|outH|outW|outC|channels|multiplier|m|n|k|size|inChannels|expandedChannels|seChannels|outChannels|rows|cols|count|depth|outer|slices|sliceSize|biasSize|preluSize|meanSize|varianceSize|offsetSize|scaleSize|conditionSize|shape\[\d+\]|outShape\[\d+\]|aShape\[\d+\]|inner\[\d+\]|biasShape\[\d+\])$/;

interface RecordedCall {
  entry: string;
  options: Record<string, unknown>;
  buffers: Record<number, string>;
  bufferKeys: string[];
}

/** The native calls a set of tfjs ops makes on native-cpu, with the contents of their buffers. */
async function recordNativeCalls(): Promise<RecordedCall[]> {
  await tf.setBackend('native-cpu');
  const calls: RecordedCall[] = [];
  const run = NativeCpuBackend.prototype.run;
  // Every eager MBConv call through the full mbconv entry, which the hook below sees.
  const previousPrepared = setPreparedBlocks(false);
  NativeCpuBackend.prototype.run = function (this: NativeCpuBackend, entry: string, options: object) {
    const buffers: Record<number, string> = {};
    const bufferKeys: string[] = [];
    for (const [k, v] of Object.entries(options)) {
      if (!BUFFER_KEYS.includes(k)) continue;  // (mirrorPad's numeric 'offset' is not batchNorm's buffer)
      try {
        for (const id of (Array.isArray(v) ? v : [v]) as number[]) {
          buffers[id] = Buffer.from(this.addon.read(id)).toString('base64');
        }
        bufferKeys.push(k);
      } catch {
        // not a buffer id
      }
    }
    calls.push({entry, options: JSON.parse(JSON.stringify(options)), buffers, bufferKeys});
    return run.call(this, entry, options);
  };
  try {
    tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from({length: 2 * 7 * 6 * 3}, (_, i) => Math.sin(i)), [2, 7, 6, 3]);
      tf.conv2d(x, tf.ones([3, 3, 3, 4]) as tf.Tensor4D, 2, 'same');
      tf.fused.conv2d({x, filter: tf.ones([1, 1, 3, 4]) as tf.Tensor4D, strides: 1, pad: 'same', bias: tf.ones([4]), activation: 'relu6'});
      tf.depthwiseConv2d(x, tf.ones([3, 3, 3, 2]) as tf.Tensor4D, 1, 'valid');
      tf.fused.depthwiseConv2d({
        x, filter: tf.ones([3, 3, 3, 1]) as tf.Tensor4D, strides: 1, pad: 'same', bias: tf.ones([3]),
        activation: 'prelu', preluActivationWeights: tf.ones([3]),
      });
      tf.maxPool(x, 3, 2, 'same');
      tf.avgPool(x, 2, 1, 'valid');
      tf.mean(x, [1, 2]);
      tf.max(x, 0);
      tf.argMax(x, 3);
      tf.softmax(x);
      tf.matMul(tf.ones([3, 4]), tf.ones([4, 5]));
      tf.fused.matMul({a: tf.ones([3, 4]), b: tf.ones([4, 5]), bias: tf.ones([5]), activation: 'relu'});
      tf.batchNorm(x, tf.ones([3]), tf.ones([3]), tf.ones([3]), tf.ones([3]), 1e-3);
      tf.image.resizeBilinear(x, [9, 4]);
      tf.add(x, tf.ones([3]));
      tf.sigmoid(x);
      tf.addN([x, x, x]);
      tf.where(tf.greater(x, 0.5), x, tf.zerosLike(x));
      tf.transpose(x, [0, 3, 1, 2]);
      tf.slice(x, [0, 1, 1, 0], [1, 3, 3, 2]);
      tf.stridedSlice(x, [0, 0, 0, 0], [2, 7, 6, 3], [1, 2, 2, 1]);
      tf.tile(x, [1, 2, 1, 1]);
      // tf.broadcastTo runs Tile; the BroadcastTo kernel is reached directly.
      tf.engine().runKernel('BroadcastTo', {x: tf.tensor2d([1, 2, 3], [1, 3])}, {shape: [4, 3], inputShape: [1, 3]});
      tf.reverse(x, [1]);
      tf.split(x, [2, 4], 2);
      tf.unstack(x, 1);
      tf.concat([x, x], 3);
      tf.stack([x, x], 1);
      tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]], 0.5);
      tf.mirrorPad(x, [[0, 0], [1, 1], [2, 2], [0, 0]], 'reflect');
      tf.gather(x, tf.tensor1d([1, 0, 1], 'int32'), 3);
      tf.gatherND(x, tf.tensor2d([[0, 1], [1, 2]], [2, 2], 'int32'));
      tf.cast(x, 'int32');
      tf.fill([3, 4], 2);
      tf.oneHot(tf.tensor1d([1, 3], 'int32'), 5);
      // The fused MBConv block (expand 3 -> 12, SE 12 -> 2, project 12 -> 3, residual).
      const w = (shape: number[]) => tf.tensor(Float32Array.from({length: shape.reduce((p, d) => p * d, 1)}, (_, i) => Math.cos(i) * 0.2), shape);
      mbconv(x, {
        expandKernel: w([1, 1, 3, 12]) as tf.Tensor4D, expandBias: w([12]) as tf.Tensor1D,
        depthwiseKernel: w([3, 3, 12, 1]) as tf.Tensor4D, depthwiseBias: w([12]) as tf.Tensor1D,
        seReduceKernel: w([1, 1, 12, 2]) as tf.Tensor4D, seReduceBias: w([2]) as tf.Tensor1D,
        seExpandKernel: w([1, 1, 2, 12]) as tf.Tensor4D, seExpandBias: w([12]) as tf.Tensor1D,
        projectKernel: w([1, 1, 12, 3]) as tf.Tensor4D, projectBias: w([3]) as tf.Tensor1D,
      }, {kernelSize: 3, stride: 1, padding: 'same'});
      // The fused EfficientNet head (1x1 conv 3 -> 8 + swish, mean, classifier 8 -> 5).
      head(x, {
        convKernel: w([1, 1, 3, 8]) as tf.Tensor4D, convBias: w([8]) as tf.Tensor1D,
        denseKernel: w([8, 5]) as tf.Tensor2D, denseBias: w([5]) as tf.Tensor1D,
      });
    });
  } finally {
    NativeCpuBackend.prototype.run = run;
    setPreparedBlocks(previousPrepared);
  }
  // mbconvPrepare takes the mbconv entry's options (it prepares the block for later eager calls).
  const block = calls.find((c) => c.entry === 'mbconv');
  if (block != null) calls.push({...block, entry: 'mbconvPrepare'});
  // One call per entry is enough (the first of each).
  return [...new Map(calls.map((c) => [c.entry, c])).values()];
}

describe('native entries called with mutated options from real tfjs calls', () => {
  it('never crash: a missing, freed or too-small buffer and an inflated size give Errors', async () => {
    const calls = await recordNativeCalls();
    // Every op entry of the addon is exercised (benchmark and diagnostic probes aside; mbconvMayOverwriteInput
    // reads an mbconv call's parameters, not its buffers: test/mbconv_fused.test.ts checks it).
    const recorded = new Set(calls.map((c) => c.entry));
    const memoryEntries = ['alloc', 'create', 'write', 'read', 'free', 'pin', 'unpin', 'copyBuffer', 'shareBuffer', 'resetBuffers', 'writtenWhole', 'compileGraph', 'runGraph', 'releaseGraph', 'info', 'setThreads', 'setIsa', 'winogradMode', 'peakGflops', 'copyGbps', 'gemmTile', 'gemmTileRates', 'mbconvRun', 'mbconvRelease', 'mbconvBlockCount', 'mbconvMayOverwriteInput'];
    const opEntries = Object.keys(addon).filter((k) => typeof addon[k] === 'function' && !memoryEntries.includes(k));
    expect(opEntries.filter((e) => !recorded.has(e)), 'op entries no recorded tfjs call reaches').toEqual([]);
    const report = runWithAddon<{entry: string; key: string; kind: string; threw: boolean; message?: string}[]>(
      [fileURLToPath(new URL('./util/mutate_child.cjs', import.meta.url))],
      {input: JSON.stringify(calls), timeoutMs: 120_000},
    ).result;
    const show = (r: (typeof report)[number]) => `${r.entry} ${r.key} ${r.kind}${r.message ? `: ${r.message}` : ''}`;

    expect(report.filter((r) => r.kind === 'baseline' && r.threw).map(show), 'recorded calls must replay').toEqual([]);
    const mustThrow = report.filter(
      (r) => r.kind === 'buffer too small' || r.kind === 'freed buffer' ||
        ((r.kind === 'x1000' || r.kind === '2^53') && SIZE_KEYS.test(r.key)),
    );
    expect(mustThrow.length).toBeGreaterThan(200);
    expect(mustThrow.filter((r) => !r.threw).map(show), 'accepted buffers that do not hold what the options say').toEqual([]);
    for (const r of report.filter((x) => x.kind === 'freed buffer')) {
      expect(r.message, show(r)).toMatch(/no native buffer with id/);
    }
    for (const r of report.filter((x) => x.kind === 'buffer too small')) {
      // Names the buffer, or says how big it is against what was needed.
      const key = r.key.replace(/\[\d+\]$/, '');
      expect(r.message, show(r)).toMatch(new RegExp(`\\b${key}\\b|\\d+ (bytes|elements)|too small`, 'i'));
    }
    for (const r of report.filter((x) => x.threw)) {
      expect(r.message, show(r)).toMatch(/\S/);
      expect(r.message, show(r)).not.toMatch(/unknown native error/);
    }
  });
});

describe('tfjs ops on native-cpu reject what the backend does not support', () => {
  it('NCHW convolutions name the data format and what is supported', async () => {
    await tf.setBackend('native-cpu');
    const x = tf.zeros([1, 2, 5, 5]) as tf.Tensor4D;
    const f = tf.zeros([3, 3, 2, 4]) as tf.Tensor4D;
    const dw = tf.zeros([3, 3, 2, 1]) as tf.Tensor4D;
    try {
      expect(() => tf.conv2d(x, f, 1, 'same', 'NCHW')).toThrowError(/Conv2D: dataFormat 'NCHW' is not supported; supported: NHWC/);
      expect(() => tf.fused.conv2d({x, filter: f, strides: 1, pad: 'same', dataFormat: 'NCHW'})).toThrowError(/FusedConv2D: dataFormat 'NCHW' is not supported; supported: NHWC/);
      expect(() => tf.depthwiseConv2d(x, dw, 1, 'same', 'NCHW')).toThrowError(/DepthwiseConv2dNative: dataFormat 'NCHW' is not supported; supported: NHWC/);
    } finally {
      tf.dispose([x, f, dw]);
    }
  });

  it('a window larger than the padded input names the sizes, not a negative dimension', async () => {
    // tfjs's geometry gives such a window a negative output size (tfjs-cpu returns a tensor of shape
    // [1, -2, -2, c]); native-cpu refuses it before any allocation.
    await tf.setBackend('native-cpu');
    const before = tf.memory().numTensors;
    const x = tf.ones([1, 1, 2, 3]) as tf.Tensor4D;
    const f = tf.ones([4, 5, 3, 2]) as tf.Tensor4D;
    const dw = tf.ones([4, 5, 3, 1]) as tf.Tensor4D;
    const fits = (kernel: string, window: string) =>
      new RegExp(
        `${kernel}: the 4x5 ${window} does not fit the 1x2 input padded by 0/0 rows and 0/0 columns .*` +
          `the output would be -2x-2; supported: a ${window} no larger than the padded input`,
      );
    try {
      expect(() => tf.conv2d(x, f, 1, 'valid')).toThrowError(fits('Conv2D', 'filter'));
      expect(() => tf.fused.conv2d({x, filter: f, strides: 1, pad: 'valid', activation: 'relu'})).toThrowError(fits('FusedConv2D', 'filter'));
      expect(() => tf.depthwiseConv2d(x, dw, 1, 'valid')).toThrowError(fits('DepthwiseConv2dNative', 'filter'));
      expect(() => tf.fused.depthwiseConv2d({x, filter: dw, strides: 1, pad: 'valid', activation: 'relu6'})).toThrowError(fits('FusedDepthwiseConv2D', 'filter'));
      expect(() => tf.maxPool(x, [4, 5], 1, 'valid')).toThrowError(fits('MaxPool', 'window'));
      expect(() => tf.avgPool(x, [4, 5], 1, 'valid')).toThrowError(fits('AvgPool', 'window'));
      // Dilations are named with the extent they give; explicit padding is counted.
      const x3 = tf.ones([1, 3, 3, 3]) as tf.Tensor4D;
      const f3 = tf.ones([3, 3, 3, 2]) as tf.Tensor4D;
      expect(() => tf.conv2d(x3, f3, 1, 'valid', 'NHWC', 2)).toThrowError(
        /Conv2D: the 3x3 filter \(5x5 with dilations 2x2\) does not fit the 3x3 input .*output would be -1x-1;/,
      );
      tf.dispose([x3, f3]);
      expect(() =>
        tf.conv2d(x, f, 1, [[0, 0], [1, 1], [0, 0], [0, 0]]),
      ).toThrowError(/Conv2D: the 4x5 filter does not fit the 1x2 input padded by 1\/1 rows and 0\/0 columns .*output would be 0x-2/);
      // A window that just fits gives an output, as on tfjs-cpu.
      const pooled = tf.maxPool(x, [1, 2], 1, 'valid');
      expect(pooled.shape).toEqual([1, 1, 1, 3]);
      pooled.dispose();
    } finally {
      tf.dispose([x, f, dw]);
    }
    expect(tf.memory().numTensors, 'tensors leaked by failing ops').toBe(before);
  });

  it('unsupported dtypes name the kernel and the dtype', async () => {
    await tf.setBackend('native-cpu');
    const before = tf.memory().numTensors;
    expect(() => tf.complex([1], [2])).toThrowError(/Kernel 'Complex' not registered for backend 'native-cpu'/);
    const s = tf.tensor(['a', 'b']);
    const i = tf.tensor([1, 2], [2], 'int32');
    try {
      expect(() => tf.add(s, s)).toThrowError(/string/);
      // int32 matmul: rejected by name today; if it is ever supported, it must give tfjs's answer.
      let product: number[] | undefined;
      try {
        const t = tf.tidy(() => tf.matMul(tf.reshape(i, [1, 2]), tf.reshape(i, [2, 1])));
        product = Array.from(t.dataSync());
        t.dispose();
      } catch (e) {
        expect((e as Error).message).toMatch(/BatchMatMul: .*dtype 'int32'; supported: float32/);
      }
      if (product) expect(product).toEqual([5]);
      // tf.conv2d itself refuses int32; the kernel, called directly, must too.
      const xi = tf.zeros([1, 3, 3, 1], 'int32');
      const fi = tf.zeros([1, 1, 1, 1], 'int32');
      const attrs = {strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1};
      expect(() => tf.engine().runKernel('Conv2D', {x: xi, filter: fi}, attrs)).toThrowError(/Conv2D: .*int32.*supported: float32/);
      expect(() => tf.engine().runKernel('DepthwiseConv2dNative', {x: xi, filter: fi}, attrs)).toThrowError(/DepthwiseConv2dNative: .*int32.*supported: float32/);
      expect(() => tf.tidy(() => tf.engine().runKernel('MaxPool', {x: tf.zeros([1, 3, 3, 1], 'bool')}, {filterSize: 2, strides: 1, pad: 'valid'}) as tf.Tensor)).toThrowError(/MaxPool: .*bool.*supported/);
      tf.dispose([xi, fi]);
    } finally {
      tf.dispose([s, i]);
    }
    expect(tf.memory().numTensors, 'tensors leaked by failing ops').toBe(before);
  });

  it('a disposed tensor gives an Error, not a crash', async () => {
    await tf.setBackend('native-cpu');
    const x = tf.ones([4]);
    x.dispose();
    expect(() => x.dataSync()).toThrowError(/disposed/);
  });
});
