// The Table 4 benchmark's pieces: argument parsing, model keys, markdown/JSON formatting, the SVG
// chart on fixed data, and one tiny run through every tfjs backend (no timing asserts).
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import {afterAll, describe, expect, it} from 'vitest';

import {escapeXml, logDomain, renderChart, resultSeries} from '../bench/chart.js';
import {floorCounts, floorMs, parseFloorOptions, SWISH_SLOTS} from '../bench/floor.js';
import {formatTargets, parseTargetsOptions, summarizeTargets, TABLE4_TARGETS} from '../bench/targets.js';
import {machineInfo} from '../bench/machine.js';
import {countMultiplyAdds, layerSummary} from '../src/models/count.js';
import {efficientNetBlocks, efficientNetConfig, roundFilters} from '../src/models/scaling.js';
import {onnxFile, ORT_INSTALL_HINT} from '../bench/peers/ort.js';
import {bar, formatDuration, Progress} from '../bench/progress.js';
import {formatBytes, formatJson, formatLatency, formatMarkdown, nativeLatency, type Table4Result} from '../bench/report.js';
import {
  DEFAULT_MODELS,
  HELP,
  modelSetup,
  pairsFor,
  parseModelKey,
  parseOptions,
  peerRunsModel,
  QUICK_MODELS,
  runTable4,
  summarize,
  writeResults,
} from '../bench/table4.js';

const scratch = mkdtempSync(join(tmpdir(), 'effnet-bench-'));
afterAll(() => rmSync(scratch, {recursive: true, force: true}));

/**
 * A small XML well-formedness check: every tag closes in order, attribute values are quoted,
 * text and attributes hold no raw '<' or bare '&'. Returns the element names in document order.
 */
