// The GPU benchmark's pieces without a GPU: option parsing and its errors, statistics, the target
// checks and the markdown/JSON on fixed results, the whole measuring loop on native-cpu through a
// stand-in for the CUDA addon, and the real script exiting with one line where native-cuda is unusable.
import {execFileSync, spawn} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import {afterAll, describe, expect, it} from 'vitest';

import {
  commandLine,
  cudaUnavailableLine,
  DEFAULT_GPU_MODELS,
  deviceSummary,
  GPU_HELP,
  type GpuControl,
  memoryEstimate,
  normalizeModelKey,
  parseBatches,
  parseGpuOptions,
  parseNvidiaDriverVersion,
  parsePrecisions,
  type PrecisionControl,
  QUICK_GPU_MODELS,
  runGpuBench,
  runSeries,
  summaryLine,
  writeGpuResults,
} from '../bench/gpu.js';
import {
  checkTargets,
  cudaVersionText,
  formatGpuJson,
  formatGpuMarkdown,
  formatRate,
  GPU_MODE,
  GPU_TARGETS,
  type GpuBenchResult,
  type GpuCell,
  precisionsText,
  quantile,
  seriesStats,
} from '../bench/gpu_report.js';
import {machineInfo} from '../bench/machine.js';
import {modelSetup} from '../bench/table4.js';
import {type CudaPrecision, cudaStatus, type CudaStatus} from '../src/index.js';
import {ensureDist, ROOT} from './util/dist.js';

const scratch = mkdtempSync(join(tmpdir(), 'effnet-bench-gpu-'));
afterAll(() => rmSync(scratch, {recursive: true, force: true}));

describe('bench:gpu options', () => {
  it('defaults: the issue models, batch 1 for all and 256 for B0 and ResNet-152, fused both, graph on, fp32 and TF32 (+ fp16 at 256)', () => {
    const o = parseGpuOptions([]);
    expect(o.models).toEqual(DEFAULT_GPU_MODELS);
    expect(o.models).toEqual(['b0', 'b1', 'b4', 'b7', 'resnet152']);
    expect(o.batches).toEqual({b0: [1, 256], b1: [1], b4: [1], b7: [1], resnet152: [1, 256]});
    expect(o.precisions).toEqual({1: ['fp32', 'tf32'], 256: ['fp32', 'tf32', 'fp16']});
    expect(o).toMatchObject({iterations: 100, warmup: 10, maxSeconds: 30, fused: 'both', graph: true, quick: false, seed: 0, noSave: false, help: false});
    expect(o.out).toBe(join(ROOT, 'bench', 'results'));
  });

  it('--quick: B0 and ResNet-152, B0 also at 256, short series; explicit options still win', () => {
    const o = parseGpuOptions(['--quick']);
    expect(o.models).toEqual(QUICK_GPU_MODELS);
    expect(o.batches).toEqual({b0: [1, 256], resnet152: [1]});
    // One precision per batch size: as many cells as without precisions.
    expect(o.precisions).toEqual({1: ['fp32'], 256: ['fp16']});
    expect(o).toMatchObject({iterations: 20, warmup: 3, maxSeconds: 3, graph: true, quick: true});
    // Batch sizes the quick precision list does not name run fp32.
    expect(parseGpuOptions(['--quick', '--batch', '8']).precisions).toEqual({8: ['fp32']});
    const p = parseGpuOptions(['--quick', '--iterations', '7', '--max-seconds', '0.5', '--models', 'b1']);
    expect(p).toMatchObject({iterations: 7, warmup: 3, maxSeconds: 0.5, models: ['b1'], batches: {b1: [1]}});
  });

  it('models: one spelling, duplicates dropped, order kept; default batch entries for absent models ignored', () => {
    const o = parseGpuOptions(['--models', 'B7, efficientnet-b0,b7,ResNet-152@200']);
    expect(o.models).toEqual(['b7', 'b0', 'resnet152@200']);
    expect(o.batches).toEqual({b7: [1], b0: [1, 256], 'resnet152@200': [1, 256]});
    expect(normalizeModelKey('EfficientNet_B3@300')).toBe('b3@300');
  });

  it('--batch: N for every model, MODEL:N for one, sorted and unique', () => {
    expect(parseBatches('8,1,b0:256,b0:8', ['b0', 'b1'], true)).toEqual({b0: [1, 8, 256], b1: [1, 8]});
    expect(parseGpuOptions(['--models', 'b0,b1', '--batch', 'b0:2,b1:4']).batches).toEqual({b0: [2], b1: [4]});
    expect(parseGpuOptions(['--fused', 'OFF', '--out', scratch, '--no-save', '--seed', '3'])).toMatchObject({
      fused: 'off', out: scratch, noSave: true, seed: 3,
    });
  });

  it('--precision: MODE for every batch, N:MODE for one, CUDA_PRECISIONS order, fp32 where none; --graph', () => {
    expect(parsePrecisions('FP16, tf32,1:fp32,256:bf16,tf32', [1, 8, 256], true)).toEqual({1: ['fp32', 'tf32', 'fp16'], 8: ['tf32', 'fp16'], 256: ['tf32', 'fp16', 'bf16']});
    expect(parsePrecisions('256:fp16', [1, 256], true)).toEqual({1: ['fp32'], 256: ['fp16']});
    // Defaults: entries for batch sizes not in the run are ignored.
    expect(parsePrecisions('fp32,256:fp16', [1], false)).toEqual({1: ['fp32']});
    expect(parseGpuOptions(['--models', 'b0', '--batch', '2', '--precision', 'bf16']).precisions).toEqual({2: ['bf16']});
    expect(parseGpuOptions(['--graph', 'OFF']).graph).toBe(false);
    expect(parseGpuOptions(['--quick', '--graph', 'on', '--precision', 'tf32']).precisions).toEqual({1: ['tf32'], 256: ['tf32']});
    expect(precisionsText({1: ['fp32', 'tf32'], 256: ['fp16']})).toBe('batch 1: fp32, TF32; batch 256: fp16');
  });

  it('bad options: one message naming the option and what it takes', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--iterations', '0'], /^--iterations: expected an integer >= 1, got '0'$/],
      [['--iterations', 'many'], /^--iterations: expected an integer >= 1/],
      [['--warmup=-1'], /^--warmup: expected an integer >= 0, got '-1'$/],
      [['--warmup', ''], /^--warmup: expected an integer >= 0/],
      [['--max-seconds', '0'], /^--max-seconds: expected a number > 0, got '0'$/],
      [['--max-seconds', 'x'], /^--max-seconds: expected a number > 0/],
      [['--fused', 'maybe'], /^--fused: expected on, off or both, got 'maybe'$/],
      [['--models', 'b9'], /^--models: unknown model 'b9'; supported: b0\.\.b7/],
      [['--models', ','], /^--models: no models given$/],
      [['--batch', '0'], /^--batch: '0': the batch size must be an integer >= 1$/],
      [['--batch', 'b0:x'], /^--batch: 'b0:x': the batch size must be an integer >= 1$/],
      [['--batch', 'b0:1:2'], /^--batch: 'b0:1:2': expected N or MODEL:N$/],
      [['--batch', ''], /^--batch: no batch sizes given$/],
      [['--batch', '1,b3:2'], /^--batch: 'b3:2': b3 is not among the models of the run \(b0, b1, b4, b7, resnet152\)$/],
      [['--models', 'b0,b1', '--batch', 'b0:2'], /^--batch: no batch size for b1 \(give N for every model, or b1:N\)$/],
      [['--batch', 'b42:2'], /^--models: unknown model 'b42'/],
      [['--precision', 'fp8'], /^--precision: 'fp8': unknown precision 'fp8'; supported: fp32, tf32, fp16, bf16$/],
      [['--precision', ''], /^--precision: no precisions given$/],
      [['--precision', '1:fp16:2'], /^--precision: '1:fp16:2': expected MODE or N:MODE$/],
      [['--precision', '0:fp16'], /^--precision: '0:fp16': the batch size must be an integer >= 1$/],
      [['--precision', '64:fp16'], /^--precision: '64:fp16': batch 64 is not among the batch sizes of the run \(1, 256\)$/],
      [['--graph', 'maybe'], /^--graph: expected on or off, got 'maybe'$/],
      [['--graphs'], /Unknown option '--graphs'/],
    ];
    for (const [args, message] of bad) expect(() => parseGpuOptions(args), args.join(' ')).toThrow(message);
  });

  it('--help lists every option and says what the mode is', () => {
    for (const flag of [
      '--models', '--batch', '--iterations', '--warmup', '--max-seconds', '--precision', '--graph', '--fused', '--quick', '--seed', '--out', '--no-save', '--help',
    ]) {
      expect(GPU_HELP).toContain(flag);
    }
    expect(GPU_HELP).toContain('eager (op by op) and CUDA-graph replay (captureCudaGraph)');
    expect(GPU_HELP).toContain('default fp32,tf32,256:fp16');
    expect(GPU_HELP).toContain('precision 1:fp32,256:fp16');
    expect(parseGpuOptions(['-h']).help).toBe(true);
  });
});

