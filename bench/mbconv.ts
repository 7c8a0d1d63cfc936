// Fused (EffnetMBConv) vs unfused (composite tfjs ops) MBConv on native-cpu: whole networks and
// every block of them, batch 1, seeded random weights, interleaved runs. Reports the median wall
// time and the median process CPU time of a run (on a machine shared with other work the CPU time
// is the steadier figure: it excludes the time the process waits for a core).
//
//   npx tsc -p tsconfig.json --outDir <dir> && node <dir>/bench/mbconv.js [--variants b0,b1] [--threads 1]
//       [--reps 30] [--blocks 10]
import {parseArgs} from 'node:util';

import * as tf from '@tensorflow/tfjs-core';

import {nativeInfo, setThreads} from '../src/index.js';
import {buildEfficientNet, randomEfficientNetWeights} from '../src/models/efficientnet.js';
import {type MBConvWeights, mbconv, mbconvComposite, setMBConvFusion} from '../src/models/mbconv.js';
import {efficientNetBlocks, efficientNetConfig, type MBConvBlockSpec} from '../src/models/scaling.js';

const {values} = parseArgs({
  options: {
    variants: {type: 'string', default: 'b0,b1'},
    threads: {type: 'string', default: '1'},
    reps: {type: 'string', default: '30'},
    blocks: {type: 'string', default: '6'},
  },
});
const reps = Number(values.reps);
const threads = Number(values.threads);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Timing {
  /** Median wall milliseconds. */
  wall: number;
  /** Median process CPU milliseconds (user + system). */
  cpu: number;
}

function timed(f: () => void, wall: number[], cpu: number[]): void {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
}

/** Timings of `a` and `b`, run alternately so that machine noise hits both alike. */
function compare(a: () => void, b: () => void, n: number): [Timing, Timing] {
  for (let i = 0; i < 3; i++) {
    a();
    b();
  }
  const wa: number[] = [];
  const ca: number[] = [];
  const wb: number[] = [];
  const cb: number[] = [];
  for (let i = 0; i < n; i++) {
    timed(a, wa, ca);
    timed(b, wb, cb);
  }
  return [
    {wall: median(wa), cpu: median(ca)},
    {wall: median(wb), cpu: median(cb)},
  ];
}

function show(label: string, f: Timing, u: Timing): string {
  return (
    `${label}: fused ${f.wall.toFixed(2)} ms (cpu ${f.cpu.toFixed(2)}), unfused ${u.wall.toFixed(2)} ms (cpu ${u.cpu.toFixed(2)}),` +
    ` ratio ${(f.wall / u.wall).toFixed(3)} (cpu ${(f.cpu / u.cpu).toFixed(3)})`
  );
}

function randomBlockWeights(b: MBConvBlockSpec, seed: number): MBConvWeights {
  const r = (shape: number[], scale: number, s: number) => tf.randomUniform(shape, -scale, scale, 'float32', seed * 16 + s);
  const cexp = b.expandedChannels;
  const w: MBConvWeights = {
    depthwiseKernel: r([b.kernelSize, b.kernelSize, cexp, 1], 0.3, 1) as tf.Tensor4D,
    depthwiseBias: r([cexp], 0.1, 2) as tf.Tensor1D,
    seReduceKernel: r([1, 1, cexp, b.seChannels], 0.1, 3) as tf.Tensor4D,
    seReduceBias: r([b.seChannels], 0.1, 4) as tf.Tensor1D,
    seExpandKernel: r([1, 1, b.seChannels, cexp], 0.3, 5) as tf.Tensor4D,
    seExpandBias: r([cexp], 0.1, 6) as tf.Tensor1D,
    projectKernel: r([1, 1, cexp, b.outChannels], 0.1, 7) as tf.Tensor4D,
    projectBias: r([b.outChannels], 0.1, 8) as tf.Tensor1D,
  };
  if (b.expandRatio !== 1) {
    w.expandKernel = r([1, 1, b.inChannels, cexp], 0.3, 9) as tf.Tensor4D;
    w.expandBias = r([cexp], 0.1, 10) as tf.Tensor1D;
  }
  return w;
}

async function main(): Promise<void> {
  await tf.setBackend('native-cpu');
  setThreads(threads);
  const info = nativeInfo();
  console.log(`native-cpu isa=${info.isa} threads=${info.threads} reps=${reps} date=${new Date().toISOString()}`);
  for (const variant of String(values.variants).split(',')) {
    const config = efficientNetConfig(variant);
    const res = config.resolution;
    const weights = randomEfficientNetWeights(config, 0);
    const model = buildEfficientNet(config, weights);
    const x = tf.randomUniform([1, res, res, 3], -1, 1, 'float32', 1);
    const predict = (fused: boolean) => () => {
      setMBConvFusion(fused);
      const y = model.predict(x);
      y.dataSync();
      y.dispose();
    };
    const [fused, unfused] = compare(predict(true), predict(false), reps);
    setMBConvFusion(true);
    console.log(show(`${variant} ${res}x${res}`, fused, unfused));
    model.dispose();
    x.dispose();
    tf.dispose([...weights.values()]);

    // Every block on its own input size; the slowest (unfused) first.
    const rows: Array<{b: MBConvBlockSpec; h: number; fused: Timing; unfused: Timing}> = [];
    let h = Math.ceil(res / 2);
    for (const b of efficientNetBlocks(config)) {
      const w = randomBlockWeights(b, b.index);
      const bx = tf.randomUniform([1, h, h, b.inChannels], -1, 1, 'float32', b.index) as tf.Tensor4D;
      const cfg = {kernelSize: b.kernelSize, stride: b.stride, padding: config.padding, residual: b.residual};
      const run = (f: (x: tf.Tensor4D, w: MBConvWeights, c: typeof cfg) => tf.Tensor4D) => () => {
        const y = f(bx, w, cfg);
        y.dataSync();
        y.dispose();
      };
      const [tf_, tu] = compare(run(mbconv), run(mbconvComposite), Math.max(5, Math.floor(reps / 2)));
      rows.push({b, h, fused: tf_, unfused: tu});
      tf.dispose([bx, ...(Object.values(w) as tf.Tensor[])]);
      h = Math.ceil(h / b.stride);
    }
    const total = (key: 'fused' | 'unfused'): Timing => ({
      wall: rows.reduce((s, r) => s + r[key].wall, 0),
      cpu: rows.reduce((s, r) => s + r[key].cpu, 0),
    });
    console.log(show('  all blocks', total('fused'), total('unfused')));
    rows.sort((a, b) => b.unfused.cpu - a.unfused.cpu);
    for (const r of rows.slice(0, Number(values.blocks))) {
      const b = r.b;
      const label =
        `  block ${String(b.index).padStart(2)} k${b.kernelSize} s${b.stride} ${r.h}x${r.h}x${b.inChannels}` +
        ` -> x${b.expandedChannels} -> ${b.outChannels}`;
      console.log(show(label, r.fused, r.unfused));
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