function checkXml(text: string): string[] {
  const body = text.replace(/^<\?xml[^>]*\?>\s*/, '');
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  const stack: string[] = [];
  const names: string[] = [];
  let end = 0;
  let roots = 0;
  for (let m = token.exec(body); m != null; m = token.exec(body)) {
    end = token.lastIndex;
    const [, closing, name, attrs, selfClosing, textPart] = m;
    const content = textPart ?? attrs ?? '';
    if (/&(?!(?:lt|gt|amp|apos|quot|#\d+|#x[0-9a-fA-F]+);)/.test(content)) throw new Error(`bare & in ${JSON.stringify(content)}`);
    if (textPart != null) {
      if (stack.length === 0 && textPart.trim() !== '') throw new Error(`text outside the root: ${textPart}`);
      continue;
    }
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
      continue;
    }
    if (stack.length === 0) roots++;
    names.push(name);
    if (!selfClosing) stack.push(name);
  }
  if (end !== body.length) throw new Error(`unparseable at ${end}: ${body.slice(end, end + 40)}`);
  if (stack.length !== 0) throw new Error(`unclosed: ${stack.join(', ')}`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
  return names;
}

function fixedResult(): Table4Result {
  const models = ['resnet152', 'b1', 'amoebanet', 'b7', 'b0'].map((k) => modelSetup(k).info);
  return {
    title: 'EfficientNet Table 4 on this machine',
    machine: {...machineInfo(), date: '2026-11-28T12:00:00.000Z'},
    command: 'npm run bench -- --fixed',
    settings: {batch: 1, threads: 1, isa: 'avx512', fusedKernel: false, noFusion: false, timeMs: 2000, minIterations: 3, rounds: 3, peerModels: ['b0', 'b1'], graph: false},
    backends: [
      {id: 'native', detail: 'native-cpu'},
      {id: 'native-unfused', detail: 'composite'},
      {id: 'wasm', detail: 'wasm & SIMD'},
      {id: 'cpu', detail: 'cpu'},
    ],
    models,
    cells: [
      {model: 'resnet152', backend: 'native', status: 'ok', medianMs: 500, iterations: 3},
      {model: 'b1', backend: 'native', status: 'n/a', reason: 'no fused MBConv kernel registered on native-cpu'},
      {model: 'b1', backend: 'native-unfused', status: 'ok', medianMs: 100, iterations: 20},
      {model: 'b1', backend: 'wasm', status: 'ok', medianMs: 250, iterations: 8},
      {model: 'b1', backend: 'cpu', status: 'ok', medianMs: 3000, iterations: 3},
      {model: 'resnet152', backend: 'cpu', status: 'skipped', reason: 'slow peer <b0, b1 only>'},
      {model: 'amoebanet', backend: 'native', status: 'error', reason: 'out of memory'},
      {model: 'b7', backend: 'native-unfused', status: 'ok', medianMs: 2500, iterations: 3},
      {model: 'b0', backend: 'native', status: 'ok', medianMs: 40, iterations: 50},
      {model: 'b0', backend: 'native-unfused', status: 'ok', medianMs: 50, iterations: 40},
      {model: 'b0', backend: 'wasm', status: 'ok', medianMs: 150, iterations: 13},
    ],
    pairs: pairsFor(models),
    notes: ['a note'],
  };
}

describe('options', () => {
  it('has the documented defaults', () => {
    const o = parseOptions([]);
    expect(o.models).toEqual(DEFAULT_MODELS);
    expect(o).toMatchObject({threads: 1, batch: 1, iterations: 3, timeMs: 2000, rounds: 3, quick: false, noFusion: false, graph: true, peers: ['cpu', 'wasm']});
    expect(o.peerModels).toEqual(['b0', 'b1']);
    expect(o.out.endsWith(join('bench', 'results'))).toBe(true);
    expect(o.resolution).toBeUndefined();
  });

  it('parses every option', () => {
    const o = parseOptions([
      '--models', 'B0@96,resnet152,amoebanet-6-64@224', '--resolution', '128', '--threads', '2', '--batch', '4',
      '--iterations', '7', '--time', '0', '--warmup', '10', '--rounds', '2', '--peers', 'wasm,ort', '--peer-models', 'all',
      '--onnx', '/tmp/onnx', '--no-fusion', '--no-graph', '--seed', '3', '--out', '/tmp/x', '--no-save',
    ]);
    expect(o).toMatchObject({
      models: ['b0@96', 'resnet152', 'amoebanet-6-64@224'],
      resolution: 128,
      threads: 2,
      batch: 4,
      iterations: 7,
      timeMs: 0,
      warmupMs: 10,
      rounds: 2,
      peers: ['wasm', 'ort'],
      peerModels: ['all'],
      onnx: '/tmp/onnx',
      noFusion: true,
      graph: false,
      seed: 3,
      out: '/tmp/x',
      noSave: true,
    });
    expect(parseOptions(['--peers', 'none']).peers).toEqual([]);
    expect(parseOptions(['--onnx', 'dir']).peers).toEqual(['cpu', 'wasm', 'ort']);
  });

  it('--quick picks small models and short timing', () => {
    const o = parseOptions(['--quick']);
    expect(o.models).toEqual(QUICK_MODELS);
    expect(o.iterations).toBeLessThanOrEqual(2);
    expect(o.timeMs).toBeLessThanOrEqual(200);
    expect(parseOptions(['--quick', '--models', 'b0']).models).toEqual(['b0']);
  });

  it('rejects bad input with a clear message', () => {
    expect(() => parseOptions(['--models', 'b9'])).toThrow(/unknown model 'b9'; supported: b0\.\.b7/);
    expect(() => parseOptions(['--models', 'b0@4'])).toThrow(/resolution must be an integer >= 8/);
    expect(() => parseOptions(['--threads', '0'])).toThrow(/--threads: expected an integer >= 1/);
    expect(() => parseOptions(['--peers', 'tfjs-node'])).toThrow(/unknown peer 'tfjs-node'; supported: cpu, wasm, ort/);
    expect(() => parseOptions(['--peers', 'ort'])).toThrow(/--onnx DIR/);
    expect(() => parseOptions(['--bogus'])).toThrow();
    expect(parseOptions(['--help']).help).toBe(true);
    for (const flag of ['--models', '--resolution', '--threads', '--batch', '--iterations', '--time', '--peers', '--onnx', '--quick', '--out', '--no-fusion', '--no-graph']) {
      expect(HELP).toContain(flag);
    }
  });
});

describe('models', () => {
  it('parses model keys', () => {
    expect(parseModelKey('efficientnet-b3')).toMatchObject({family: 'efficientnet', variant: 'b3', base: 'b3'});
    expect(parseModelKey('resnet50@160')).toMatchObject({family: 'resnet', depth: 50, resolution: 160});
    expect(parseModelKey('amoebanet')).toMatchObject({family: 'amoebanet', cells: 18, filters: 512, base: 'amoebanet'});
    expect(parseModelKey('amoebanet-6-64@224')).toMatchObject({cells: 6, filters: 64, resolution: 224, base: 'amoebanet-6-64'});
  });

  it("attaches the paper's numbers only to the paper's models and inputs", () => {
    const gpipe = modelSetup('amoebanet');
    expect(gpipe.info).toMatchObject({resolution: 480, paper: {latencySeconds: 19.0}});
    expect(gpipe.info.params).toBeGreaterThan(550e6);
    expect(gpipe.torchvision).toBeNull();
    expect(modelSetup('b1').info).toMatchObject({label: 'EfficientNet-B1', resolution: 240, params: 7794184, paper: {latencySeconds: 0.098}});
    expect(modelSetup('b1').torchvision).toBe('efficientnet_b1');
    expect(modelSetup('b1@96').info.paper).toBeUndefined();
    expect(modelSetup('resnet152', 192).info.paper).toBeUndefined();
    expect(modelSetup('b0').info.paper).toBeUndefined();
  });

  it('pairs a ResNet with B1 and an AmoebaNet with B7', () => {
    const infos = ['b0', 'b1', 'resnet50', 'amoebanet-6-64@224'].map((k) => modelSetup(k).info);
    expect(pairsFor(infos)).toEqual([{baseline: 'resnet50', efficientnet: 'b1', paperSpeedup: 5.7}]);
    const full = ['resnet152', 'b1', 'amoebanet', 'b7'].map((k) => modelSetup(k).info);
    expect(pairsFor(full).map((p) => [p.baseline, p.efficientnet])).toEqual([['resnet152', 'b1'], ['amoebanet', 'b7']]);
  });

  it('selects the models each tfjs peer runs', () => {
    const pm = parseOptions(['--peer-models', 'b0,b1,wasm:resnet152,wasm:b7@300']).peerModels;
    expect(peerRunsModel(pm, 'cpu', 'b1')).toBe(true);
    expect(peerRunsModel(pm, 'wasm', 'b0@96')).toBe(true);
    expect(peerRunsModel(pm, 'wasm', 'resnet152')).toBe(true);
    expect(peerRunsModel(pm, 'cpu', 'resnet152')).toBe(false);
    expect(peerRunsModel(pm, 'wasm', 'b7@300')).toBe(true);
    expect(peerRunsModel(pm, 'wasm', 'b7')).toBe(false);
    expect(peerRunsModel(['cpu:all'], 'cpu', 'amoebanet')).toBe(true);
    expect(peerRunsModel(['cpu:all'], 'wasm', 'b0')).toBe(false);
    expect(() => parseOptions(['--peer-models', 'ort:b0'])).toThrow(/only the tfjs peers/);
    expect(() => parseOptions(['--peer-models', 'b9'])).toThrow(/unknown model 'b9'/);
  });

  it('finds ONNX files or says why not', () => {
    expect(onnxFile(scratch, null, 480, 1)).toEqual({reason: expect.stringMatching(/torchvision has no such model/)});
    expect(onnxFile(scratch, 'efficientnet_b1', 240, 1)).toEqual({reason: expect.stringMatching(/no efficientnet_b1\.onnx in/)});
    expect(ORT_INSTALL_HINT).toContain('ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node');
  });
});

describe('formatting', () => {
  it('summarizes pooled samples', () => {
    expect(summarize([5, 1, 3])).toEqual({medianMs: 3, meanMs: 3, minMs: 1, maxMs: 5, iterations: 3});
    expect(summarize([4, 1, 3, 2]).medianMs).toBe(2.5);
    expect(() => summarize([])).toThrow(/no samples/);
  });

  it('formats latencies, durations and bars', () => {
    expect(formatLatency(0.1234)).toBe('0.123 ms');
    expect(formatLatency(12.345)).toBe('12.3 ms');
    expect(formatLatency(554)).toBe('554.0 ms');
    expect(formatLatency(3100)).toBe('3.100 s');
    expect(formatLatency(19000)).toBe('19.00 s');
    expect(formatLatency(239_450)).toBe('239 s');
    expect(formatLatency(undefined)).toBe('-');
    expect(formatDuration(65_000)).toBe('1 min 05 s');
    expect(bar(0.5, 10)).toBe('#####-----');
  });

  it('writes the Table 4 markdown with our speedups beside the paper', () => {
    const r = fixedResult();
    expect(nativeLatency(r, 'b1')).toBe(100);
    const md = formatMarkdown(r);
    const row = (label: string) => md.split('\n').find((l) => l.startsWith(`| ${label} |`))!;
    // Table 4: ResNet-152 500 ms vs B1 100 ms.
    expect(md).toContain('| ResNet-152 | 224 | 60.2M | 11.5B | 500.0 ms |  | 77.8% | 554.0 ms |  |');
    expect(md).toContain('| EfficientNet-B1 | 240 | 7.79M | 0.69B | 100.0 ms | 5.00x | 78.8% | 98.0 ms | 5.7x |');
    expect(md).toContain('| EfficientNet-B7 | 600 | 66.3M | 37.7B | 2.500 s | - | 84.4% | 3.100 s | 6.1x |');
    expect(md).toContain('| AmoebaNet-B (GPipe) | 480 |');
    // All-backends table: n/a for the missing fused kernel, ratios against native.
    const lines = md.split('\n');
    const allStart = lines.findIndex((l) => l.startsWith('## All models'));
    const b1 = lines.slice(allStart).find((l) => l.startsWith('| EfficientNet-B1 |'))!;
    expect(b1).toBe('| EfficientNet-B1 | 240 | 7.79M | 0.69B | n/a | 100.0 ms | 250.0 ms | 3.000 s | 2.50x | 30.0x | - |');
    // B0 has both native paths: the fused one counts as native, and the unfused/fused ratio is shown.
    const b0 = lines.slice(allStart).find((l) => l.startsWith('| EfficientNet-B0 |'))!;
    expect(b0).toBe('| EfficientNet-B0 | 224 | 5.29M | 0.39B | 40.0 ms | 50.0 ms | 150.0 ms | - | 3.75x | - | 1.25x |');
    expect(row('Model')).toBeDefined();
    expect(md).toContain('- tfjs cpu skipped: slow peer <b0, b1 only> (ResNet-152)');
    expect(md).toContain('- native-cpu error: out of memory (AmoebaNet-B (GPipe))');
    expect(md).toContain('Command: `npm run bench -- --fixed`');
    expect(md).toContain('fused MBConv kernel not registered');
    expect(md).toContain('(and each Table 4 pair) timed in 3 interleaved rounds');
    expect(md).toContain('graph replay off (--no-graph)');
    expect(md).not.toContain('graph |');
  });

  it('adds the graph column, eager / graph and the peers / graph, and keeps Table 4 and the peer ratios on eager native-cpu', () => {
    const r = fixedResult();
    r.settings.graph = true;
    r.backends.splice(1, 0, {id: 'native-graph', detail: 'captured predict'});
    r.backends.push({id: 'ort', detail: 'onnxruntime-node'});
    r.cells.push(
      {model: 'resnet152', backend: 'native-graph', status: 'ok', medianMs: 400, iterations: 3, graph: {nodes: 500, poolBytes: 90 * 2 ** 20}},
      {model: 'resnet152', backend: 'ort', status: 'ok', medianMs: 450, iterations: 3},
      {model: 'b1', backend: 'native-graph', status: 'n/a', reason: 'no fused MBConv kernel registered on native-cpu'},
      {model: 'amoebanet', backend: 'native-graph', status: 'error', reason: 'capture failed'},
      {model: 'b0', backend: 'native-graph', status: 'ok', medianMs: 32, iterations: 60, graph: {nodes: 20, poolBytes: 3 * 2 ** 19}},
      {model: 'b0', backend: 'ort', status: 'ok', medianMs: 48, iterations: 40},
    );
    const md = formatMarkdown(r);
    const lines = md.split('\n');
    const allStart = lines.findIndex((l) => l.startsWith('## All models'));
    const row = (label: string) => lines.slice(allStart).find((l) => l.startsWith(`| ${label} |`))!;
    expect(row('Model')).toBe(
      '| Model | Input | Params | Mult-adds | native-cpu | native-cpu graph | native-cpu unfused | tfjs wasm | tfjs cpu | onnxruntime | ' +
        'tfjs wasm / native | tfjs cpu / native | onnxruntime / native | eager / graph | tfjs wasm / graph | ORT / graph | unfused / fused |',
    );
    // Peer ratios against eager (40 ms); eager / graph 40 / 32; tfjs wasm / graph 150 / 32; ORT / graph 48 / 32.
    // No tfjs cpu / graph column: no model has both cells.
    expect(row('EfficientNet-B0')).toBe(
      '| EfficientNet-B0 | 224 | 5.29M | 0.39B | 40.0 ms | 32.0 ms | 50.0 ms | 150.0 ms | - | 48.0 ms | 3.75x | - | 1.20x | 1.25x | 4.69x | 1.50x | 1.25x |',
    );
    expect(row('ResNet-152')).toBe(
      '| ResNet-152 | 224 | 60.2M | 11.5B | 500.0 ms | 400.0 ms | - | - | skipped | 450.0 ms | - | - | 0.90x | 1.25x | - | 1.13x | - |',
    );
    expect(row('EfficientNet-B1')).toBe(
      '| EfficientNet-B1 | 240 | 7.79M | 0.69B | n/a | n/a | 100.0 ms | 250.0 ms | 3.000 s | - | 2.50x | 30.0x | - | - | - | - | - |',
    );
    expect(row('AmoebaNet-B (GPipe)')).toContain('| error | error | - |');
    // Table 4 stays on eager native-cpu: ResNet-152 500 ms, not the graph's 400 ms.
    expect(md).toContain('| ResNet-152 | 224 | 60.2M | 11.5B | 500.0 ms |  | 77.8% | 554.0 ms |  |');
    expect(md).toContain('- native-cpu graph error: capture failed (AmoebaNet-B (GPipe))');
    expect(md).toContain('- native-cpu graph: captured predict');
    expect(md).toContain('each peer / graph against native-cpu\'s graph replay; eager / graph above 1 means the graph replay is faster');
    expect(md).toContain('graph replay timed (native-cpu graph column)');
    expect(md).toContain('ResNet-152 500 calls, 90.0 MiB; EfficientNet-B0 20 calls, 1.50 MiB.');
    // Without onnxruntime cells there is no ORT / graph column.
    r.cells = r.cells.filter((c) => c.backend !== 'ort');
    const noOrt = formatMarkdown(r);
    expect(noOrt).toContain('| eager / graph | tfjs wasm / graph | unfused / fused |');
    expect(noOrt).not.toContain('ORT / graph');
  });

  it('formats byte counts', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(30 * 2 ** 20)).toBe('30.0 MiB');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.50 GiB');
  });

  it('writes JSON that reads back', () => {
    const r = fixedResult();
    const back = JSON.parse(formatJson(r)) as Table4Result;
    expect(back.cells).toHaveLength(r.cells.length);
    expect(back.models.map((m) => m.key)).toEqual(['resnet152', 'b1', 'amoebanet', 'b7', 'b0']);
    expect(back.settings.threads).toBe(1);
    expect(back.settings.graph).toBe(false);
  });
});

describe('chart', () => {
  it('renders valid SVG with one marker per point', () => {
    const svg = renderChart(
      [
        {name: 'a & b', color: '#ff0000', points: [{x: 5e6, y: 10, model: 'B0', joined: true}, {x: 8e6, y: 20, model: 'B1', joined: true}, {x: 6e7, y: 300, model: 'R<152>'}]},
        {name: 'paper', color: '#000000', reference: true, points: [{x: 8e6, y: 98, model: 'B1', joined: true}, {x: 5.57e8, y: 19000, model: 'GPipe'}]},
      ],
      {title: 'Latency "vs" parameters', subtitle: "it's fixed"},
    );
    const names = checkXml(svg);
    expect(names[0]).toBe('svg');
    expect(svg.match(/class="point"/g)).toHaveLength(5);
    expect(svg).toContain('a &amp; b');
    expect(svg).toContain('R&lt;152&gt;');
    expect(escapeXml(`<&'">`)).toBe('&lt;&amp;&apos;&quot;&gt;');
    expect(logDomain(5e6, 5.57e8)).toEqual([1e6, 1e9]);
  });

  it('plots one series per measured backend plus the paper', () => {
    const r = fixedResult();
    const series = resultSeries(r);
    expect(series.map((s) => s.name)).toEqual(['native-cpu', 'native-cpu unfused', 'tfjs wasm', 'tfjs cpu', 'paper (Xeon E5-2690, 1 core)']);
    expect(series.map((s) => s.points.length)).toEqual([2, 3, 2, 1, 4]);
    const svg = renderChart(series, {title: 't'});
    checkXml(svg);
    expect(svg.match(/class="point"/g)).toHaveLength(12);
    // The graph replay is left out of the chart (its points sit on native-cpu's).
    r.cells.push({model: 'b0', backend: 'native-graph', status: 'ok', medianMs: 38, iterations: 50});
    expect(resultSeries(r).map((s) => s.name)).not.toContain('native-cpu graph');
  });
});

describe('progress', () => {
  it('draws a line per step and iteration counts', () => {
    let t = 0;
    let written = '';
    const stream = {write: (s: string) => ((written += s), true)} as unknown as NodeJS.WritableStream;
    const p = new Progress(2, {stream, interactive: true, now: () => t});
    p.begin('B7 on native');
    p.setPhase('timing', 3);
    t += 1500;
    p.tick();
    expect(p.line()).toContain('1/2 B7 on native  timing 1/3  1.5 s');
    p.end('1.2 s median of 3');
    expect(written).toContain('[1/2] B7 on native: 1.2 s median of 3 (1.5 s)\n');
  });

  it('prints finished steps, and long steps every 30 s, when not on a terminal', () => {
    let t = 0;
    const lines: string[] = [];
    const stream = {write: (s: string) => (lines.push(s), true)} as unknown as NodeJS.WritableStream;
    const p = new Progress(1, {stream, interactive: false, now: () => t});
    p.begin('AmoebaNet on native');
    p.setPhase('timing', 3);
    t = 10_000;
    p.tick();
    expect(lines).toEqual([]);
    t = 31_000;
    p.tick();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ {2}\.\.\. .*AmoebaNet on native {2}timing 2\/3 {2}31\.0 s/);
    p.end('ok');
    expect(lines[1]).toBe('[1/1] AmoebaNet on native: ok (31.0 s)\n');
  });
});

