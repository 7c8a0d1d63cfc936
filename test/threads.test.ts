// setThreads(1) must mean exactly one thread doing the work (the paper's Table 4 is single-core):
// the pool then starts no worker, so the process's thread count does not change during a large
// convolution. With 2 threads one worker exists, and results do not depend on the count.
import {execFileSync} from 'node:child_process';
import {existsSync, readdirSync} from 'node:fs';
import {afterAll, describe, expect, it} from 'vitest';

import {getThreads, setThreads} from '../src/index.js';
import {evalOn, expectClose, randomFloats, tf} from './util/reference.js';

const taskCount = () => readdirSync('/proc/self/task').length;

describe('thread setting', () => {
  const original = getThreads();
  afterAll(() => {
    setThreads(original);
  });

  const x = randomFloats(1 * 56 * 56 * 64, 11);
  const f = randomFloats(3 * 3 * 64 * 64, 12);
  const conv = () => tf.conv2d(tf.tensor4d(x, [1, 56, 56, 64]), tf.tensor4d(f, [3, 3, 64, 64]), 1, 'same');

  it('runs a large convolution on the calling thread alone when set to 1', async () => {
    setThreads(1);
    const before = taskCount();
    const single = await evalOn('native-cpu', conv);
    expect(taskCount()).toBe(before);

    setThreads(2);
    const multi = await evalOn('native-cpu', conv);
    expect(taskCount()).toBe(before + 1);
    expectClose(multi, single, 1e-6, 1e-6, 'threads 2 vs 1');

    setThreads(1);
    expect(taskCount()).toBe(before);  // workers are stopped when the count drops
  });

  it('reads its default from EFFNET_NUM_THREADS in a fresh process', () => {
    const dist = new URL('../dist/src/index.js', import.meta.url).pathname;
    expect(existsSync(dist), 'dist/ is missing: npm install (or npm run build:ts) builds it').toBe(true);
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `import('${dist}').then(m => console.log(m.getThreads()))`], {
      env: {...process.env, EFFNET_NUM_THREADS: '3'},
    }).toString();
    expect(out.trim()).toBe('3');
  });
});

describe('thread pool under changing thread counts', () => {
  it('never hangs or loses work when the count changes between small parallel ops', async () => {
    await tf.setBackend('native-cpu');
    const original = getThreads();
    const x = tf.tensor4d(randomFloats(1 * 16 * 16 * 32, 5), [1, 16, 16, 32]);
    const f = tf.tensor4d(randomFloats(3 * 3 * 32 * 1, 6), [3, 3, 32, 1]);
    setThreads(1);
    const expected = tf.depthwiseConv2d(x, f, 1, 'same');
    const want = expected.dataSync();
    try {
      for (let i = 0; i < 3000; i++) {
        setThreads(2 + (i % 2));
        const y = tf.depthwiseConv2d(x, f, 1, 'same');
        const got = y.dataSync();
        y.dispose();
        if (i % 500 === 0) expect(Array.from(got)).toEqual(Array.from(want));
      }
    } finally {
      setThreads(original);
      tf.dispose([x, f, expected]);
    }
  });
});
