import {afterAll, describe, expect, it} from 'vitest';

import {getThreads, setThreads} from '../src/index.js';
import {compareWithCpu, randomFloats, tf} from './util/reference.js';

// Calls the kernels directly: tf.avgPool also casts its input, which would test another kernel.
function runPool(kind: 'max' | 'avg', x: tf.Tensor4D, filterSize: number | [number, number], strides: number, pad: unknown, dimRoundingMode?: string): tf.Tensor {
  return tf.engine().runKernel(kind === 'max' ? 'MaxPool' : 'AvgPool', {x}, {filterSize, strides, pad, dimRoundingMode} as never) as tf.Tensor;
}

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

const originalThreads = getThreads();
afterAll(() => {
  setThreads(originalThreads);
});

const SIZES: Array<[number, number]> = [
  [7, 9],
  [8, 8],
  [15, 15],
  [1, 1],
];
const CHANNELS = [1, 3, 7, 16, 17, 40, 96];

async function check(
  kind: 'max' | 'avg',
  [batch, h, w, c]: number[],
  filter: [number, number],
  stride: number,
  pad: Pad,
  seed: number,
  roundingMode?: 'floor' | 'round' | 'ceil',
): Promise<void> {
  const x = randomFloats(batch * h * w * c, seed, -3, 3);
  await compareWithCpu(() => runPool(kind, tf.tensor4d(x, [batch, h, w, c]), filter, stride, pad, roundingMode), {
    label: `${kind} ${batch}x${h}x${w}x${c} f${filter} s${stride} pad ${JSON.stringify(pad)}`,
  });
}

for (const kind of ['max', 'avg'] as const) {
  describe(kind === 'max' ? 'MaxPool' : 'AvgPool', () => {
    for (const threads of [1, 2]) {
      it(`matches tfjs-cpu for pool sizes 1..3, strides 1 and 2, same/valid (${threads} threads)`, async () => {
        setThreads(threads);
        let i = 0;
        for (const f of [1, 2, 3]) {
          for (const stride of [1, 2]) {
            for (const pad of ['same', 'valid'] as const) {
              const c = CHANNELS[i % CHANNELS.length];
              const [h, w] = SIZES[i % SIZES.length];
              const batch = i % 3 === 0 ? 3 : 1;
              i++;
              if (pad === 'valid' && (h < f || w < f)) continue;
              await check(kind, [batch, h, w, c], [f, f], stride, pad, 100 + i);
            }
          }
        }
      });
    }

    it('covers every channel count, rectangular windows and explicit padding', async () => {
      setThreads(2);
      let i = 0;
      for (const c of CHANNELS) {
        const [h, w] = SIZES[i % 3];
        await check(kind, [2, h, w, c], [3, 3], 2, 'same', 200 + i);
        await check(kind, [1, h, w, c], [2, 3], 1, [[0, 0], [1, 0], [0, 2], [0, 0]], 300 + i);
        await check(kind, [1, h, w, c], [3, 2], 2, 1, 400 + i, 'ceil');
        i++;
      }
    });

    it('handles 7x7 global-style pooling', async () => {
      await check(kind, [2, 7, 7, 40], [7, 7], 1, 'valid', 500);
      await check(kind, [1, 7, 7, 1280], [7, 7], 7, 'valid', 501);
      await check(kind, [1, 7, 7, 17], [7, 7], 1, 'same', 502);
    });

    it('gives tfjs results for windows lying entirely in explicit padding', async () => {
      await check(kind, [1, 4, 5, 17], [2, 2], 1, [[0, 0], [3, 3], [2, 3], [0, 0]], 550);
    });

    it('returns the input for a 1x1 window with stride 1', async () => {
      await check(kind, [1, 5, 5, 3], [1, 1], 1, 'valid', 600);
    });

    it('treats NaN and infinities like tfjs', async () => {
      const x = randomFloats(1 * 6 * 6 * 17, 700);
      x[0] = NaN;
      x[17 * 7 + 3] = NaN;
      x[17 * 14 + 5] = Infinity;
      x[17 * 21 + 6] = -Infinity;
      for (let i = 0; i < 9; i++) x[17 * 14 + 2 + 17 * (i % 3) + 17 * 6 * Math.floor(i / 3)] = NaN;  // a whole 3x3 window of channel 2
      await compareWithCpu(() => runPool(kind, tf.tensor4d(x, [1, 6, 6, 17]), 3, 1, 'same'));
      await compareWithCpu(() => runPool(kind, tf.tensor4d(x, [1, 6, 6, 17]), 2, 2, 'valid'));
    });
  });
}

describe('pooling errors', () => {
  it('rejects wrong dtypes, ranks and NCHW with the kernel name', async () => {
    await tf.setBackend('native-cpu');
    const attrs = {filterSize: 2, strides: 1, pad: 'valid'};
    for (const name of ['AvgPool', 'MaxPool']) {
      expect(() => tf.tidy(() => tf.engine().runKernel(name, {x: tf.zeros([1, 4, 4, 3], 'int32')}, attrs))).toThrow(
        new RegExp(`${name}: input 'x' has dtype int32; supported: float32`),
      );
      expect(() => tf.tidy(() => tf.engine().runKernel(name, {x: tf.zeros([4, 4, 3])}, attrs))).toThrow(
        new RegExp(`${name}: input 'x' must be rank 4`),
      );
      expect(() =>
        tf.tidy(() => tf.engine().runKernel(name, {x: tf.zeros([1, 4, 4, 3])}, {...attrs, dataFormat: 'NCHW'})),
      ).toThrow(new RegExp(`${name}: dataFormat 'NCHW' is not supported; supported: NHWC`));
    }
  });

  it('checks buffer sizes in native code', async () => {
    await tf.setBackend('native-cpu');
    const backend = tf.backend() as unknown as {run: (e: string, o: object) => void; bufferOf: (t: tf.Tensor, k: string) => number};
    const x = tf.zeros([1, 4, 4, 3]);
    const out = tf.zeros([1, 2, 2, 3]);
    const common = {
      x: backend.bufferOf(x, 't'), out: backend.bufferOf(out, 't'), batch: 1, inH: 4, inW: 4, channels: 3,
      filterH: 2, filterW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, outH: 2, outW: 2,
    };
    expect(() => backend.run('maxPool', {...common, channels: 4})).toThrow(/MaxPool: buffer 'x' holds/);
    expect(() => backend.run('avgPool', {...common, outH: 3})).toThrow(/AvgPool: buffer 'out' holds/);
    expect(() => backend.run('avgPool', {...common, strideW: 0})).toThrow(/AvgPool: .*strides/);
    tf.dispose([x, out]);
  });
});