describe('a tiny run', () => {
  it('measures B0 at 32x32 on native-cpu and both tfjs peers and writes the files', async () => {
    await import('../src/index.js');
    const options = parseOptions([
      '--models', 'b0@32', '--peers', 'cpu,wasm', '--iterations', '2', '--rounds', '2', '--time', '0', '--warmup', '0', '--out', scratch,
    ]);
    const result = await runTable4(options, {silent: true});
    const ok = result.cells.filter((c) => c.status === 'ok');
    expect(ok.map((c) => c.backend).sort()).toEqual(
      [...(result.settings.fusedKernel ? ['native', 'native-graph'] : []), 'native-unfused', 'cpu', 'wasm'].sort(),
    );
    const graph = ok.find((c) => c.backend === 'native-graph');
    if (graph) expect(graph.graph).toEqual({nodes: expect.any(Number), poolBytes: expect.any(Number)});
    if (graph) expect(graph.graph!.nodes).toBeGreaterThan(0);
    for (const c of ok) {
      expect(c.medianMs).toBeGreaterThan(0);
      expect(c.iterations).toBe(2);  // one per round
    }
    expect(result.backends.find((b) => b.id === 'wasm')?.detail).toMatch(/simd\.wasm from node_modules, SIMD, one thread/);
    const files = writeResults(result, scratch, 'tiny');
    for (const f of files) expect(existsSync(f)).toBe(true);
    const svg = readFileSync(join(scratch, 'tiny.svg'), 'utf8');
    checkXml(svg);
    expect(svg.match(/class="point"/g)).toHaveLength(ok.filter((c) => c.backend !== 'native-graph').length);
    expect(JSON.parse(readFileSync(join(scratch, 'tiny.json'), 'utf8')).models[0].key).toBe('b0@32');
    expect(readFileSync(join(scratch, 'tiny.md'), 'utf8')).toContain('| EfficientNet-B0 | 32 |');
    if (graph) expect(readFileSync(join(scratch, 'tiny.md'), 'utf8')).toContain('| eager / graph |');
  });

  it('records a failed capture as an error in its cell only, frees the captured graphs, and --no-graph leaves the column out', async () => {
    const {captureGraph} = await import('../src/index.js');
    // Two small AmoebaNets (their native cells need no fused kernel); the capture fails at 32x32.
    const captured: Array<{disposed: boolean}> = [];
    const capture = (forward: (x: tf.Tensor) => tf.Tensor, shape: readonly number[]) => {
      if (shape[1] === 32) throw new Error('capture failed: stub\nsecond line');
      const g = captureGraph(forward, shape);
      captured.push(g);
      return g;
    };
    const args = ['--models', 'amoebanet-1-8@32,amoebanet-1-8@40', '--peers', 'none', '--iterations', '1', '--rounds', '1', '--time', '0', '--warmup', '0'];
    const before = tf.memory().numTensors;
    const result = await runTable4(parseOptions(args), {silent: true, capture});
    expect(tf.memory().numTensors).toBe(before);
    const cell = (model: string, backend: string) => result.cells.find((c) => c.model === model && c.backend === backend);
    expect(cell('amoebanet-1-8@32', 'native-graph')).toMatchObject({status: 'error', reason: 'capture failed: stub'});
    expect(cell('amoebanet-1-8@32', 'native')?.status).toBe('ok');
    expect(cell('amoebanet-1-8@40', 'native')?.status).toBe('ok');
    expect(cell('amoebanet-1-8@40', 'native-graph')).toMatchObject({status: 'ok', iterations: 1, graph: {nodes: expect.any(Number)}});
    expect(captured).toHaveLength(1);
    expect(captured[0].disposed).toBe(true);
    expect(result.settings.graph).toBe(true);
    expect(formatMarkdown(result)).toContain('- native-cpu graph error: capture failed: stub (AmoebaNet-B (1, 8))');

    const off = await runTable4(parseOptions([...args, '--models', 'amoebanet-1-8@40', '--no-graph']), {silent: true, capture});
    expect(off.settings.graph).toBe(false);
    expect(off.cells.map((c) => c.backend)).toEqual(['native']);
    expect(off.backends.map((b) => b.id)).toEqual(['native']);
    expect(captured).toHaveLength(1);
    expect(formatMarkdown(off)).not.toContain('graph |');
  });
});

