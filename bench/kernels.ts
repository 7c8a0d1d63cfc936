// Kernel benchmark: GFLOP/s of 1x1 convolutions / matmuls and GB/s of depthwise convolutions on
// EfficientNet shapes, on native-cpu, beside this machine's measured single-core ceilings.
//
//   npm run bench:kernels -- [--threads 1] [--isa avx512|avx2|portable] [--time 300] [--save]
//
// --save writes the markdown table to bench/results/kernels-<date>.md.
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

import * as tf from '@tensorflow/tfjs-core';
import {Bench} from 'tinybench';

import {getWinograd, nativeInfo, setIsaLevel, setThreads} from '../src/index.js';
import {IsaLevel, loadCpuAddon, packageRoot} from '../src/native.js';
import {machineInfo, machineLine} from './machine.js';

interface Case {
  name: string;
  kind: 'gemm' | 'depthwise';
  /** Builds the inputs once and returns the op to time. */
  setup: () => {run: () => tf.Tensor; dispose: () => void};
  /** Multiply-adds (for GFLOP/s = 2 * macs / s) and bytes moved once (for GB/s). */
  macs: number;
  bytes: number;
  /** Appended to the ceiling column (e.g. that Winograd does fewer multiplications than `macs`). */
  note?: () => string;
  /** A GEMM bound by reading its operands from DRAM (a dense layer larger than the caches): also compared with DRAM copy. */
  fromDram?: boolean;
}

function conv1x1(h: number, w: number, cin: number, cout: number): Case {
  return {
    name: `1x1 conv ${h}x${w}x${cin} -> ${cout}`,
    kind: 'gemm',
    macs: h * w * cin * cout,
    bytes: 4 * (h * w * (cin + cout) + cin * cout),
    setup: () => {
      const x = tf.randomUniform([1, h, w, cin], -1, 1, 'float32', 1);
      const f = tf.randomUniform([1, 1, cin, cout], -1, 1, 'float32', 2);
      const b = tf.randomUniform([cout], -1, 1, 'float32', 3);
      return {
        run: () => tf.fused.conv2d({x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'valid', bias: b}),
        dispose: () => tf.dispose([x, f, b]),
      };
    },
  };
}

function conv3x3(h: number, w: number, cin: number, cout: number, stride: number): Case {
  const oh = Math.ceil(h / stride);
  const ow = Math.ceil(w / stride);
  return {
    name: `3x3 conv s${stride} ${h}x${w}x${cin} -> ${cout}`,
    kind: 'gemm',
    macs: oh * ow * 9 * cin * cout,
    // The Winograd rule of the Conv2D kernel (README, Settings): its GFLOP/s counts direct multiply-adds.
    note: () =>
      stride === 1 && cin >= 16 && cout >= 16 && getWinograd() !== 'off'
        ? ` (Winograd ${getWinograd().toUpperCase()}: fewer multiplications than counted)`
        : '',
    bytes: 4 * (h * w * cin + oh * ow * cout + 9 * cin * cout),
    setup: () => {
      const x = tf.randomUniform([1, h, w, cin], -1, 1, 'float32', 1);
      const f = tf.randomUniform([3, 3, cin, cout], -1, 1, 'float32', 2);
      return {
        run: () => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, 'same'),
        dispose: () => tf.dispose([x, f]),
      };
    },
  };
}

function matmul(m: number, k: number, n: number, fromDram = false): Case {
  return {
    name: `matmul ${m}x${k} * ${k}x${n}`,
    kind: 'gemm',
    fromDram,
    macs: m * k * n,
    bytes: 4 * (m * k + k * n + m * n),
    setup: () => {
      const a = tf.randomUniform([m, k], -1, 1, 'float32', 1);
      const b = tf.randomUniform([k, n], -1, 1, 'float32', 2);
      return {run: () => tf.matMul(a, b), dispose: () => tf.dispose([a, b])};
    },
  };
}

function depthwise(h: number, w: number, c: number, k: number, stride: number): Case {
  const oh = Math.ceil(h / stride);
  const ow = Math.ceil(w / stride);
  return {
    name: `depthwise ${k}x${k} s${stride} ${h}x${w}x${c}`,
    kind: 'depthwise',
    macs: oh * ow * c * k * k,
    bytes: 4 * (h * w * c + oh * ow * c + k * k * c + c),
    setup: () => {
      const x = tf.randomUniform([1, h, w, c], -1, 1, 'float32', 1);
      const f = tf.randomUniform([k, k, c, 1], -1, 1, 'float32', 2);
      const b = tf.randomUniform([c], -1, 1, 'float32', 3);
      return {
        run: () =>
          tf.fused.depthwiseConv2d({
            x: x as tf.Tensor4D,
            filter: f as tf.Tensor4D,
            strides: stride,
            pad: 'same',
            bias: b,
            activation: 'relu6',
          }),
        dispose: () => tf.dispose([x, f, b]),
      };
    },
  };
}

