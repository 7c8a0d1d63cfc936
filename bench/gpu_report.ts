// Result types of the GPU benchmark (npm run bench:gpu) and their markdown/JSON forms: pure
// functions on fixed data (no timing, no tfjs), so the formatting and the target checks are tested
// without a GPU. The PyTorch numbers and the targets are those of the project's anchors (one NVIDIA
// H200, PyTorch 2.11 + cuDNN, torchvision models, batch 1 unless said).
import type {CudaPrecision} from '../src/cuda_precision.js';
import {type MachineInfo, machineLine} from './machine.js';
import {formatCount, formatLatency, type ModelInfo} from './report.js';

/** How native-cuda runs in this benchmark. */
export const GPU_MODE =
  'eager (op by op) and CUDA-graph replay (captureCudaGraph); GEMM precision per cell: fp32, TF32, fp16 or bf16 (setCudaPrecision)';

/** native-cuda's GEMM precisions (setCudaPrecision). */
export type CudaPrecisionName = CudaPrecision;

/** 'fp32', 'TF32', 'fp16', 'bf16'. */
export function precisionText(p: CudaPrecisionName): string {
  return p === 'tf32' ? 'TF32' : p;
}

/** Latency/throughput statistics of one timed series (milliseconds per batch). */
export interface SeriesStats {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  /** Timed iterations (warm-up excluded). */
  iterations: number;
}

export type GpuCellStatus = 'ok' | 'skipped' | 'error';

/** One (model, batch, MBConv path, precision) measurement. */
export interface GpuCell {
  model: string;
  batch: number;
  /** The fused MBConv kernel on (true) or off (false); null for models without MBConv blocks. */
  fused: boolean | null;
  /** The GEMM precision the cell ran in (setCudaPrecision). */
  precision: CudaPrecisionName;
  status: GpuCellStatus;
  /** Why the cell was skipped, or the error (first line). */
  reason?: string;
  /** Input already on the GPU: predict (eager, op by op), then synchronise the device. */
  device?: SeriesStats;
  /** Input already on the GPU: predict captured once into a CUDA graph, graph.run, then synchronise. */
  graph?: SeriesStats;
  /** The captured graph's node count and the device bytes it owns. */
  graphNodes?: number;
  graphPoolBytes?: number;
  /** Why the cell has no graph series (graphs unavailable, capture or replay failed); absent with --graph off. */
  graphReason?: string;
  /** Host to host: tensor from a Float32Array (upload), predict, await data() (download). */
  host?: SeriesStats;
  /** Device bytes one image needs during predict (measured at batch 1), and the estimate for this batch. */
  memory?: {bytesPerImage: number; estimateBytes: number; availableBytes: number};
  /** Seconds spent making weights and building the model (not timed; shared by a model's cells). */
  buildSeconds?: number;
}

/** The GPU as the CUDA addon reports it. */
export interface GpuDeviceSummary {
  name: string;
  computeCapability: string;
  multiprocessors: number;
  totalMemoryBytes: number;
  freeMemoryBytes: number;
  l2Bytes: number;
  /** CUDA version the driver supports (e.g. 13000). */
  driverCudaVersion: number;
  /** The kernel driver's version (/proc/driver/nvidia/version), when readable. */
  driverVersion: string | null;
  /** CUDA runtime linked into the addon. */
  runtimeVersion: number;
  addonPath: string;
}

export interface GpuBenchSettings {
  mode: string;
  /** Fused MBConv paths measured on EfficientNets. */
  fused: 'on' | 'off' | 'both';
  /** Whether a CUDA-graph replay series was asked for. */
  graph: boolean;
  /** Batch sizes per model key. */
  batches: Record<string, number[]>;
  /** Precisions per batch size. */
  precisions: Record<string, CudaPrecisionName[]>;
  iterations: number;
  warmup: number;
  maxSeconds: number;
  seed: number;
}

export type TargetStatus = 'met' | 'not met' | 'not run';

/** Which device-resident series a target was checked against. */
export type DeviceSeries = 'eager' | 'graph';

