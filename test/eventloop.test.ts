// Asynchronous prediction runs off the JavaScript thread: a timer keeps firing while B1 predictions
// run; the idle worker does not keep a process alive, with or without dispose().
import {spawnSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {type ImageClassifier, loadEfficientNet} from '../src/index.js';
import {ensureDist, ROOT} from './util/dist.js';

beforeAll(() => ensureDist());

describe('event loop', () => {
  let model: ImageClassifier;
  beforeAll(async () => {
    model = await loadEfficientNet('b1', {weights: 'random', seed: 1, backend: 'native-cpu'});
  });
  afterAll(() => model?.dispose());

  it('a timer keeps firing while B1 predictions run asynchronously (sequential and concurrent)', async () => {
    const x = tf.randomNormal([1, 240, 240, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const expected = model.predictSync(x);
    const want = expected.dataSync().slice();
    expected.dispose();
    (await model.predict(x)).dispose(); // starts the worker

    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const during: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = ticks;
        const y = await model.predict(x);
        during.push(ticks - before);
        const got = y.dataSync();
        y.dispose();
        let diff = 0;
        for (let j = 0; j < got.length; j++) diff = Math.max(diff, Math.abs(got[j] - want[j]));
        expect(diff).toBeLessThan(1e-4);
      }
      // Each B1 forward pass takes many milliseconds: the timer fired during every one of them.
      for (const t of during) expect(t).toBeGreaterThanOrEqual(1);

      const before = ticks;
      const ys = await Promise.all(Array.from({length: 4}, () => model.predict(x)));
      const concurrent = ticks - before;
      for (const y of ys) {
        expect(y.shape).toEqual([1, 1000]);
        y.dispose();
      }
      expect(concurrent).toBeGreaterThanOrEqual(4);
    } finally {
      clearInterval(timer);
      x.dispose();
    }
  });
});

describe('process lifetime', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'effnet-life-'));
  const script = path.join(dir, 'run.mjs');
  fs.writeFileSync(script, `
const {loadEfficientNet} = await import(process.argv[2]);
const model = await loadEfficientNet({width: 0.25, depth: 0.25, resolution: 32}, {weights: 'random', numClasses: 3, backend: 'native-cpu'});
const [top] = await model.classify(process.argv[3], {topK: 1});
console.log(JSON.stringify(top));
if (process.argv[4] === 'dispose') model.dispose();
`);
  const index = path.join(ROOT, 'dist', 'src', 'index.js');
  const image = path.join(ROOT, 'test', 'fixtures', 'classify.jpg');

  for (const mode of ['dispose', 'no-dispose']) {
    it(`the process exits after an asynchronous classify (${mode})`, () => {
      const r = spawnSync(process.execPath, [script, index, image, mode], {encoding: 'utf8', timeout: 60_000});
      expect(r.error).toBeUndefined();
      expect(r.signal).toBeNull();
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout).label).toMatch(/^class [0-2]$/);
    });
  }
});