describe('bench:gpu device facts', () => {
  it('one line when native-cuda is unusable, none when it is', () => {
    expect(cudaUnavailableLine({available: false, reason: 'no NVIDIA driver is installed'})).toBe(
      'bench:gpu: native-cuda is unavailable: no NVIDIA driver is installed; nothing was measured',
    );
    expect(cudaUnavailableLine({available: true, reason: ''})).toBeNull();
  });

  it('driver version from /proc/driver/nvidia/version (proprietary and open kernel modules)', () => {
    expect(parseNvidiaDriverVersion('NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 07:09:54 UTC 2025\nGCC version: gcc 13')).toBe('580.65.06');
    expect(parseNvidiaDriverVersion('NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.82.07  Release Build  (dvs-builder@U16)')).toBe(
      '580.82.07',
    );
    expect(parseNvidiaDriverVersion('something else')).toBeNull();
  });

  it('device summary from cudaStatus(); CUDA versions as text', () => {
    const d = deviceSummary(FAKE_STATUS, '580.65.06');
    expect(d).toMatchObject({name: 'NVIDIA H200', computeCapability: '9.0', driverCudaVersion: 13000, driverVersion: '580.65.06', runtimeVersion: 13000});
    expect(() => deviceSummary({available: false, reason: 'no GPU', tried: []})).toThrow(/native-cuda is unavailable: no GPU/);
    expect(cudaVersionText(13000)).toBe('13.0');
    expect(cudaVersionText(12040)).toBe('12.4');
    expect(cudaVersionText(0)).toBe('none');
  });

  it('command line: npm run form under npm, node form otherwise', () => {
    expect(commandLine(['node', '/x/dist/bench/gpu.js', '--quick'], {npm_lifecycle_event: 'bench:gpu'})).toBe('npm run bench:gpu -- --quick');
    expect(commandLine(['node', '/x/dist/bench/gpu.js'], {npm_lifecycle_event: 'bench:gpu'})).toBe('npm run bench:gpu');
    expect(commandLine(['node', join(process.cwd(), 'dist/bench/gpu.js'), '--models', 'b0'], {})).toBe('node dist/bench/gpu.js --models b0');
  });
});