describe('floor', () => {
  it('counts multiply-adds and swish outputs of the model definitions', () => {
    const config = efficientNetConfig('b0');
    const c = floorCounts(layerSummary(config));
    expect(c.multiplyAdds).toBe(countMultiplyAdds(config));
    // Swish outputs from the block list: stem, each expand, depthwise and SE-reduce conv, head.
    let h = config.resolution / 2;
    let swish = h * h * roundFilters(32, config.width);
    let depthwise = 0;
    for (const b of efficientNetBlocks(config)) {
      const ho = Math.ceil(h / b.stride);
      if (b.expandRatio !== 1) swish += h * h * b.expandedChannels;
      swish += ho * ho * b.expandedChannels + b.seChannels;
      depthwise += ho * ho * b.expandedChannels * b.kernelSize ** 2;
      h = ho;
    }
    swish += h * h * roundFilters(1280, config.width);
    expect(c.swishOutputs).toBe(swish);
    expect(c.depthwiseMultiplyAdds).toBe(depthwise);
    const resnet = floorCounts(layerSummary(modelSetup('resnet152').config));
    expect(resnet.swishOutputs).toBe(0);
    expect(resnet.depthwiseMultiplyAdds).toBe(0);
  });

  it('parses its options and rejects bad ones', () => {
    expect(parseFloorOptions([])).toEqual({models: 'b0,b1,b7,resnet152', isa: undefined, results: undefined, help: false});
    expect(parseFloorOptions(['--models', 'b0', '--isa', 'avx2', '--results', 'r.json'])).toMatchObject({models: 'b0', isa: 'avx2', results: 'r.json'});
    expect(() => parseFloorOptions(['--isa', 'portable'])).toThrow(/--isa: 'portable'; supported: avx512, avx2/);
    expect(() => parseFloorOptions(['--bogus'])).toThrow(/Unknown option '--bogus'/);
  });

  it('prices multiply-adds at the peak and swish at its vector slots', () => {
    const c = {multiplyAdds: 1e9, depthwiseMultiplyAdds: 0, swishOutputs: 16e6};
    // 2 GFLOP at 100 GFLOP/s = 20 ms; 1M vectors * SWISH_SLOTS slots * 32 FLOP per slot.
    expect(floorMs(c, 100, 16)).toBeCloseTo(20 + (1e6 * SWISH_SLOTS * 32) / 1e8, 9);
    expect(floorMs({...c, swishOutputs: 0}, 50, 8)).toBeCloseTo(40, 9);
  });
});

