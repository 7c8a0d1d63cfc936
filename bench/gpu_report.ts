// Result types of the GPU benchmark (npm run bench:gpu) and their markdown/JSON forms: pure
// functions on fixed data (no timing, no tfjs), so the formatting and the target checks are tested
// without a GPU. The PyTorch numbers and the targets are those of the project's anchors (one NVIDIA
// H200, PyTorch 2.11 + cuDNN, torchvision models, batch 1 unless said).
import {type MachineInfo, machineLine} from './machine.js';
import {formatCount, formatLatency, type ModelInfo} from './report.js';

/** The only execution mode native-cuda has today. */
export const GPU_MODE = 'fp32, eager (op by op; no CUDA graphs, no TF32, no fp16)';

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

/** One (model, batch, MBConv path) measurement. */
export interface GpuCell {
  model: string;
  batch: number;
  /** The fused MBConv kernel on (true) or off (false); null for models without MBConv blocks. */
  fused: boolean | null;
  status: GpuCellStatus;
  /** Why the cell was skipped, or the error (first line). */
  reason?: string;
  /** Input already on the GPU: predict, then synchronise the device. */
  device?: SeriesStats;
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
  /** Batch sizes per model key. */
  batches: Record<string, number[]>;
  iterations: number;
  warmup: number;
  maxSeconds: number;
  seed: number;
}

export type TargetStatus = 'met' | 'not met' | 'not measurable yet' | 'not run';

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
  /** The measurement compared (ms or images/s), and what it was. */
  measured?: number;
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

/** What a target needs that native-cuda does not have yet (absent: the current mode can meet it). */
export interface TargetSpec {
  model: string;
  /** The model's name when it is not in the run. */
  label: string;
  batch: number;
  precision: string;
  kind: 'latency' | 'throughput';
  goal: number;
  pytorch: string;
  needs?: string;
}