describe('bench:gpu statistics and series', () => {
  it('quantiles interpolate between ranks; stats of fixed samples', () => {
    const samples = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect(quantile(samples, 0.5)).toBeCloseTo(5.5, 12);
    expect(quantile(samples, 0.1)).toBeCloseTo(1.9, 12);
    expect(quantile(samples, 0.9)).toBeCloseTo(9.1, 12);
    expect(quantile([4], 0.9)).toBe(4);
    expect(seriesStats(samples)).toEqual({medianMs: 5.5, p10Ms: expect.closeTo(1.9, 12), p90Ms: expect.closeTo(9.1, 12), meanMs: 5.5, minMs: 1, maxMs: 10, iterations: 10});
    expect(() => seriesStats([])).toThrow(/no samples/);
  });

  it('runs warm-up untimed, then the timed iterations; stops at the time limit or on abort', async () => {
    let calls = 0;
    const samples = await runSeries(() => ++calls, {iterations: 5, warmup: 3, maxSeconds: 60});
    expect(calls).toBe(8);
    expect(samples).toEqual([4, 5, 6, 7, 8]);
    // Each call takes ~30 ms against a 0.05 s limit: two warm-up calls, two timed.
    const slow = () => {
      const t0 = performance.now();
      while (performance.now() - t0 < 30);
      return performance.now() - t0;
    };
    expect((await runSeries(slow, {iterations: 100, warmup: 100, maxSeconds: 0.05})).length).toBe(2);
    const controller = new AbortController();
    let n = 0;
    const cut = await runSeries(async () => {
      if (++n === 4) controller.abort();
      return n;
    }, {iterations: 10, warmup: 1, maxSeconds: 60}, controller.signal);
    expect(cut).toEqual([2, 3, 4]);
  });

  it('memory estimate: fixed bytes plus bytes per image from the batch-1 and batch-2 probes', () => {
    expect(memoryEstimate(1500, 2500)).toEqual({fixedBytes: 500, bytesPerImage: 1000});
    // No growth seen: every byte counts per image (the cautious reading).
    expect(memoryEstimate(1500, 1500)).toEqual({fixedBytes: 0, bytesPerImage: 1500});
  });
});

const FAKE_STATUS: CudaStatus = {
  available: true,
  reason: '',
  addonPath: '/pkg/build/Release/effnet_native_cuda.node',
  tried: [],
  device: {
    usable: true, reason: '', error: '', deviceCount: 1, name: 'NVIDIA H200', computeCapability: '9.0', major: 9, minor: 0,
    totalMemory: 150_000_000_000, freeMemory: 149_000_000_000, multiprocessors: 132, l2Bytes: 62_914_560, driverVersion: 13000, runtimeVersion: 13000,
  },
};

function stats(medianMs: number, iterations = 100) {
  return {medianMs, p10Ms: medianMs * 0.9, p90Ms: medianMs * 1.2, meanMs: medianMs * 1.05, minMs: medianMs * 0.8, maxMs: medianMs * 2, iterations};
}

/** A fixed result: measured, skipped and failed cells, in several precisions, with and without graphs. */
function fakeResult(): GpuBenchResult {
  const models = ['b0', 'b1', 'b7'].map((k) => modelSetup(k).info);
  const cells: GpuCell[] = [
    {model: 'b0', batch: 1, fused: true, precision: 'fp32', status: 'ok', device: stats(0.25), graph: stats(0.18), graphNodes: 250, graphPoolBytes: 40 * 2 ** 20, host: stats(0.4)},
    {model: 'b0', batch: 1, fused: true, precision: 'tf32', status: 'ok', device: stats(0.2), graph: stats(0.15), graphNodes: 250, graphPoolBytes: 40 * 2 ** 20, host: stats(0.35)},
    {model: 'b0', batch: 1, fused: false, precision: 'fp32', status: 'ok', device: stats(0.25), host: stats(0.5, 7), reason: 'interrupted: fewer iterations than asked', graphReason: 'interrupted'},
    {model: 'b0', batch: 256, fused: true, precision: 'fp32', status: 'ok', device: stats(25.6, 20), graph: stats(25.0, 20), graphNodes: 250, graphPoolBytes: 3 * 2 ** 30, host: stats(60, 20)},
    {model: 'b0', batch: 256, fused: true, precision: 'fp16', status: 'ok', device: stats(12.8, 20), graph: stats(13.0, 20), graphNodes: 250, graphPoolBytes: 3 * 2 ** 30, host: stats(50, 20)},
    {model: 'b0', batch: 256, fused: false, precision: 'fp16', status: 'skipped', reason: 'not enough GPU memory: needs about 200.0 GiB (800 MiB per image, measured at batch 1 and 2, plus 20%), 130.0 GiB available'},
    {model: 'b1', batch: 1, fused: true, precision: 'fp32', status: 'ok', device: stats(3.0), host: stats(3.5), graphReason: 'capture failed: out of memory (no capture left open)'},
    // Faster, but half precision: not counted for the fp32/TF32 target.
    {model: 'b1', batch: 1, fused: true, precision: 'fp16', status: 'ok', device: stats(0.1), graph: stats(0.09), graphNodes: 300, graphPoolBytes: 50 * 2 ** 20, host: stats(0.3)},
    {model: 'b1', batch: 1, fused: false, precision: 'fp32', status: 'error', reason: 'native-cuda: Foo: no CUDA implementation yet'},
    {model: 'b7', batch: 1, fused: true, precision: 'fp32', status: 'error', reason: 'CUDA error: an illegal memory access was encountered'},
  ];
  return {
    title: 'effnet-native on the GPU (native-cuda)',
    date: '2026-11-29T01:02:03.000Z',
    command: 'npm run bench:gpu -- --models b0,b1,b7',
    packageVersion: '0.1.0',
    host: {...machineInfo(), date: '2026-11-29T01:02:03.000Z'},
    device: deviceSummary(FAKE_STATUS, '580.65.06'),
    settings: {
      mode: GPU_MODE, fused: 'both', graph: true, batches: {b0: [1, 256], b1: [1], b7: [1]}, precisions: {1: ['fp32', 'tf32', 'fp16'], 256: ['fp32', 'fp16']},
      iterations: 100, warmup: 10, maxSeconds: 30, seed: 0,
    },
    models,
    cells,
    targets: checkTargets(models, cells),
    notes: ['a note'],
  };
}