/** One performance target, checked against the run. */
export interface TargetCheck {
  model: string;
  label: string;
  batch: number;
  precision: string;
  /** 'latency': lower is better (ms per batch); 'throughput': higher is better (images/s). */
  kind: 'latency' | 'throughput';
  goal: number;
  /** What PyTorch does on the same GPU. */
  pytorch: string;
  status: TargetStatus;
  /** The measurement compared (ms or images/s), the series it came from, and what it was. */
  measured?: number;
  measuredSeries?: DeviceSeries;
  measuredAs?: string;
  detail: string;
}

export interface GpuBenchResult {
  title: string;
  date: string;
  command: string;
  packageVersion: string;
  host: MachineInfo;
  device: GpuDeviceSummary;
  settings: GpuBenchSettings;
  models: ModelInfo[];
  cells: GpuCell[];
  targets: TargetCheck[];
  notes: string[];
}

/** PyTorch 2.11 + cuDNN on one H200, torchvision models, batch 1 (ms): the anchors' table. */
export const PYTORCH_H200: Readonly<Record<string, {eagerFp32: number; graphFp32: number; eagerFp16: number; graphFp16: number}>> = {
  b0: {eagerFp32: 4.72, graphFp32: 0.77, eagerFp16: 6.78, graphFp16: 1.0},
  b1: {eagerFp32: 8.5, graphFp32: 1.17, eagerFp16: 10.04, graphFp16: 1.49},
  b4: {eagerFp32: 10.46, graphFp32: 2.16, eagerFp16: 9.96, graphFp16: 2.54},
  b7: {eagerFp32: 21.22, graphFp32: 6.86, eagerFp16: 25.73, graphFp16: 5.73},
  resnet152: {eagerFp32: 13.25, graphFp32: 2.72, eagerFp16: 10.45, graphFp16: 2.68},
};

/** One target: a model at a batch size, met by a cell in one of `precisions`. */
export interface TargetSpec {
  model: string;
  /** The model's name when it is not in the run. */
  label: string;
  batch: number;
  precision: string;
  /** The cell precisions that count for the target. */
  precisions: readonly CudaPrecisionName[];
  kind: 'latency' | 'throughput';
  goal: number;
  pytorch: string;
}

const SINGLE: readonly CudaPrecisionName[] = ['fp32', 'tf32'];
const HALF: readonly CudaPrecisionName[] = ['fp16', 'bf16'];

/** The targets for one H200. */
export const GPU_TARGETS: readonly TargetSpec[] = [
  {model: 'b0', label: 'EfficientNet-B0', batch: 1, precision: 'fp32/TF32', precisions: SINGLE, kind: 'latency', goal: 0.2,
    pytorch: '4.72 ms eager, 0.77 ms CUDA graph, 1.02 ms torch.compile reduce-overhead (fp32)'},
  {model: 'b1', label: 'EfficientNet-B1', batch: 1, precision: 'fp32/TF32', precisions: SINGLE, kind: 'latency', goal: 0.3,
    pytorch: '1.17 ms CUDA graph (8.50 ms eager), fp32'},
  {model: 'b7', label: 'EfficientNet-B7', batch: 1, precision: 'fp32/TF32', precisions: SINGLE, kind: 'latency', goal: 2.5,
    pytorch: '6.86 ms CUDA graph (21.22 ms eager), fp32'},
  {model: 'resnet152', label: 'ResNet-152', batch: 1, precision: 'fp32/TF32', precisions: SINGLE, kind: 'latency', goal: 1.5,
    pytorch: '2.72 ms CUDA graph (13.25 ms eager), fp32'},
  {model: 'b0', label: 'EfficientNet-B0', batch: 256, precision: 'half (fp16/bf16)', precisions: HALF, kind: 'throughput', goal: 30000,
    pytorch: '22,757 img/s fp16 channels-last, CUDA graph (fp32: 10,978 img/s)'},
  {model: 'resnet152', label: 'ResNet-152', batch: 256, precision: 'half (fp16/bf16)', precisions: HALF, kind: 'throughput', goal: 9000,
    pytorch: '8,075 img/s fp16 channels-last, CUDA graph'},
];

/** The value at quantile q (0..1) of samples, interpolating linearly between the nearest ranks. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new Error('quantile: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median, p10, p90, mean, min and max of latency samples (ms). */
export function seriesStats(samples: readonly number[]): SeriesStats {
  if (samples.length === 0) throw new Error('seriesStats: no samples');
  return {
    medianMs: quantile(samples, 0.5),
    p10Ms: quantile(samples, 0.1),
    p90Ms: quantile(samples, 0.9),
    meanMs: samples.reduce((t, v) => t + v, 0) / samples.length,
    minMs: Math.min(...samples),
    maxMs: Math.max(...samples),
    iterations: samples.length,
  };
}

