// A hand-written SVG chart in the manner of the paper's Figure 1: latency (log scale) against
// parameters (log scale), one series per backend or peer, EfficientNets joined by a line, every
// point labelled with its latency, each model named at the top of the plot.
import {type BackendId, BACKEND_ORDER, BACKEND_TITLES, formatLatency, type Table4Result} from './report.js';

export interface ChartPoint {
  /** Parameters. */
  x: number;
  /** Latency in milliseconds. */
  y: number;
  /** Model label (shown at the top of the plot). */
  model: string;
  /** Joined to the other joined points of its series (EfficientNets). */
  joined?: boolean;
}

export interface ChartSeries {
  name: string;
  color: string;
  points: ChartPoint[];
  /** Dashed line and hollow markers (reference series such as the paper's numbers). */
  reference?: boolean;
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  width?: number;
  height?: number;
}

/**
 * The backends drawn. The native-cpu graph replay is left out: its points would sit almost on
 * native-cpu's (a few percent apart on a log scale); the tables have it.
 */
type ChartBackend = Exclude<BackendId, 'native-graph'>;

const COLORS: Readonly<Record<ChartBackend | 'paper', string>> = {
  native: '#d62728',
  'native-unfused': '#ff9896',
  wasm: '#1f77b4',
  cpu: '#7f7f7f',
  ort: '#2ca02c',
  paper: '#000000',
};

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({'<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;'})[c]!);
}