// Representative shapes: EfficientNet-B0's 1x1 expand/project convs, its stem, the head and
// classifier, one ResNet 3x3 conv, a large dense layer; the depthwise convs of B0's stages.
const CASES: Case[] = [
  conv1x1(112, 112, 32, 16),
  conv1x1(56, 56, 24, 144),
  conv1x1(28, 28, 240, 40),
  conv1x1(14, 14, 480, 112),
  conv1x1(14, 14, 672, 112),
  conv1x1(7, 7, 1152, 320),
  conv1x1(7, 7, 320, 1280),
  conv1x1(56, 56, 64, 256),
  conv3x3(224, 224, 3, 32, 2),
  conv3x3(56, 56, 64, 64, 1),
  matmul(1, 1280, 1000),
  matmul(256, 256, 256),
  // A dense layer too large for the caches (VGG-16's first, on a 7x7x512 map): b streamed from DRAM.
  matmul(1, 25088, 4096, true),
  depthwise(112, 112, 96, 3, 2),
  depthwise(56, 56, 144, 3, 1),
  depthwise(28, 28, 240, 5, 1),
  depthwise(14, 14, 672, 5, 2),
  depthwise(7, 7, 1152, 3, 1),
];

async function main(): Promise<void> {
  const {values} = parseArgs({
    options: {
      threads: {type: 'string', default: '1'},
      isa: {type: 'string'},
      time: {type: 'string', default: '300'},
      save: {type: 'boolean', default: false},
    },
  });
  await tf.setBackend('native-cpu');
  const threads = setThreads(Number(values.threads));
  const isa = values.isa ? setIsaLevel(values.isa as IsaLevel) : nativeInfo().isa;
  const addon = loadCpuAddon() as unknown as {
    peakGflops(o: {isa: string; seconds: number}): number;
    copyGbps(o: {bytes: number; seconds: number}): number;
  };
  const peak = addon.peakGflops({isa, seconds: 0.5}) * threads;
  const dram = addon.copyGbps({bytes: 256 << 20, seconds: 0.5});
  const l2 = addon.copyGbps({bytes: 512 << 10, seconds: 0.3});

  const rows: string[] = [];
  for (const c of CASES) {
    const {run, dispose} = c.setup();
    const bench = new Bench({time: Number(values.time), warmupTime: 50});
    bench.add(c.name, () => {
      const y = run();
      y.dataSync();  // ops are synchronous on native-cpu; this also pays the read like a user would
      y.dispose();
    });
    await bench.run();
    const task = bench.tasks[0];
    const ms = task.result?.latency?.p50 ?? task.result?.period ?? NaN;
    dispose();
    const seconds = ms / 1000;
    const gflops = (2 * c.macs) / seconds / 1e9;
    const gbps = c.bytes / seconds / 1e9;
    // Depthwise convolutions are memory-bound: compare with copy bandwidth both from cache (working
    // sets that fit in L2/L3) and from DRAM (the largest activations).
    const share =
      c.kind === 'gemm'
        ? `${((100 * gflops) / peak).toFixed(0)}% of FMA peak${c.note?.() ?? ''}` +
          (c.fromDram ? `, ${((100 * gbps) / dram).toFixed(0)}% of DRAM copy` : '')
        : `${((100 * gbps) / l2).toFixed(0)}% of cache copy, ${((100 * gbps) / dram).toFixed(0)}% of DRAM copy`;
    rows.push(`| ${c.name} | ${ms.toFixed(3)} | ${gflops.toFixed(1)} | ${gbps.toFixed(1)} | ${share} |`);
    console.log(rows[rows.length - 1]);
  }

  const m = machineInfo();
  const header = [
    `# Kernel benchmark (native-cpu)`,
    ``,
    `Machine: ${machineLine(m)}`,
    `Command: npm run bench:kernels -- ${process.argv.slice(2).join(' ')}`,
    `ISA: ${isa}; threads: ${threads}. Ceilings measured in the same run: FMA peak ${peak.toFixed(1)} GFLOP/s ` +
      `(${threads} thread${threads > 1 ? 's' : ''}), copy bandwidth ${dram.toFixed(1)} GB/s (256 MiB, DRAM), ` +
      `${l2.toFixed(1)} GB/s (512 KiB, cache).`,
    `Times are medians of tinybench samples and include the tfjs op call and reading the output.`,
    ``,
    `| case | ms | GFLOP/s | GB/s | vs ceiling |`,
    `|---|---|---|---|---|`,
  ];
  const table = [...header, ...rows, ''].join('\n');
  console.log('\n' + table);
  if (values.save) {
    const dir = join(packageRoot(), 'bench', 'results');
    mkdirSync(dir, {recursive: true});
    const file = join(dir, `kernels-${m.date.slice(0, 10)}-${isa}-t${threads}.md`);
    writeFileSync(file, table);
    console.log(`saved ${file}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
