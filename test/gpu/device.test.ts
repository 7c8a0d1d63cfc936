// native-cuda's device report, storage and error behaviour.
import {expect, it} from 'vitest';

import {cudaStatus, NativeCudaBackend} from '../../src/index.js';
import {describeGpu, gpuMemory, tf} from './gpu_util.js';

describeGpu('native-cuda device and storage', () => {
  it('reports the device; native resolves to native-cuda', async () => {
    const s = cudaStatus();
    expect(s.available).toBe(true);
    expect(s.device!.major).toBeGreaterThanOrEqual(8);
    expect(s.device!.totalMemory).toBeGreaterThan(0);
    expect(s.device!.driverVersion).toBeGreaterThanOrEqual(s.device!.runtimeVersion);
    await tf.setBackend('native');
    expect(tf.backend()).toBeInstanceOf(NativeCudaBackend);
  });

  it('round-trips float32, int32, bool and string tensors; read() is asynchronous', async () => {
    await tf.setBackend('native-cuda');
    const f = tf.tensor([1.5, -2, 3.25, NaN, Infinity], [5], 'float32');
    const i = tf.tensor([1, -2, 2147483647], [3], 'int32');
    const b = tf.tensor([true, false, true], [3], 'bool');
    const s = tf.tensor(['a', 'bc', ''], [3], 'string');
    expect(Array.from(await f.data())).toEqual([1.5, -2, 3.25, NaN, Infinity]);
    expect(f.dataSync()).toBeInstanceOf(Float32Array);
    expect(Array.from(i.dataSync())).toEqual([1, -2, 2147483647]);
    expect(Array.from(b.dataSync())).toEqual([1, 0, 1]);
    expect(await s.array()).toEqual(['a', 'bc', '']);
    tf.dispose([f, i, b, s]);
  });

  it('counts device bytes while tensors live and frees them on dispose (caching allocator)', async () => {
    await tf.setBackend('native-cuda');
    const before = gpuMemory();
    const t = tf.zeros([1000], 'float32');
    const r = tf.reshape(t, [10, 100]);
    const during = gpuMemory();
    expect(during.bytes - before.bytes).toBe(4000);
    expect(during.buffers - before.buffers).toBe(1);
    tf.dispose([t, r]);
    expect(gpuMemory()).toEqual(before);
  });

  it('a new buffer reads as zeros though its block held data (zero fill before the first read)', async () => {
    await tf.setBackend('native-cuda');
    const backend = tf.backend() as NativeCudaBackend;
    const n = 3000;
    for (let round = 0; round < 3; round++) {
      // A block that held non-zero data goes back to the cache and is handed out again.
      tf.dispose(tf.fill([n], 7 + round));
      const info = backend.makeOutput([n], 'float32');
      const t = tf.engine().makeTensorFromTensorInfo(info, backend);
      expect((await t.data()).every((v) => v === 0), `round ${round}`).toBe(true);
      // Read by an op before any download: the op must see zeros too.
      const info2 = backend.makeOutput([n], 'float32');
      const u = tf.engine().makeTensorFromTensorInfo(info2, backend);
      expect(await tf.sum(tf.add(u, 1)).data()).toEqual(new Float32Array([n]));
      tf.dispose([t, u]);
    }
  });

  it('moves tensors between native-cuda and native-cpu', async () => {
    await tf.setBackend('native-cuda');
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    await tf.setBackend('native-cpu');
    expect(Array.from(tf.add(x, 1).dataSync())).toEqual([2, 3, 4, 5]);
    x.dispose();
  });

  it('a kernel without a CUDA implementation is an Error naming it, never a silent host fallback', async () => {
    await tf.setBackend('native-cuda');
    const backend = tf.backend() as NativeCudaBackend;
    expect(() => backend.run('noSuchEntry', {op: 'NoSuchKernel'})).toThrow(/native-cuda: NoSuchKernel: no CUDA implementation/);
  });

  it('bad buffer ids and sizes are Errors', async () => {
    await tf.setBackend('native-cuda');
    const backend = tf.backend() as NativeCudaBackend;
    expect(() => backend.run('unary', {op: 'Relu', x: 999999, out: 999998, size: 4, xDtype: 'float32', outDtype: 'float32'}))
      .toThrow(/Relu: .*no CUDA buffer with id 999999/);
    const x = tf.tensor([1, 2, 3]);
    const id = backend.bufferOf(x, 'test');
    expect(() => backend.run('unary', {op: 'Relu', x: id, out: id, size: 4, xDtype: 'float32', outDtype: 'float32'}))
      .toThrow(/holds 12 bytes but 4 float32 elements/);
    x.dispose();
  });
});