describe('bench:gpu report', () => {
  it('targets: the best device-resident series of the right precision; met, not met, not run (with the reason)', () => {
    const r = fakeResult();
    const t = new Map(r.targets.map((x) => [`${x.model}/${x.batch}`, x]));
    expect(r.targets.length).toBe(GPU_TARGETS.length);
    // The best of eager and graph over fp32 and TF32 cells: TF32 graph replay 0.15 ms <= 0.2 ms.
    expect(t.get('b0/1')).toMatchObject({status: 'met', measured: 0.15, measuredSeries: 'graph', measuredAs: 'TF32 CUDA graph, fused MBConv on', detail: 'met'});
    // The fp16 cell (0.09 ms) does not count for an fp32/TF32 target; the eager series is the only one.
    expect(t.get('b1/1')).toMatchObject({status: 'not met', measured: 3.0, measuredSeries: 'eager', measuredAs: 'fp32 eager, fused MBConv on', detail: 'not met: 10.0x the goal'});
    expect(t.get('b7/1')).toMatchObject({status: 'not run', detail: 'error: CUDA error: an illegal memory access was encountered'});
    expect(t.get('resnet152/1')).toMatchObject({status: 'not run', detail: 'not in this run (--models resnet152, --batch 1)'});
    // Half precision at batch 256: only fp16/bf16 cells; eager 12.8 ms beats graph 13.0 ms.
    const b0Half = t.get('b0/256')!;
    expect(b0Half).toMatchObject({status: 'not met', measuredSeries: 'eager', measuredAs: 'fp16 eager, fused MBConv on', detail: 'not met: 1.50x short of the goal'});
    expect(b0Half.measured).toBeCloseTo(20000, 6);
    expect(t.get('resnet152/256')).toMatchObject({status: 'not run', detail: 'not in this run (--models resnet152, --batch 256)'});
    expect(formatRate(22757.4)).toBe('22,757 img/s');
  });

  it('targets: a cell in another precision is named for reference, never counted', () => {
    const models = [modelSetup('b0').info];
    const cells: GpuCell[] = [
      {model: 'b0', batch: 256, fused: true, precision: 'fp32', status: 'ok', device: stats(25.6), graph: stats(25.0), host: stats(60)},
      {model: 'b0', batch: 1, fused: null, precision: 'bf16', status: 'ok', device: stats(0.5), host: stats(1)},
    ];
    const t = new Map(checkTargets(models, cells).map((x) => [`${x.model}/${x.batch}`, x]));
    expect(t.get('b0/256')).toEqual(expect.objectContaining({
      status: 'not run',
      detail: 'not in this run: no fp16/bf16 cell (--precision 256:fp16); fp32 CUDA graph, fused MBConv on measured 10,240 img/s (not comparable with the half (fp16/bf16) goal)',
    }));
    expect(t.get('b0/256')!.measured).toBeUndefined();
    expect(t.get('b0/1')!.detail).toBe('not in this run: no fp32/tf32 cell (--precision 1:fp32); bf16 eager measured 0.500 ms (not comparable with the fp32/TF32 goal)');
    // A failed cell of the right precision gives its reason.
    const failed: GpuCell[] = [{model: 'b0', batch: 256, fused: true, precision: 'fp16', status: 'error', reason: 'boom'}, cells[0]];
    expect(checkTargets(models, failed)[4].detail).toMatch(/^error: boom; fp32 CUDA graph, fused MBConv on measured 10,240 img\/s/);
  });

  it('markdown: device, driver, runtime, package, date, command; targets; results with precision and graph columns; cells not measured', () => {
    const md = formatGpuMarkdown(fakeResult());
    expect(md).toContain(
      'Device: NVIDIA H200 (compute capability 9.0, 132 SMs, 139.7 GiB, L2 60 MiB), driver 580.65.06 (CUDA 13.0), CUDA runtime 13.0',
    );
    expect(md).toContain('Package: effnet-native 0.1.0, backend native-cuda (/pkg/build/Release/effnet_native_cuda.node)');
    expect(md).toContain('Date: 2026-11-29T01:02:03.000Z');
    expect(md).toContain('Command: `npm run bench:gpu -- --models b0,b1,b7`');
    expect(md).toContain(
      `Settings: ${GPU_MODE}; fused MBConv both; CUDA graph on; precision batch 1: fp32, TF32, fp16; batch 256: fp32, fp16; seeded random weights (seed 0); per series 10 warm-up iterations, then 100 timed`,
    );
    expect(md).toContain(
      '| EfficientNet-B0 | 1 | fp32/TF32 | <= 0.200 ms | 4.72 ms eager, 0.77 ms CUDA graph, 1.02 ms torch.compile reduce-overhead (fp32) | 0.150 ms (TF32 CUDA graph, fused MBConv on) | met |',
    );
    expect(md).toContain('| EfficientNet-B1 | 1 | fp32/TF32 | <= 0.300 ms | 1.17 ms CUDA graph (8.50 ms eager), fp32 | 3.00 ms (fp32 eager, fused MBConv on) | not met: 10.0x the goal |');
    expect(md).toContain('| ResNet-152 | 1 | fp32/TF32 | <= 1.50 ms | 2.72 ms CUDA graph (13.25 ms eager), fp32 | - | not in this run (--models resnet152, --batch 1) |');
    expect(md).toContain(
      '| EfficientNet-B0 | 256 | half (fp16/bf16) | >= 30,000 img/s | 22,757 img/s fp16 channels-last, CUDA graph (fp32: 10,978 img/s) | 20,000 img/s (fp16 eager, fused MBConv on) | not met: 1.50x short of the goal |',
    );
    expect(md).toContain('| ResNet-152 | 256 | half (fp16/bf16) | >= 9,000 img/s | 8,075 img/s fp16 channels-last, CUDA graph | - | not in this run (--models resnet152, --batch 256) |');
    // Result rows: measured (images/s at the lower device median; PyTorch fp32 or fp16 by the cell's precision), skipped, error.
    expect(md).toContain(
      '| EfficientNet-B0 | 224 | 5.29M | 0.39B | 1 | TF32 | on | 0.200 ms | 0.180 ms - 0.240 ms | 0.150 ms | 0.135 ms - 0.180 ms | 250 / 40 MiB | 6,667 img/s | 0.350 ms | 0.315 ms - 0.420 ms | 100 / 100 / 100 | 4.72 ms / 0.770 ms |',
    );
    expect(md).toContain(
      '| EfficientNet-B1 | 240 | 7.79M | 0.69B | 1 | fp16 | on | 0.100 ms | 0.090 ms - 0.120 ms | 0.090 ms | 0.081 ms - 0.108 ms | 300 / 50 MiB | 11,111 img/s | 0.300 ms | 0.270 ms - 0.360 ms | 100 / 100 / 100 | 10.0 ms / 1.49 ms |',
    );
    expect(md).toContain(
      '| EfficientNet-B0 | 224 | 5.29M | 0.39B | 256 | fp16 | on | 12.8 ms | 11.5 ms - 15.4 ms | 13.0 ms | 11.7 ms - 15.6 ms | 250 / 3.0 GiB | 20,000 img/s | 50.0 ms | 45.0 ms - 60.0 ms | 20 / 20 / 20 | - |',
    );
    expect(md).toContain('| EfficientNet-B0 | 224 | 5.29M | 0.39B | 256 | fp16 | off | skipped | - | skipped | - | - | - | skipped | - | - | - |');
    expect(md).toContain('| EfficientNet-B1 | 240 | 7.79M | 0.69B | 1 | fp32 | off | error | - | error | - | - | - | error | - | - | 8.50 ms / 1.17 ms |');
    expect(md).toContain('| EfficientNet-B1 | 240 | 7.79M | 0.69B | 1 | fp32 | on | 3.00 ms | 2.70 ms - 3.60 ms | capture failed | - | - | 333 img/s | 3.50 ms | 3.15 ms - 4.20 ms | 100 / - / 100 | 8.50 ms / 1.17 ms |');
    expect(md).toContain(
      '- EfficientNet-B0, batch 256, fp16, MBConv fused off: skipped: not enough GPU memory: needs about 200.0 GiB (800 MiB per image, measured at batch 1 and 2, plus 20%), 130.0 GiB available',
    );
    expect(md).toContain('- EfficientNet-B7, batch 1, fp32, MBConv fused on: error: CUDA error: an illegal memory access was encountered');
    expect(md).toContain('- EfficientNet-B0, batch 1, fp32, MBConv fused off: ok: interrupted: fewer iterations than asked');
    expect(md).toContain('- EfficientNet-B1, batch 1, fp32, MBConv fused on: CUDA graph: capture failed: out of memory (no capture left open)');
    expect(md).toContain('| EfficientNet-B0 | 224 | 5.29M | 0.39B | 1 | fp32 | off | 0.250 ms | 0.225 ms - 0.300 ms | interrupted | - | - | 4,000 img/s | 0.500 ms | 0.450 ms - 0.600 ms | 100 / - / 7 | 4.72 ms / 0.770 ms |');
    expect(md).toContain('- a note');
    // Every table row has as many cells as its header.
    for (const table of md.split('\n\n').filter((b) => b.startsWith('| '))) {
      const rows = table.split('\n').filter((l) => l.startsWith('|'));
      const width = rows[0].split('|').length;
      for (const row of rows) expect(row.split('|').length, row).toBe(width);
    }
    // --graph off: the graph column says so.
    const off = fakeResult();
    off.settings.graph = false;
    off.cells[6] = {...off.cells[6], graphReason: undefined};
    expect(formatGpuMarkdown(off)).toContain('| EfficientNet-B1 | 240 | 7.79M | 0.69B | 1 | fp32 | on | 3.00 ms | 2.70 ms - 3.60 ms | off | - | - |');
  });

  it('summary line: cells and targets counted', () => {
    expect(summaryLine(fakeResult())).toBe('bench:gpu: 7 of 10 cells measured, 1 skipped, 2 failed; targets: 1 met, 2 not met, 3 not run');
    expect(summaryLine({cells: [], targets: []})).toBe('bench:gpu: 0 of 0 cells measured, 0 skipped, 0 failed; targets: none');
  });

  it('JSON: the whole result, numbers rounded', () => {
    const r = fakeResult();
    r.cells[0].device!.p10Ms = 0.1234567;
    const back = JSON.parse(formatGpuJson(r)) as GpuBenchResult;
    expect(back.cells[0].device!.p10Ms).toBe(0.123);
    expect(back.cells[0]).toMatchObject({precision: 'fp32', graph: {medianMs: 0.18}, graphNodes: 250, graphPoolBytes: 40 * 2 ** 20});
    expect(back.device.name).toBe('NVIDIA H200');
    expect(back.settings).toMatchObject({graph: true, precisions: {1: ['fp32', 'tf32', 'fp16'], 256: ['fp32', 'fp16']}});
    expect(back.targets.map((t) => t.status)).toEqual(['met', 'not met', 'not run', 'not run', 'not met', 'not run']);
    expect(back.cells[5]).toMatchObject({status: 'skipped', reason: expect.stringMatching(/^not enough GPU memory/)});
  });
});