describe('targets over runs', () => {
  const cell = (model: string, backend: string, medianMs: number, status = 'ok') => ({model, backend, status, medianMs});
  // Three runs: B1 eager 10, graph 9 ms against onnxruntime 13.5 / 12 / 14 ms and tfjs-wasm 76 / 70 / 90 ms.
  const runs = [
    {cells: [cell('b1', 'native', 10), cell('b1', 'native-graph', 9), cell('b1', 'ort', 13.5), cell('b1', 'wasm', 76)]},
    {cells: [cell('b1', 'native', 10), cell('b1', 'native-graph', 9), cell('b1', 'ort', 12), cell('b1', 'wasm', 70)]},
    {cells: [cell('b1', 'native', 10), cell('b1', 'native-graph', 9), cell('b1', 'ort', 14), cell('b1', 'wasm', 90),
      cell('b1', 'native-unfused', 12.5), cell('b7', 'native', 400), cell('b7', 'ort', 500, 'failed')]},
  ];
  const byLabel = (label: RegExp) => summarizeTargets(runs).find((s) => label.test(s.target.label))!;

  it('counts the runs that meet each target, op by op and as a graph', () => {
    const ort = byLabel(/B1 at most 0.75x onnxruntime/);
    // eager 10/13.5 = 0.741, 10/12 = 0.833, 10/14 = 0.714; graph 0.667, 0.75 (meets: at most), 0.643
    expect(ort.series.get('native')!.met).toBe(2);
    expect(ort.series.get('native-graph')!.met).toBe(3);
    expect(ort.series.get('native')!.values).toEqual([10 / 13.5, 10 / 12, 10 / 14]);
    const wasm = byLabel(/B1 at least 8x faster than tfjs-wasm/);
    // shown as speedups: eager 7.6, 7.0, 9.0; graph 8.44, 7.78, 10
    expect(wasm.series.get('native')!.values).toEqual([7.6, 7, 9]);
    expect(wasm.series.get('native')!.met).toBe(1);
    expect(wasm.series.get('native-graph')!.met).toBe(2);
  });

  it('leaves out runs that did not measure both sides, failed cells included', () => {
    expect(byLabel(/B7 at most/).series.get('native')!.values).toEqual([]);
    const fusion = byLabel(/B1 fused at most 0.8x unfused/);
    expect([...fusion.series.keys()]).toEqual(['native']);
    expect(fusion.series.get('native')).toEqual({values: [0.8], met: 1});
  });

  it('prints a row per target and backend with range, median and runs met', () => {
    const md = formatTargets(summarizeTargets(runs), runs.length);
    expect(md).toContain('Targets over 3 Table 4 runs');
    expect(md).toContain('| EfficientNet-B1 at most 0.75x onnxruntime-node | eager | 3 | 0.714x - 0.833x | 0.741x | 2 of 3 |');
    expect(md).toContain('| EfficientNet-B1 at least 8x faster than tfjs-wasm | graph | 3 | 7.78x - 10.00x | 8.44x | 2 of 3 |');
    expect(md).toContain('| EfficientNet-B7 at most 0.75x onnxruntime-node | eager | 0 | - | - | - |');
    expect(md.split('\n').filter((l) => l.startsWith('| Eff') || l.startsWith('| Res'))).toHaveLength(
      TABLE4_TARGETS.reduce((n, t) => n + t.ours.length, 0));
  });

  it('needs result files', () => {
    expect(parseTargetsOptions(['a.json', 'b.json'])).toEqual({files: ['a.json', 'b.json'], help: false});
    expect(parseTargetsOptions(['--help']).help).toBe(true);
    expect(() => parseTargetsOptions([])).toThrow(/no result files given/);
    expect(() => parseTargetsOptions(['--bogus', 'a.json'])).toThrow(/Unknown option '--bogus'/);
  });
});