function fmt(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** Decades [10^a, 10^b] that enclose [min, max] with some room. */
export function logDomain(min: number, max: number): [number, number] {
  const lo = Math.floor(Math.log10(min / 1.15));
  let hi = Math.ceil(Math.log10(max * 1.15));
  if (hi <= lo) hi = lo + 1;
  return [10 ** lo, 10 ** hi];
}

function paramsLabel(v: number): string {
  return v >= 1e9 ? `${v / 1e9}B` : `${v / 1e6}M`;
}

function latencyLabel(ms: number): string {
  if (ms >= 1000) return `${ms / 1000} s`;
  if (ms >= 1) return `${ms} ms`;
  return `${ms * 1000} us`;
}

/** A marker of one of five shapes centred on (x, y). */
function marker(shape: number, x: number, y: number, r: number): string {
  switch (shape % 5) {
    case 0:
      return `M${fmt(x - r)},${fmt(y)}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
    case 1:
      return `M${fmt(x - r)},${fmt(y - r)}h${2 * r}v${2 * r}h${-2 * r}Z`;
    case 2:
      return `M${fmt(x)},${fmt(y - r * 1.2)}L${fmt(x + r * 1.1)},${fmt(y + r * 0.8)}L${fmt(x - r * 1.1)},${fmt(y + r * 0.8)}Z`;
    case 3:
      return `M${fmt(x)},${fmt(y - r * 1.3)}L${fmt(x + r * 1.3)},${fmt(y)}L${fmt(x)},${fmt(y + r * 1.3)}L${fmt(x - r * 1.3)},${fmt(y)}Z`;
    default:
      return `M${fmt(x)},${fmt(y + r * 1.2)}L${fmt(x + r * 1.1)},${fmt(y - r * 0.8)}L${fmt(x - r * 1.1)},${fmt(y - r * 0.8)}Z`;
  }
}

/** The chart as an SVG document. Every point is one `<path class="point">`. */
export function renderChart(series: ChartSeries[], options: ChartOptions): string {
  const width = options.width ?? 960;
  const height = options.height ?? 600;
  const margin = {left: 80, right: 250, top: 0, bottom: 64};
  const plotW = width - margin.left - margin.right;
  const all = series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.x) && Number.isFinite(p.y));
  const [x0, x1] = all.length ? logDomain(Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x))) : [1e6, 1e9];
  const [y0, y1] = all.length ? logDomain(Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y))) : [1, 1e4];
  const sx = (v: number) => margin.left + ((Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * plotW;

  // Model names above the plot, one per distinct parameter count, staggered onto more rows where
  // names would touch; the plot starts below the last row.
  const models = new Map<string, number>();
  for (const p of all) if (!models.has(p.model)) models.set(p.model, p.x);
  const rowEnds: number[] = [];
  const guides = [...models.entries()]
    .sort((a, b) => a[1] - b[1])
    .map(([name, x]) => {
      const px = sx(x);
      const w = name.length * 6.5;
      let row = rowEnds.findIndex((end) => end < px - w / 2 - 4);
      if (row < 0) row = rowEnds.length;
      rowEnds[row] = px + w / 2;
      return {name, px, row};
    });
  margin.top = (options.subtitle ? 64 : 48) + Math.max(1, rowEnds.length) * 14;
  const plotH = height - margin.top - margin.bottom;
  const sy = (v: number) => margin.top + plotH - ((Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="26" text-anchor="middle" font-size="17" font-weight="bold">${escapeXml(options.title)}</text>`);
  if (options.subtitle) {
    out.push(`<text x="${width / 2}" y="46" text-anchor="middle" font-size="11" fill="#444444">${escapeXml(options.subtitle)}</text>`);
  }

  // Grid: decades solid, 2x and 5x dotted.
  out.push('<g class="grid" stroke-width="1">');
  for (let d = x0; d <= x1 * 1.0001; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > x1 * 1.0001) break;
      const x = fmt(sx(v));
      out.push(`<line x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + plotH}" stroke="${m === 1 ? '#cccccc' : '#eeeeee'}"/>`);
      if (m === 1 || plotW / Math.log10(x1 / x0) > 160) {
        out.push(`<text x="${x}" y="${margin.top + plotH + 18}" text-anchor="middle" fill="#333333" stroke="none">${paramsLabel(v)}</text>`);
      }
    }
  }
  for (let d = y0; d <= y1 * 1.0001; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > y1 * 1.0001) break;
      const y = fmt(sy(v));
      out.push(`<line x1="${margin.left}" y1="${y}" x2="${margin.left + plotW}" y2="${y}" stroke="${m === 1 ? '#cccccc' : '#eeeeee'}"/>`);
      if (m === 1 || plotH / Math.log10(y1 / y0) > 120) {
        out.push(`<text x="${margin.left - 8}" y="${fmt(sy(v) + 4)}" text-anchor="end" fill="#333333" stroke="none">${latencyLabel(v)}</text>`);
      }
    }
  }
  out.push('</g>');
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333333"/>`);
  out.push(
    `<text x="${margin.left + plotW / 2}" y="${height - 18}" text-anchor="middle" font-size="13">Parameters (log scale)</text>`,
    `<text transform="translate(20 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="13">` +
      `Latency per image (log scale)</text>`,
  );

  // Models: a dashed guide at each model's parameter count under its name.
  out.push('<g class="models">');
  for (const {name, px, row} of guides) {
    const ty = margin.top - 8 - row * 14;
    out.push(
      `<line x1="${fmt(px)}" y1="${fmt(ty + 3)}" x2="${fmt(px)}" y2="${margin.top + plotH}" stroke="#999999" stroke-dasharray="3,4"/>`,
      `<text x="${fmt(px)}" y="${fmt(ty)}" text-anchor="middle" font-size="11" fill="#222222">${escapeXml(name)}</text>`,
    );
  }
  out.push('</g>');

  // Latency labels: right of their point, moved down or up in steps where they would overlap a
  // label already placed (points of one model share an x, and models can be close).
  const labels: Array<{x: number; y: number; text: string; color: string; anchor: 'start' | 'end'}> = [];
  const placed: Array<{x0: number; x1: number; y0: number; y1: number}> = [];
  const candidates = series
    .flatMap((s) => s.points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.x) && Number.isFinite(p.y)).map((p) => ({p, s})))
    .sort((a, b) => sy(a.p.y) - sy(b.p.y));
  // Markers are obstacles too.
  for (const {p} of candidates) placed.push({x0: sx(p.x) - 6, x1: sx(p.x) + 6, y0: sy(p.y) - 6, y1: sy(p.y) + 6});
  for (const {p, s} of candidates) {
    const text = formatLatency(p.y);
    const w = text.length * 5.6;
    const px = sx(p.x);
    const py = sy(p.y) + 4;
    const box = (anchor: 'start' | 'end', y: number) => {
      const x0 = anchor === 'start' ? px + 8 : px - 8 - w;
      return {x0, x1: x0 + w, y0: y - 9, y1: y + 2};
    };
    const free = (b: {x0: number; x1: number; y0: number; y1: number}) =>
      !placed.some((o) => b.x0 < o.x1 && b.x1 > o.x0 && b.y0 < o.y1 && b.y1 > o.y0);
    const tries: Array<['start' | 'end', number]> = [];
    for (const dy of [0, 9, -9, 18, -18]) tries.push(['start', dy], ['end', dy]);
    let choice: ['start' | 'end', number] = ['start', 0];
    for (const t of tries) {
      if (free(box(t[0], py + t[1]))) {
        choice = t;
        break;
      }
    }
    const [anchor, dy] = choice;
    placed.push(box(anchor, py + dy));
    labels.push({x: anchor === 'start' ? px + 8 : px - 8, y: py + dy, text, color: s.color, anchor});
  }

  series.forEach((s, i) => {
    const pts = s.points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.x) && Number.isFinite(p.y));
    out.push(`<g class="series" data-series="${escapeXml(s.name)}">`);
    const joined = pts.filter((p) => p.joined).sort((a, b) => a.x - b.x);
    if (joined.length > 1) {
      const d = joined.map((p, j) => `${j === 0 ? 'M' : 'L'}${fmt(sx(p.x))},${fmt(sy(p.y))}`).join('');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.reference ? ' stroke-dasharray="6,4"' : ''}/>`);
    }
    for (const p of pts) {
      const x = sx(p.x);
      const y = sy(p.y);
      out.push(
        `<path class="point" data-series="${escapeXml(s.name)}" data-model="${escapeXml(p.model)}" d="${marker(i, x, y, 5)}" ` +
          `fill="${s.reference ? '#ffffff' : s.color}" stroke="${s.color}" stroke-width="1.5"/>`,
      );
    }
    out.push('</g>');
  });
  // A white halo keeps labels legible over grid and lines.
  out.push('<g class="labels" font-size="10" stroke="#ffffff" stroke-width="3" paint-order="stroke">');
  for (const l of labels) {
    out.push(`<text x="${fmt(l.x)}" y="${fmt(l.y)}" fill="${l.color}"${l.anchor === 'end' ? ' text-anchor="end"' : ''}>${escapeXml(l.text)}</text>`);
  }
  out.push('</g>');

  // Legend to the right of the plot.
  const lx = margin.left + plotW + 20;
  out.push('<g class="legend">');
  series.forEach((s, i) => {
    const y = margin.top + 10 + i * 24;
    out.push(
      `<line x1="${lx}" y1="${y}" x2="${lx + 28}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.reference ? ' stroke-dasharray="6,4"' : ''}/>`,
      `<path d="${marker(i, lx + 14, y, 5)}" fill="${s.reference ? '#ffffff' : s.color}" stroke="${s.color}" stroke-width="1.5"/>`,
      `<text x="${lx + 36}" y="${y + 4}">${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * Chart series of a Table 4 result: one per backend with measurements (but the native-cpu graph
 * replay, see COLORS), plus the paper's numbers.
 */
export function resultSeries(result: Table4Result): ChartSeries[] {
  const byKey = new Map(result.models.map((m) => [m.key, m]));
  const series: ChartSeries[] = [];
  for (const id of BACKEND_ORDER) {
    if (id === 'native-graph') continue;
    const points: ChartPoint[] = [];
    for (const c of result.cells) {
      const m = byKey.get(c.model);
      if (c.backend !== id || c.status !== 'ok' || c.medianMs == null || m == null) continue;
      points.push({x: m.params, y: c.medianMs / result.settings.batch, model: m.label, joined: m.family === 'efficientnet'});
    }
    if (points.length > 0) series.push({name: BACKEND_TITLES[id], color: COLORS[id], points});
  }
  const paper = result.models
    .filter((m) => m.paper != null)
    .map((m) => ({x: m.params, y: m.paper!.latencySeconds * 1000, model: m.label, joined: m.family === 'efficientnet'}));
  if (paper.length > 0) series.push({name: 'paper (Xeon E5-2690, 1 core)', color: COLORS.paper, points: paper, reference: true});
  return series;
}

/** The chart of a Table 4 result. */
export function renderResultChart(result: Table4Result): string {
  const s = result.settings;
  return renderChart(resultSeries(result), {
    title: 'EfficientNet Table 4: latency vs parameters',
    subtitle:
      `${result.machine.cpu}, ${s.threads} thread${s.threads === 1 ? '' : 's'}, batch ${s.batch}` +
      `${s.batch > 1 ? ' (per image)' : ''}, ${result.machine.date.slice(0, 10)}`,
  });
}