/** Images per second at a batch's median latency. */
export function imagesPerSecond(batch: number, stats: SeriesStats | undefined): number | undefined {
  return stats != null && stats.medianMs > 0 ? (batch * 1000) / stats.medianMs : undefined;
}

/** '12,345 img/s'. */
export function formatRate(rate: number | undefined): string {
  if (rate == null || !Number.isFinite(rate)) return '-';
  return `${Math.round(rate).toLocaleString('en-US')} img/s`;
}

/** '1.5 GiB', '320 MiB'. */
export function formatBytes(bytes: number): string {
  const gib = bytes / 2 ** 30;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/** 13000 -> '13.0'; 12040 -> '12.4'; 0 -> 'none'. */
export function cudaVersionText(v: number): string {
  return v > 0 ? `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}` : 'none';
}

/** 'on', 'off', or 'n/a' (no MBConv blocks). */
export function fusedText(fused: boolean | null): string {
  return fused == null ? 'n/a' : fused ? 'on' : 'off';
}

/** A cell's lower device-resident median: eager or CUDA-graph replay (eager on a tie). */
export function bestDeviceSeries(c: GpuCell): {series: DeviceSeries; stats: SeriesStats} | undefined {
  if (c.device != null && (c.graph == null || c.device.medianMs <= c.graph.medianMs)) return {series: 'eager', stats: c.device};
  return c.graph != null ? {series: 'graph', stats: c.graph} : undefined;
}

/** 'TF32 CUDA graph, fused MBConv on', 'fp32 eager'. */
export function seriesLabel(c: Pick<GpuCell, 'precision' | 'fused'>, series: DeviceSeries): string {
  return `${precisionText(c.precision)} ${series === 'graph' ? 'CUDA graph' : 'eager'}${c.fused == null ? '' : `, fused MBConv ${fusedText(c.fused)}`}`;
}

/** The measured cell (status ok) with the best device-resident series among `cells`. */
function bestOf(cells: readonly GpuCell[]): {cell: GpuCell; series: DeviceSeries; stats: SeriesStats} | undefined {
  let best: {cell: GpuCell; series: DeviceSeries; stats: SeriesStats} | undefined;
  for (const cell of cells) {
    const b = cell.status === 'ok' ? bestDeviceSeries(cell) : undefined;
    if (b != null && (best == null || b.stats.medianMs < best.stats.medianMs)) best = {cell, ...b};
  }
  return best;
}

/**
 * Checks every target against the cells of a run: the model at its standard input size, the target's
 * batch, a cell in one of the target's precisions, and of those the lowest device-resident median,
 * eager or CUDA-graph replay.
 */
export function checkTargets(models: readonly ModelInfo[], cells: readonly GpuCell[]): TargetCheck[] {
  return GPU_TARGETS.map((t) => {
    // Only the model at its standard input size (key 'b0', not 'b0@300') counts.
    const m = models.find((x) => x.key === t.model);
    const label = m?.label ?? t.label;
    const base = {model: t.model, label, batch: t.batch, precision: t.precision, kind: t.kind, goal: t.goal, pytorch: t.pytorch};
    const value = (stats: SeriesStats) => (t.kind === 'latency' ? stats.medianMs : imagesPerSecond(t.batch, stats)!);
    const valueText = (v: number) => (t.kind === 'latency' ? formatLatency(v) : formatRate(v));
    const atBatch = cells.filter((c) => c.model === t.model && c.batch === t.batch);
    const eligible = atBatch.filter((c) => t.precisions.includes(c.precision));
    const best = bestOf(eligible);
    if (best == null) {
      const failed = eligible.find((c) => c.reason != null);
      let why = failed
        ? `${failed.status}: ${failed.reason}`
        : atBatch.length === 0
          ? `not in this run (--models ${t.model}, --batch ${t.batch})`
          : `not in this run: no ${t.precisions.join('/')} cell (--precision ${t.batch}:${t.precisions[0]})`;
      // A measurement in another precision, for reference only.
      const other = bestOf(atBatch);
      if (other != null) why += `; ${seriesLabel(other.cell, other.series)} measured ${valueText(value(other.stats))} (not comparable with the ${t.precision} goal)`;
      return {...base, status: 'not run' as const, detail: why};
    }
    const v = value(best.stats);
    const met = t.kind === 'latency' ? v <= t.goal : v >= t.goal;
    const factor = t.kind === 'latency' ? v / t.goal : t.goal / v;
    return {
      ...base,
      status: met ? ('met' as const) : ('not met' as const),
      measured: v,
      measuredSeries: best.series,
      measuredAs: seriesLabel(best.cell, best.series),
      detail: met ? 'met' : `not met: ${factor < 10 ? factor.toFixed(2) : factor.toFixed(1)}x ${t.kind === 'latency' ? 'the goal' : 'short of the goal'}`,
    };
  });
}

function goalText(t: Pick<TargetCheck, 'kind' | 'goal'>): string {
  return t.kind === 'latency' ? `<= ${formatLatency(t.goal)}` : `>= ${formatRate(t.goal)}`;
}

function measuredText(t: TargetCheck): string {
  if (t.measured == null) return '-';
  const v = t.kind === 'latency' ? formatLatency(t.measured) : formatRate(t.measured);
  return `${v} (${t.measuredAs})`;
}

function seriesText(s: SeriesStats | undefined, cell: GpuCell): string {
  if (s != null) return formatLatency(s.medianMs);
  return cell.status === 'ok' ? '-' : cell.status;
}

/** The graph replay's median, or why there is none in a word or two ('unavailable', 'capture failed', 'off'). */
function graphText(c: GpuCell, graphOn: boolean): string {
  if (c.graph != null) return formatLatency(c.graph.medianMs);
  if (c.status !== 'ok') return c.status;
  if (!graphOn) return 'off';
  return c.graphReason != null ? c.graphReason.split(':')[0] : '-';
}

/** 'batch 1: fp32, TF32; batch 256: fp32, TF32, fp16'. */
export function precisionsText(precisions: Record<string, readonly CudaPrecisionName[]>): string {
  return Object.entries(precisions)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([batch, list]) => `batch ${batch}: ${list.map(precisionText).join(', ')}`)
    .join('; ');
}

