// native-cuda's read() is asynchronous: the wait for the kernels queued before it and the download
// run off the JavaScript thread, so callbacks keep running while a large read is pending; the tensor
// may be disposed as soon as read() has been called; readSync() still returns the same values.
import {expect, it} from 'vitest';

import {describeGpu, gpuMemory, tf} from './gpu_util.js';

const N = 64 * 1024 * 1024; // 64M floats: 256 MiB

/** Host values whose device result below is exact in float32. */
function hostValues(n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (i % 4093) * 0.25 - 100;
  return v;
}

/** What y = x * 2 + 1 holds, computed on the host. */
function expected(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = Math.fround(Math.fround(x[i] * 2) + 1);
  return y;
}

/** The first index where `got` differs from `want` (-1 when equal), so a failure names one element. */
function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return 0;
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) return i;
  }
  return -1;
}

describeGpu('native-cuda asynchronous read', () => {
  const x = hostValues(N);
  const want = expected(x);

  it('a 64M-float read lets setImmediate and setInterval callbacks run while it is pending; the data is right', async () => {
    await tf.setBackend('native-cuda');
    const xt = tf.tensor1d(x, 'float32');
    // Kernels queued right before the read: it waits for them too, off the JavaScript thread.
    const y = tf.tidy(() => tf.add(tf.mul(xt, 2), 1));

    let immediates = 0;
    let intervals = 0;
    let pending = true;
    const spin = (): void => {
      immediates++;
      if (pending) setImmediate(spin);
    };
    const timer = setInterval(() => intervals++, 1);
    setImmediate(spin);
    const read = y.data<'float32'>();
    // A blocking read hands back a settled promise, and the await below resumes before any
    // macrotask: no immediate would run in between.
    const got = await read;
    const immediatesDuringRead = immediates;
    pending = false;
    clearInterval(timer);
    expect(immediatesDuringRead, `setImmediate callbacks during the read (setInterval ticks: ${intervals})`).toBeGreaterThan(0);
    expect(got).toBeInstanceOf(Float32Array);
    expect(got.length).toBe(N);
    const at = firstMismatch(got, want);
    expect(at, at < 0 ? '' : `element ${at}: got ${got[at]}, want ${want[at]}`).toBe(-1);
    // readSync downloads the same values.
    expect(firstMismatch(y.dataSync(), want)).toBe(-1);
    tf.dispose([xt, y]);
  });

  it('disposing the tensor right after read() still gives its data; the device buffer is freed when the copy ends', async () => {
    await tf.setBackend('native-cuda');
    const xt = tf.tensor1d(x, 'float32');
    const before = gpuMemory();
    const y = tf.tidy(() => tf.add(tf.mul(xt, 2), 1));
    const read = y.data<'float32'>();
    y.dispose();
    // Same-size tensors made and written right away: had y's block gone back to the allocator's cache,
    // one of them would take it and overwrite it while the copy may still be reading it.
    const others = [tf.fill([N], 7, 'float32'), tf.fill([N], -3, 'float32')];
    const got = await read;
    const at = firstMismatch(got, want);
    expect(at, at < 0 ? '' : `element ${at}: got ${got[at]}, want ${want[at]}`).toBe(-1);
    expect(Array.from((await others[0].data()).subarray(0, 4))).toEqual([7, 7, 7, 7]);
    tf.dispose(others);
    expect(gpuMemory()).toEqual(before);
    xt.dispose();
  });

  it('reads in flight together each get their own tensor; int32, bool and empty tensors read asynchronously', async () => {
    await tf.setBackend('native-cuda');
    const ts = [1, 2, 3, 4].map((k) => tf.fill([1 << 20], k, 'float32'));
    const all = await Promise.all(ts.map((t) => t.data<'float32'>()));
    all.forEach((v, k) => {
      expect(v.length).toBe(1 << 20);
      expect(firstMismatch(v, new Float32Array(1 << 20).fill(k + 1))).toBe(-1);
    });
    tf.dispose(ts);

    const i = tf.tensor1d([1, -2, 2147483647, -2147483648], 'int32');
    const b = tf.tensor1d([true, false, true], 'bool');
    const e = tf.tensor1d([], 'float32');
    const iv = await i.data<'int32'>();
    expect(iv).toBeInstanceOf(Int32Array);
    expect(Array.from(iv)).toEqual([1, -2, 2147483647, -2147483648]);
    const bv = await b.data<'bool'>();
    expect(bv).toBeInstanceOf(Uint8Array);
    expect(Array.from(bv)).toEqual([1, 0, 1]);
    const ev = await e.data<'float32'>();
    expect(ev).toBeInstanceOf(Float32Array);
    expect(ev.length).toBe(0);
    tf.dispose([i, b, e]);
  });

  it('the addon entry rejects a freed id and an unknown dtype with an Error naming readAsync', async () => {
    await tf.setBackend('native-cuda');
    const backend = tf.backend() as unknown as {cuda: {alloc(bytes: number): number; free(id: number): boolean; readAsync(id: number, dtype: string): Promise<unknown>}};
    const id = backend.cuda.alloc(16);
    await expect(Promise.resolve().then(() => backend.cuda.readAsync(id, 'float64'))).rejects.toThrow(/readAsync: unsupported dtype 'float64'/);
    backend.cuda.free(id);
    await expect(Promise.resolve().then(() => backend.cuda.readAsync(id, 'float32'))).rejects.toThrow(/no CUDA buffer with id/);
  });
});
