import {describe, expect, it} from 'vitest';

import {getThreads, nativeInfo, setIsaLevel, setThreads} from '../src/index.js';
import {tf} from './util/reference.js';

describe('native-cpu backend storage', () => {
  it('is the default backend after import', async () => {
    await tf.ready();
    expect(tf.getBackend()).toBe('native');
  });

  it('round-trips float32, int32, bool and string tensors', async () => {
    await tf.setBackend('native-cpu');
    const f = tf.tensor([1.5, -2, 3.25], [3], 'float32');
    const i = tf.tensor([1, -2, 2147483647], [3], 'int32');
    const b = tf.tensor([true, false, true], [3], 'bool');
    const s = tf.tensor(['a', 'bc', ''], [3], 'string');
    expect(Array.from(f.dataSync())).toEqual([1.5, -2, 3.25]);
    expect(f.dataSync()).toBeInstanceOf(Float32Array);
    expect(Array.from(i.dataSync())).toEqual([1, -2, 2147483647]);
    expect(i.dataSync()).toBeInstanceOf(Int32Array);
    expect(Array.from(b.dataSync())).toEqual([1, 0, 1]);
    expect(b.dataSync()).toBeInstanceOf(Uint8Array);
    expect(await s.array()).toEqual(['a', 'bc', '']);
    expect(Array.from(await f.data())).toEqual([1.5, -2, 3.25]);
    tf.dispose([f, i, b, s]);
  });

  it('frees native memory when tensors are disposed and counts it in memory()', async () => {
    await tf.setBackend('native-cpu');
    const before = nativeInfo();
    const t = tf.zeros([1000], 'float32');
    const r = tf.reshape(t, [10, 100]);
    const during = nativeInfo();
    expect(during.bytesInUse - before.bytesInUse).toBe(4000);
    expect(during.buffers - before.buffers).toBe(1);  // reshape shares storage
    const mem = tf.memory() as tf.MemoryInfo & {numBytesInNative: number};
    expect(mem.numBytesInNative).toBeGreaterThanOrEqual(4000);
    t.dispose();
    expect(nativeInfo().buffers - before.buffers).toBe(1);  // still referenced by r
    r.dispose();
    const after = nativeInfo();
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.buffers).toBe(before.buffers);
  });

  it('moves tensors between cpu and native-cpu', async () => {
    await tf.setBackend('cpu');
    const a = tf.tensor([1, 2, 3]);
    await tf.setBackend('native-cpu');
    const b = tf.reshape(a, [3, 1]);
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    tf.dispose([a, b]);
  });

  it('reports precision, timing and data ids', async () => {
    await tf.setBackend('native-cpu');
    const backend = tf.backend();
    expect(backend.floatPrecision()).toBe(32);
    const ids = backend.numDataIds();
    const t = tf.ones([2, 2]);
    expect(backend.numDataIds()).toBe(ids + 1);
    const timing = await tf.time(() => tf.reshape(t, [4]).dispose());
    expect(timing.kernelMs).toBeGreaterThanOrEqual(0);
    t.dispose();
    expect(backend.numDataIds()).toBe(ids);
  });

  it('rejects complex64 with a clear error', async () => {
    await tf.setBackend('native-cpu');
    expect(() => tf.backend().write(new Float32Array(2), [1], 'complex64')).toThrow(/complex64.*not supported/);
  });
});

describe('settings', () => {
  it('sets and reads the thread count', () => {
    const original = getThreads();
    expect(setThreads(1)).toBe(1);
    expect(getThreads()).toBe(1);
    expect(setThreads(3)).toBe(3);
    setThreads(original);
    expect(() => setThreads(0)).toThrow(/integer >= 1/);
    expect(() => setThreads(1.5)).toThrow(/integer >= 1/);
  });

  it('limits the ISA level, never above the CPU', () => {
    const detected = nativeInfo().detectedIsa;
    expect(setIsaLevel('portable')).toBe('portable');
    expect(nativeInfo().isa).toBe('portable');
    expect(setIsaLevel('avx512')).toBe(detected);
    expect(() => setIsaLevel('sse9' as never)).toThrow(/unknown level 'sse9'/);
  });
});