/** A precision setting that records what was set (native-cpu computes in float32 whatever it says). */
function fakePrecision(start: CudaPrecision = 'fp32'): PrecisionControl & {sets: CudaPrecision[]} {
  let mode = start;
  const sets: CudaPrecision[] = [];
  return {
    sets,
    get: () => mode,
    set: (m) => {
      sets.push(m);
      const previous = mode;
      mode = m;
      return previous;
    },
  };
}

describe('bench:gpu measuring loop (native-cpu standing in for the GPU)', () => {
  it('builds, probes memory, times device and host series per precision, skips a batch that does not fit, writes files; no graph entries', async () => {
    let syncs = 0;
    let reserved = 0;
    const control: GpuControl = {
      synchronize: () => void syncs++,
      emptyCache: () => undefined,
      // Each read shows 1 MB more reserved: both probes grow by 1 MB, read as 1 MB per image, so batch
      // 64 (77 MB with the margin) does not fit in the 50 MB free.
      info: () => ({bytesInUse: 0, buffers: 0, bytesReserved: (reserved += 1_000_000), bytesCached: 0}) as never,
      deviceInfo: () => ({...FAKE_STATUS.device!, freeMemory: 50_000_000}),
    };
    const options = parseGpuOptions([
      '--models', 'b0@32,resnet50@32', '--batch', '1,b0@32:64', '--precision', 'fp32,1:tf32', '--iterations', '3', '--warmup', '1', '--no-save',
    ]);
    const partial: GpuBenchResult[] = [];
    const lines: string[] = [];
    const precision = fakePrecision('bf16');
    const r = await runGpuBench(options, {
      target: {backendName: 'native-cpu', status: FAKE_STATUS, control, precision},
      log: (l) => lines.push(l),
      onPartial: (p) => partial.push(structuredClone(p)),
    });
    // Listed by model, the fused kernel off before on (the order the passes run them), then batch, then precision.
    expect(r.cells.map((c) => [c.model, c.batch, c.fused, c.precision, c.status])).toEqual([
      ['b0@32', 1, false, 'fp32', 'ok'],
      ['b0@32', 1, false, 'tf32', 'ok'],
      ['b0@32', 64, false, 'fp32', 'skipped'],
      ['b0@32', 1, true, 'fp32', 'ok'],
      ['b0@32', 1, true, 'tf32', 'ok'],
      ['b0@32', 64, true, 'fp32', 'skipped'],
      ['resnet50@32', 1, null, 'fp32', 'ok'],
      ['resnet50@32', 1, null, 'tf32', 'ok'],
    ]);
    // Each measured cell set its precision first; the precision at start came back at the end.
    expect(precision.sets).toEqual(['fp32', 'tf32', 'fp32', 'tf32', 'fp32', 'tf32', 'bf16']);
    expect(precision.get()).toBe('bf16');
    // Passes: B0 unfused, ResNet-50, then B0 fused.
    expect(partial.map((p) => p.cells.filter((c) => c.status === 'ok').length)).toEqual([2, 4, 6]);
    const unavailable = 'unavailable: the CUDA addon has no graph entries (captureBegin); rebuild it';
    for (const c of r.cells.filter((x) => x.status === 'ok')) {
      expect(c.device!.iterations).toBe(3);
      expect(c.host!.iterations).toBe(3);
      expect(c.device!.medianMs).toBeGreaterThan(0);
      expect(c.buildSeconds).toBeGreaterThan(0);
      expect(c.reason).toBeUndefined();
      // No captureBegin on the stand-in: graphs unavailable, the other series kept.
      expect(c.graph).toBeUndefined();
      expect(c.graphReason).toBe(unavailable);
    }
    expect(r.cells[2].reason).toMatch(/^not enough GPU memory: needs about \d+ MiB \(1 MiB per image, measured at batch 1 and 2, plus 20%\), 48 MiB available$/);
    // Synchronised after each device iteration (4 per series) and after the probes.
    expect(syncs).toBeGreaterThanOrEqual(6 * 4);
    // Targets name only the standard models: none ran here.
    expect(r.targets.every((t) => t.status === 'not run')).toBe(true);
    expect(r.device.name).toBe('NVIDIA H200');
    expect(r.settings).toMatchObject({graph: true, precisions: {1: ['fp32', 'tf32'], 64: ['fp32']}});
    expect(r.notes).toContain(
      `native-cuda: ${GPU_MODE}. Precisions per batch size: batch 1: fp32, TF32; batch 64: fp32; CUDA graph asked for but ${unavailable}. ` +
        'The fused MBConv kernel is experimental (setCudaMBConvFusion).',
    );
    expect(lines.some((l) => /EfficientNet-B0 @32, fused MBConv on, batch 1, TF32: device .* median of 3 \(.* img\/s\), graph replay: unavailable: .*, host to host/.test(l))).toBe(true);
    const md = formatGpuMarkdown(r);
    expect(md).toContain(`- ResNet-50, batch 1, TF32, MBConv fused n/a: CUDA graph: ${unavailable}`);
    const files = writeGpuResults(r, scratch);
    expect(files.map((f) => f.slice(scratch.length + 1))).toEqual([`gpu-${r.date.slice(0, 10)}.json`, `gpu-${r.date.slice(0, 10)}.md`]);
    expect(readFileSync(files[1], 'utf8')).toBe(md);
    expect(JSON.parse(readFileSync(files[0], 'utf8')).cells.length).toBe(8);
  });

  it('graph replay through a stand-in capture: one capture per cell, replays timed, graphs freed; a failed capture keeps the other series', async () => {
    let open = false;
    let aborts = 0;
    let syncs = 0;
    const control: GpuControl = {
      synchronize: () => void syncs++,
      emptyCache: () => undefined,
      info: () => ({bytesInUse: 0, buffers: 0}) as never,
      deviceInfo: () => FAKE_STATUS.device!,
      captureBegin: () => undefined,
      capturing: () => open,
      captureAbort: () => {
        aborts++;
        const was = open;
        open = false;
        return was;
      },
    };
    const captured: number[][] = [];
    let runs = 0;
    let freed = 0;
    // The stand-in "captures" by keeping the function; run calls it. Batch 2 fails cleanly, batch 3
    // fails leaving a capture open (which the bench must notice and abort).
    const capture = (forward: (x: tf.Tensor) => tf.Tensor, shape: readonly number[]) => {
      captured.push([...shape]);
      if (shape[0] === 2) throw new Error('captureCudaGraph: the function failed while being captured: out of memory');
      if (shape[0] === 3) {
        open = true;
        throw new Error('captureCudaGraph: the function failed while being captured: boom');
      }
      return {
        nodes: 42,
        poolBytes: 3 * 2 ** 20,
        run: (x: tf.Tensor) => {
          runs++;
          expect(x.shape).toEqual([...shape]);
          return forward(x);
        },
        dispose: () => void freed++,
      };
    };
    const precision = fakePrecision();
    const options = parseGpuOptions(['--models', 'b0@32', '--fused', 'off', '--batch', '1,2,3', '--precision', 'fp32,1:fp16', '--iterations', '3', '--warmup', '1', '--no-save']);
    const lines: string[] = [];
    const r = await runGpuBench(options, {target: {backendName: 'native-cpu', status: FAKE_STATUS, control, capture, precision}, log: (l) => lines.push(l)});
    expect(captured).toEqual([[1, 32, 32, 3], [1, 32, 32, 3], [2, 32, 32, 3], [3, 32, 32, 3]]);
    expect(r.cells.map((c) => [c.batch, c.precision, c.status, c.graph?.iterations, c.graphNodes, c.graphReason])).toEqual([
      [1, 'fp32', 'ok', 3, 42, undefined],
      [1, 'fp16', 'ok', 3, 42, undefined],
      [2, 'fp32', 'ok', undefined, undefined, 'capture failed: captureCudaGraph: the function failed while being captured: out of memory (no capture left open)'],
      [3, 'fp32', 'ok', undefined, undefined, 'capture failed: captureCudaGraph: the function failed while being captured: boom; a capture was left open (aborted)'],
    ]);
    // Two graphs, warm-up and timed replays each, both freed; the open capture aborted once.
    expect(runs).toBe(2 * 4);
    expect(freed).toBe(2);
    expect(aborts).toBe(1);
    expect(open).toBe(false);
    for (const c of r.cells) {
      expect(c.device!.iterations).toBe(3);
      expect(c.host!.iterations).toBe(3);
      expect(c.reason).toBeUndefined();
    }
    expect(r.cells[0].graphPoolBytes).toBe(3 * 2 ** 20);
    expect(r.notes).toContain('A failed CUDA-graph capture left a capture open; it was aborted.');
    expect(lines.some((l) => /batch 1, fp16: device .*, graph replay .* \(42 nodes, 3 MiB\), host to host/.test(l))).toBe(true);
    const md = formatGpuMarkdown(r);
    expect(md).toMatch(/\| EfficientNet-B0 \| 32 \| .* \| 1 \| fp16 \| off \| [\d.]+ m?s \| .* \| [\d.]+ m?s \| .* \| 42 \/ 3 MiB \| .* \| 3 \/ 3 \/ 3 \| - \|/);
    expect(md).toContain('- EfficientNet-B0, batch 2, fp32, MBConv fused off: CUDA graph: capture failed: captureCudaGraph: the function failed while being captured: out of memory (no capture left open)');
    // A capture that stays open even after captureAbort: nothing more runs.
    const stuck: GpuControl = {...control, captureAbort: () => false};
    const s = await runGpuBench(parseGpuOptions(['--models', 'b0@32', '--fused', 'off', '--batch', '3,4', '--precision', 'fp32', '--iterations', '1', '--warmup', '0', '--no-save']), {
      target: {backendName: 'native-cpu', status: FAKE_STATUS, control: stuck, capture, precision: fakePrecision()},
      log: () => undefined,
    });
    expect(s.cells.map((c) => [c.batch, c.status, c.graphReason ?? c.reason])).toEqual([
      [3, 'ok', 'capture failed: captureCudaGraph: the function failed while being captured: boom; a capture stayed open'],
      [4, 'skipped', 'not run: the device stayed in error after an earlier failure (a CUDA-graph capture stayed open after a failed capture)'],
    ]);
    expect(s.notes).toContain('A failed CUDA-graph capture left a capture open; it was not closed by captureAbort.');
    open = false;
  });

  it('--graph off: no capture, no graph reason', async () => {
    let captures = 0;
    const control: GpuControl = {
      synchronize: () => undefined,
      emptyCache: () => undefined,
      info: () => ({bytesInUse: 0, buffers: 0}) as never,
      deviceInfo: () => FAKE_STATUS.device!,
      captureBegin: () => undefined,
    };
    const r = await runGpuBench(parseGpuOptions(['--models', 'b0@32', '--fused', 'off', '--batch', '1', '--precision', 'fp32', '--graph', 'off', '--iterations', '1', '--warmup', '0', '--no-save']), {
      target: {
        backendName: 'native-cpu', status: FAKE_STATUS, control, precision: fakePrecision(),
        capture: () => {
          captures++;
          throw new Error('not expected');
        },
      },
      log: () => undefined,
    });
    expect(captures).toBe(0);
    expect(r.cells).toEqual([expect.objectContaining({status: 'ok', precision: 'fp32'})]);
    expect(r.cells[0].graph).toBeUndefined();
    expect(r.cells[0].graphReason).toBeUndefined();
    expect(formatGpuMarkdown(r)).toMatch(/\| 1 \| fp32 \| off \| [\d.]+ m?s \| .* \| off \| - \| - \|/);
  });

  it.skipIf(cudaStatus().available)('the package precision setting without CUDA: fp32 cells run, other precisions are skipped with the reason', async () => {
    const control: GpuControl = {
      synchronize: () => undefined,
      emptyCache: () => undefined,
      info: () => ({bytesInUse: 0, buffers: 0}) as never,
      deviceInfo: () => FAKE_STATUS.device!,
    };
    const r = await runGpuBench(parseGpuOptions(['--models', 'b0@32', '--fused', 'off', '--batch', '1', '--precision', 'fp32,tf32', '--iterations', '1', '--warmup', '0', '--no-save']), {
      target: {backendName: 'native-cpu', status: FAKE_STATUS, control},
      log: () => undefined,
    });
    expect(r.cells.map((c) => [c.precision, c.status])).toEqual([['fp32', 'ok'], ['tf32', 'skipped']]);
    expect(r.cells[1].reason).toMatch(/^precision tf32 unavailable: setCudaPrecision\('tf32'\): CUDA is not used/);
  });

  it('a device that stays in error after a failure: the rest is skipped with the reason', async () => {
    const control: GpuControl = {
      synchronize: () => {
        throw new Error('CUDA error: an illegal memory access was encountered (cudaErrorIllegalAddress)\n  at somewhere');
      },
      emptyCache: () => undefined,
      info: () => ({bytesInUse: 0, buffers: 0}) as never,
      deviceInfo: () => FAKE_STATUS.device!,
    };
    const options = parseGpuOptions(['--models', 'b0@32,resnet50@32', '--batch', '1', '--precision', 'fp32', '--iterations', '2', '--warmup', '0', '--no-save']);
    const r = await runGpuBench(options, {target: {backendName: 'native-cpu', status: FAKE_STATUS, control, precision: fakePrecision()}, log: () => undefined});
    const sticky = 'CUDA error: an illegal memory access was encountered (cudaErrorIllegalAddress)';
    expect(r.cells).toEqual([
      expect.objectContaining({model: 'b0@32', fused: false, precision: 'fp32', status: 'error', reason: `first predictions (batch 1 and 2): ${sticky}`}),
      expect.objectContaining({model: 'b0@32', fused: true, status: 'skipped', reason: `not run: the device stayed in error after an earlier failure (${sticky})`}),
      expect.objectContaining({model: 'resnet50@32', fused: null, status: 'skipped', reason: `not run: the device stayed in error after an earlier failure (${sticky})`}),
    ]);
    expect(formatGpuMarkdown(r)).toContain(`- EfficientNet-B0, batch 1, fp32, MBConv fused on: skipped: not run: the device stayed in error`);
  });

  it('refuses to start without a usable device', async () => {
    await expect(runGpuBench(parseGpuOptions(['--quick']), {target: {backendName: 'native-cpu', status: {available: false, reason: 'no GPU here', tried: []}}})).rejects.toThrow(
      /^bench:gpu: native-cuda is unavailable: no GPU here; nothing was measured$/,
    );
  });
});