function rangeText(s: SeriesStats | undefined): string {
  return s == null ? '-' : `${formatLatency(s.p10Ms)} - ${formatLatency(s.p90Ms)}`;
}

export function deviceLine(d: GpuDeviceSummary): string {
  return (
    `${d.name} (compute capability ${d.computeCapability}, ${d.multiprocessors} SMs, ${formatBytes(d.totalMemoryBytes)}, ` +
    `L2 ${formatBytes(d.l2Bytes)}), driver ${d.driverVersion ?? 'version unknown'} (CUDA ${cudaVersionText(d.driverCudaVersion)}), ` +
    `CUDA runtime ${cudaVersionText(d.runtimeVersion)}`
  );
}

/** The whole result as markdown. */
export function formatGpuMarkdown(r: GpuBenchResult): string {
  const s = r.settings;
  const lines: string[] = [];
  lines.push(`# ${r.title}`, '');
  lines.push(`Device: ${deviceLine(r.device)}  `);
  lines.push(`Host: ${machineLine(r.host)}  `);
  lines.push(`Package: effnet-native ${r.packageVersion}, backend native-cuda (${r.device.addonPath})  `);
  lines.push(`Date: ${r.date}  `);
  lines.push(`Command: \`${r.command}\`  `);
  lines.push(
    `Settings: ${s.mode}; fused MBConv ${s.fused}; CUDA graph ${s.graph ? 'on' : 'off'}; precision ${precisionsText(s.precisions)}; ` +
      `seeded random weights (seed ${s.seed}); per series ${s.warmup} warm-up iterations, then ${s.iterations} timed ` +
      `(fewer when a series passes ${s.maxSeconds} s); median and p10-p90 per batch.`,
  );
  lines.push('');
  lines.push('## Targets (one H200)', '');
  lines.push(
    'Ours: the lowest device-resident median (eager or CUDA-graph replay) among the cells of the model at its standard ' +
      "input size, the target's batch and one of its precisions.",
    '',
  );
  lines.push('| Model | Batch | Precision | Goal | PyTorch on H200 | Ours | Status |');
  lines.push('|---|---:|---|---:|---|---|---|');
  for (const t of r.targets) {
    lines.push(`| ${t.label} | ${t.batch} | ${t.precision} | ${goalText(t)} | ${t.pytorch} | ${measuredText(t)} | ${t.detail} |`);
  }
  lines.push('');
  lines.push('## Results', '');
  lines.push(
    'Eager: input already on the GPU; predict (op by op), then synchronise the device. Graph replay: the same input; ' +
      'predict captured once per cell into a CUDA graph (captureCudaGraph), then graph.run and synchronise. Host to host: ' +
      'tensor from a Float32Array (upload), predict, await data() (download). Times per batch; images/s at the lower ' +
      'device-resident median. Precision: the GEMM precision set for the cell (setCudaPrecision).',
    '',
  );
  lines.push(
    '| Model | Input | Params | Mult-adds | Batch | Precision | MBConv fused | Eager median | Eager p10 - p90 | ' +
      'Graph replay median | Graph p10 - p90 | Graph nodes / memory | Images/s | Host-to-host median | Host-to-host p10 - p90 | ' +
      'Iterations (eager / graph / host) | PyTorch eager / CUDA graph (batch 1; fp32, or fp16 beside half cells) |',
  );
  lines.push('|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const byKey = new Map(r.models.map((m) => [m.key, m]));
  for (const c of r.cells) {
    const m = byKey.get(c.model);
    const py = c.batch === 1 ? PYTORCH_H200[c.model] : undefined;
    const half = c.precision === 'fp16' || c.precision === 'bf16';
    const pyText = py ? (half ? `${formatLatency(py.eagerFp16)} / ${formatLatency(py.graphFp16)}` : `${formatLatency(py.eagerFp32)} / ${formatLatency(py.graphFp32)}`) : '-';
    const iterations = [c.device, c.graph, c.host].some((x) => x != null)
      ? [c.device, c.graph, c.host].map((x) => (x == null ? '-' : String(x.iterations))).join(' / ')
      : '-';
    const graphNodes = c.graphNodes != null ? `${c.graphNodes} / ${c.graphPoolBytes != null ? formatBytes(c.graphPoolBytes) : '?'}` : '-';
    lines.push(
      `| ${m?.label ?? c.model} | ${m?.resolution ?? '-'} | ${m ? formatCount(m.params, 'M') : '-'} | ` +
        `${m ? formatCount(m.multiplyAdds, 'B') : '-'} | ${c.batch} | ${precisionText(c.precision)} | ${fusedText(c.fused)} | ` +
        `${seriesText(c.device, c)} | ${rangeText(c.device)} | ${graphText(c, s.graph)} | ${rangeText(c.graph)} | ${graphNodes} | ` +
        `${formatRate(imagesPerSecond(c.batch, bestDeviceSeries(c)?.stats))} | ${seriesText(c.host, c)} | ${rangeText(c.host)} | ` +
        `${iterations} | ${pyText} |`,
    );
  }
  // Skipped and failed cells, measured ones cut short by an interruption, and cells without a graph series.
  const cellName = (c: GpuCell) =>
    `${byKey.get(c.model)?.label ?? c.model}, batch ${c.batch}, ${precisionText(c.precision)}, MBConv fused ${fusedText(c.fused)}`;
  const notMeasured = r.cells.filter((c) => c.reason != null || (c.graphReason != null && c.status === 'ok'));
  if (notMeasured.length > 0) {
    lines.push('', 'Cells not measured (or not completely):');
    for (const c of notMeasured) {
      if (c.reason != null) lines.push(`- ${cellName(c)}: ${c.status}: ${c.reason}`);
      if (c.graphReason != null && c.status === 'ok') lines.push(`- ${cellName(c)}: CUDA graph: ${c.graphReason}`);
    }
  }
  if (r.notes.length > 0) lines.push('', 'Notes:', ...r.notes.map((n) => `- ${n}`));
  lines.push('');
  return lines.join('\n');
}

/** The result as pretty JSON (numbers rounded to 1/1000). */
export function formatGpuJson(r: GpuBenchResult): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v), 2) + '\n';
}