/** The targets for one H200. */
export const GPU_TARGETS: readonly TargetSpec[] = [
  {model: 'b0', label: 'EfficientNet-B0', batch: 1, precision: 'fp32/TF32', kind: 'latency', goal: 0.2,
    pytorch: '4.72 ms eager, 0.77 ms CUDA graph, 1.02 ms torch.compile reduce-overhead (fp32)'},
  {model: 'b1', label: 'EfficientNet-B1', batch: 1, precision: 'fp32/TF32', kind: 'latency', goal: 0.3, pytorch: '1.17 ms CUDA graph (8.50 ms eager), fp32'},
  {model: 'b7', label: 'EfficientNet-B7', batch: 1, precision: 'fp32/TF32', kind: 'latency', goal: 2.5, pytorch: '6.86 ms CUDA graph (21.22 ms eager), fp32'},
  {model: 'resnet152', label: 'ResNet-152', batch: 1, precision: 'fp32/TF32', kind: 'latency', goal: 1.5, pytorch: '2.72 ms CUDA graph (13.25 ms eager), fp32'},
  {model: 'b0', label: 'EfficientNet-B0', batch: 256, precision: 'half', kind: 'throughput', goal: 30000,
    pytorch: '22,757 img/s fp16 channels-last, CUDA graph (fp32: 10,978 img/s)', needs: 'half-precision (fp16) kernels on native-cuda'},
  {model: 'resnet152', label: 'ResNet-152', batch: 256, precision: 'half', kind: 'throughput', goal: 9000,
    pytorch: '8,075 img/s fp16 channels-last, CUDA graph', needs: 'half-precision (fp16) kernels on native-cuda'},
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

/** Checks every target against the cells of a run. */
export function checkTargets(models: readonly ModelInfo[], cells: readonly GpuCell[]): TargetCheck[] {
  return GPU_TARGETS.map((t) => {
    // Only the model at its standard input size (key 'b0', not 'b0@300') counts.
    const m = models.find((x) => x.key === t.model);
    const label = m?.label ?? t.label;
    const base = {model: t.model, label, batch: t.batch, precision: t.precision, kind: t.kind, goal: t.goal, pytorch: t.pytorch};
    const measuredCells = cells.filter((c) => c.model === t.model && c.batch === t.batch && c.status === 'ok' && c.device != null);
    const best = measuredCells.reduce<GpuCell | undefined>((a, c) => (a == null || c.device!.medianMs < a.device!.medianMs ? c : a), undefined);
    const as = (c: GpuCell) => `fp32 eager${c.fused == null ? '' : `, fused MBConv ${fusedText(c.fused)}`}`;
    if (t.needs != null) {
      const rate = best ? imagesPerSecond(t.batch, best.device) : undefined;
      return {
        ...base,
        status: 'not measurable yet' as const,
        ...(rate != null ? {measured: rate, measuredAs: as(best!)} : {}),
        detail:
          `not measurable yet: needs ${t.needs}` +
          (rate != null ? `; fp32 eager measured ${formatRate(rate)} (not comparable with a ${t.precision}-precision goal)` : ''),
      };
    }
    if (best == null) {
      const other = cells.find((c) => c.model === t.model && c.batch === t.batch);
      const why = other?.reason ? `${other.status}: ${other.reason}` : `not in this run (--models ${t.model}, --batch ${t.batch})`;
      return {...base, status: 'not run' as const, detail: why};
    }
    const value = t.kind === 'latency' ? best.device!.medianMs : imagesPerSecond(t.batch, best.device)!;
    const met = t.kind === 'latency' ? value <= t.goal : value >= t.goal;
    const factor = t.kind === 'latency' ? value / t.goal : t.goal / value;
    return {
      ...base,
      status: met ? ('met' as const) : ('not met' as const),
      measured: value,
      measuredAs: as(best),
      detail: met ? 'met' : `not met: ${factor < 10 ? factor.toFixed(2) : factor.toFixed(1)}x ${t.kind === 'latency' ? 'the goal' : 'short of the goal'}`,
    };
  });
}

function goalText(t: Pick<TargetCheck, 'kind' | 'goal'>): string {
  return t.kind === 'latency' ? `<= ${formatLatency(t.goal)}` : `>= ${formatRate(t.goal)}`;
}

function measuredText(t: TargetCheck): string {
  if (t.measured == null) return '-';
  const v = t.kind === 'latency' && t.status !== 'not measurable yet' ? formatLatency(t.measured) : formatRate(t.measured);
  return `${v} (${t.measuredAs})`;
}

function seriesText(s: SeriesStats | undefined, cell: GpuCell): string {
  if (s != null) return formatLatency(s.medianMs);
  return cell.status === 'ok' ? '-' : cell.status;
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
    `Settings: ${s.mode}; fused MBConv ${s.fused}; seeded random weights (seed ${s.seed}); per series ${s.warmup} warm-up ` +
      `iterations, then ${s.iterations} timed (fewer when a series passes ${s.maxSeconds} s); median and p10-p90 per batch.`,
  );
  lines.push('');
  lines.push('## Targets (one H200)', '');
  lines.push('| Model | Batch | Precision | Goal | PyTorch on H200 | Ours | Status |');
  lines.push('|---|---:|---|---:|---|---|---|');
  for (const t of r.targets) {
    lines.push(`| ${t.label} | ${t.batch} | ${t.precision} | ${goalText(t)} | ${t.pytorch} | ${measuredText(t)} | ${t.detail} |`);
  }
  lines.push('');
  lines.push('## Results', '');
  lines.push(
    'Device: input already on the GPU; predict, then synchronise the device. Host to host: tensor from a Float32Array ' +
      '(upload), predict, await data() (download). Times per batch.',
    '',
  );
  lines.push(
    '| Model | Input | Params | Mult-adds | Batch | MBConv fused | Device median | Device p10 - p90 | Images/s | ' +
      'Host-to-host median | Host-to-host p10 - p90 | Iterations | PyTorch fp32 eager / CUDA graph (batch 1) |',
  );
  lines.push('|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  const byKey = new Map(r.models.map((m) => [m.key, m]));
  for (const c of r.cells) {
    const m = byKey.get(c.model);
    const py = c.batch === 1 ? PYTORCH_H200[c.model] : undefined;
    const iterations = [c.device?.iterations, c.host?.iterations].filter((n) => n != null).join(' / ') || '-';
    lines.push(
      `| ${m?.label ?? c.model} | ${m?.resolution ?? '-'} | ${m ? formatCount(m.params, 'M') : '-'} | ` +
        `${m ? formatCount(m.multiplyAdds, 'B') : '-'} | ${c.batch} | ${fusedText(c.fused)} | ${seriesText(c.device, c)} | ` +
        `${rangeText(c.device)} | ${formatRate(imagesPerSecond(c.batch, c.device))} | ${seriesText(c.host, c)} | ${rangeText(c.host)} | ` +
        `${iterations} | ${py ? `${formatLatency(py.eagerFp32)} / ${formatLatency(py.graphFp32)}` : '-'} |`,
    );
  }
  // Skipped and failed cells, and measured ones cut short by an interruption.
  const notMeasured = r.cells.filter((c) => c.reason != null);
  if (notMeasured.length > 0) {
    lines.push('', 'Cells not measured (or not completely):');
    for (const c of notMeasured) {
      lines.push(`- ${byKey.get(c.model)?.label ?? c.model}, batch ${c.batch}, MBConv fused ${fusedText(c.fused)}: ${c.status}: ${c.reason}`);
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