/**
 * dist/bench/gpu.js, compiled again when older than its sources (npm ci builds it fresh), under the
 * lock folder test/util/dist.ts's ensureDist() uses, so two test files never run tsc at once.
 */
function compiledScript(): string {
  ensureDist();
  const script = join(ROOT, 'dist', 'bench', 'gpu.js');
  const sources = ['gpu.ts', 'gpu_report.ts', 'table4.ts', 'report.ts', 'machine.ts'].map((f) => join(ROOT, 'bench', f));
  const stale = () => !existsSync(script) || sources.some((s) => statSync(s).mtimeMs > statSync(script).mtimeMs);
  if (!stale()) return script;
  const lock = join(ROOT, 'dist', '.build-lock');
  const deadline = Date.now() + 240_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} is held for too long (remove it if no build is running)`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    if (stale()) {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], {cwd: ROOT, stdio: 'pipe'});
    }
  } finally {
    rmSync(lock, {recursive: true, force: true});
  }
  return script;
}

function runScript(args: string[], env: NodeJS.ProcessEnv): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [compiledScript(), ...args], {cwd: scratch, env: {...process.env, ...env}});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({code, stdout, stderr}));
  });
}

describe('bench:gpu script', () => {
  it('without native-cuda: exit status 1 and one line saying why, nothing written', async () => {
    const r = await runScript(['--quick', '--out', join(scratch, 'never')], {EFFNET_NATIVE_CUDA: '0'});
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('bench:gpu: native-cuda is unavailable: disabled by EFFNET_NATIVE_CUDA=0; nothing was measured\n');
    expect(existsSync(join(scratch, 'never'))).toBe(false);
  });

  it.skipIf(cudaStatus().available)('on this GPU-less machine: the loader reason, one line', async () => {
    const r = await runScript(['--no-save'], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`bench:gpu: native-cuda is unavailable: ${cudaStatus().reason}; nothing was measured\n`);
  });

  it('bad option: status 2 and the message; --help: status 0', async () => {
    const bad = await runScript(['--fused', 'maybe'], {EFFNET_NATIVE_CUDA: '0'});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("bench:gpu: --fused: expected on, off or both, got 'maybe'\nRun with --help for the options.\n");
    const help = await runScript(['--help'], {EFFNET_NATIVE_CUDA: '0'});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run bench:gpu');
  });
});
