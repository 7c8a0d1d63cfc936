#!/usr/bin/env node
// effnet: classify images, class activation maps, model tables, compound scaling, environment
// information and the Table 4 benchmark from the command line. User mistakes end with one line on
// stderr and a non-zero exit code (1: the command failed, 2: bad usage); EFFNET_DEBUG=1 adds the
// stack trace.
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {parseArgs, type ParseArgsConfig} from 'node:util';

class UsageError extends Error {}

const COMMANDS: Record<string, {usage: string; summary: string; details: string}> = {
  classify: {
    usage: 'effnet classify <images...> --model b0 --weights FILE [--backend native] [--top 5] [--json]',
    summary: 'classify JPEG, PNG or WebP images (in batches)',
    details: `Options:
  --model NAME        b0..b7, resnet50, resnet101, resnet152 or amoebanet (default b0)
  --weights FILE      safetensors or Keras .h5 weights (torchvision, timm, Keras or canonical names);
                      'random' for seeded random weights (meaningless predictions, for testing)
  --seed N            seed of random weights (default 0)
  --backend NAME      native, native-cpu, native-cuda, cpu or wasm (default native)
  --top K             classes to print per image (default 5)
  --batch-size N      images per forward pass (default 8)
  --json              print JSON: [{image, predictions: [{index, label, probability, logit}]}]
  --preprocess MODE   torchvision or tf (default: from the weight family)
  --num-classes N     classifier outputs (default 1000; 1001 for amoebanet)
  --width W --depth D --resolution R   custom EfficientNet scaling (overrides --model's)`,
  },
  cam: {
    usage: 'effnet cam <image> --model b0 --weights FILE -o out.png [--class N]',
    summary: "write a class activation map over the image as a PNG (the paper's Figure 7)",
    details: `Options:
  -o, --output FILE   PNG to write (required)
  --class N           class index (default: the most probable class)
  --alpha A           opacity of the heat map, 0..1 (default 0.5)
  --json              print the result as JSON
  --model, --weights, --seed, --backend, --preprocess, --num-classes, --width, --depth, --resolution
                      as for classify`,
  },
  models: {
    usage: 'effnet models [--json]',
    summary: 'the model variants with resolution, parameters and multiply-adds',
    details: `Prints the paper's Table 2 models (EfficientNet-B0..B7, ResNet-152, AmoebaNet-B) with the
parameters and multiply-adds counted from this package's model definitions, beside the paper's.`,
  },
  scale: {
    usage: 'effnet scale --phi N [--alpha 1.2 --beta 1.1 --gamma 1.15] [--json]',
    summary: 'compound scaling: depth alpha^phi, width beta^phi, resolution gamma^phi',
    details: `Prints the multipliers, the resolution, and the scaled network's parameters and multiply-adds.`,
  },
  info: {
    usage: 'effnet info [--json]',
    summary: 'package version, backend, ISA level, threads, GPU',
    details: 'Loads the native addon and reports what it found.',
  },
  bench: {
    usage: 'effnet bench [bench options...]',
    summary: "the paper's Table 4 latency benchmark (npm run bench)",
    details: 'Runs dist/bench/table4.js; every option after `bench` is passed to it (try `effnet bench -- --help`).',
  },
};

function mainHelp(): string {
  const lines = ['Usage: effnet <command> [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)}${c.summary}`);
  lines.push('', "Run 'effnet <command> --help' for a command's options. 'effnet --version' prints the version.");
  return lines.join('\n');
}

function commandHelp(name: string): string {
  const c = COMMANDS[name];
  return `Usage: ${c.usage}\n\n${c.summary[0].toUpperCase()}${c.summary.slice(1)}.\n\n${c.details}`;
}

function packageVersion(): string {
  let dir = path.dirname(new URL(import.meta.url).pathname);
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (pkg.name === 'effnet-native') return pkg.version as string;
    }
    const up = path.dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

const MODEL_OPTIONS = {
  model: {type: 'string', default: 'b0'},
  weights: {type: 'string'},
  seed: {type: 'string'},
  backend: {type: 'string'},
  preprocess: {type: 'string'},
  'num-classes': {type: 'string'},
  width: {type: 'string'},
  depth: {type: 'string'},
  resolution: {type: 'string'},
  json: {type: 'boolean', default: false},
  help: {type: 'boolean', short: 'h', default: false},
} as const;

type Values = Record<string, string | boolean | undefined>;

function parse(
  command: string, args: string[], options: ParseArgsConfig['options'], allowPositionals: boolean,
): {values: Values; positionals: string[]} {
  try {
    const {values, positionals} = parseArgs({args, options, allowPositionals, strict: true});
    return {values: values as Values, positionals};
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see 'effnet ${command} --help')`);
  }
}

function number(values: Values, key: string, {integer = false, min = -Infinity} = {}): number | undefined {
  const raw = values[key];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    throw new UsageError(`--${key} must be ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}, got '${raw}'`);
  }
  return n;
}

/** One line: loadWeights' multi-line report joined. */
function oneLine(message: string): string {
  return message
    .replace(/set numClasses to (\d+)\)/, 'pass --num-classes $1)')
    .split('\n').map((l) => l.trim()).filter(Boolean).join('; ').replace(/:;/g, ':').replace(/; \(/g, ' (');
}

async function loadModel(command: string, values: Values) {
  const api = await import('./api.js');
  const weights = values.weights as string | undefined;
  if (weights === undefined) {
    throw new UsageError(`--weights FILE is required (a .safetensors or Keras .h5 file, or 'random' for seeded random weights); see 'effnet ${command} --help'`);
  }
  if (weights !== 'random' && !fs.existsSync(weights)) throw new Error(`weights file '${weights}' not found`);
  const backend = (values.backend as string | undefined) ?? 'native';
  if (!(api.MODEL_BACKENDS as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend must be one of ${api.MODEL_BACKENDS.join(', ')}, got '${backend}'`);
  }
  const preprocess = values.preprocess as string | undefined;
  if (preprocess !== undefined && preprocess !== 'torchvision' && preprocess !== 'tf') {
    throw new UsageError(`--preprocess must be torchvision or tf, got '${preprocess}'`);
  }
  const common = {
    weights,
    seed: number(values, 'seed', {integer: true}),
    backend: backend as import('./api.js').ModelBackend,
    preprocess: preprocess as 'torchvision' | 'tf' | undefined,
    numClasses: number(values, 'num-classes', {integer: true, min: 1}),
  };
  const model = String(values.model).trim().toLowerCase();
  const width = number(values, 'width', {min: Number.MIN_VALUE});
  const depth = number(values, 'depth', {min: Number.MIN_VALUE});
  const resolution = number(values, 'resolution', {integer: true, min: 1});
  const effnet = /^(?:efficientnet[-_]?)?(b[0-7])$/.exec(model);
  const resnet = /^resnet[-_]?(50|101|152)$/.exec(model);
  if (effnet) {
    const {EFFICIENTNET_VARIANTS} = await import('./models/scaling.js');
    const base = EFFICIENTNET_VARIANTS[effnet[1] as 'b0'];
    const variant = width === undefined && depth === undefined && resolution === undefined
      ? effnet[1]
      : {width: width ?? base.width, depth: depth ?? base.depth, resolution: resolution ?? base.resolution, dropout: base.dropout};
    return api.loadEfficientNet(variant, common);
  }
  if (width !== undefined || depth !== undefined) throw new UsageError('--width and --depth apply to EfficientNets only');
  if (resnet) return api.loadResNet(Number(resnet[1]) as 50, {...common, resolution});
  if (/^amoebanet(-?b)?$/.test(model)) return api.loadAmoebaNet({...common, resolution});
  throw new UsageError(`unknown --model '${values.model}'; supported: b0..b7, resnet50, resnet101, resnet152, amoebanet`);
}

function checkImages(images: string[]): void {
  for (const image of images) {
    if (!fs.existsSync(image)) throw new Error(`'${image}': file not found`);
    if (!fs.statSync(image).isFile()) throw new Error(`'${image}': not a file`);
  }
}

async function classify(args: string[]): Promise<void> {
  const {values, positionals} = parse('classify', args, {
    ...MODEL_OPTIONS, top: {type: 'string', default: '5'}, 'batch-size': {type: 'string', default: '8'},
  }, true);
  if (values.help) return void console.log(commandHelp('classify'));
  if (positionals.length === 0) throw new UsageError("no images given; usage: effnet classify <images...> --model b0 --weights FILE");
  const top = number(values, 'top', {integer: true, min: 1})!;
  const batchSize = number(values, 'batch-size', {integer: true, min: 1})!;
  checkImages(positionals);
  const model = await loadModel('classify', values);
  try {
    const results: Awaited<ReturnType<typeof model.classify>>[number][] = [];
    for (let i = 0; i < positionals.length; i += batchSize) {
      results.push(...(await model.classify(positionals.slice(i, i + batchSize), {topK: top})));
    }
    if (values.json) {
      console.log(JSON.stringify(positionals.map((image, i) => ({image, predictions: results[i]})), null, 2));
      return;
    }
    positionals.forEach((image, i) => {
      console.log(image);
      results[i].forEach((p, r) => console.log(`  ${String(r + 1).padStart(2)}. ${(p.probability * 100).toFixed(2).padStart(6)}%  ${p.label} (${p.index})`));
    });
  } finally {
    model.dispose();
  }
}

async function cam(args: string[]): Promise<void> {
  const {values, positionals} = parse('cam', args, {
    ...MODEL_OPTIONS,
    output: {type: 'string', short: 'o'},
    class: {type: 'string'},
    alpha: {type: 'string'},
  }, true);
  if (values.help) return void console.log(commandHelp('cam'));
  if (positionals.length !== 1) throw new UsageError(`expected one image, got ${positionals.length}; usage: ${COMMANDS.cam.usage}`);
  const output = values.output as string | undefined;
  if (!output) throw new UsageError(`-o out.png is required; usage: ${COMMANDS.cam.usage}`);
  if (!fs.existsSync(path.dirname(path.resolve(output)))) throw new Error(`cannot write '${output}': folder ${path.dirname(path.resolve(output))} does not exist`);
  const classIndex = number(values, 'class', {integer: true, min: 0});
  const alpha = number(values, 'alpha', {min: 0}) ?? 0.5;
  if (alpha > 1) throw new UsageError(`--alpha must be between 0 and 1, got ${alpha}`);
  checkImages(positionals);
  const model = await loadModel('cam', values);
  try {
    if (classIndex !== undefined && classIndex >= model.config.numClasses) {
      throw new Error(`--class ${classIndex} is out of range: the model has ${model.config.numClasses} classes (0..${model.config.numClasses - 1})`);
    }
    const result = await model.cam(positionals[0], classIndex);
    const {writeCamPng} = await import('./cam.js');
    await writeCamPng(output, result.image, result, alpha);
    const summary = {
      image: positionals[0], output, classIndex: result.classIndex, label: result.label, probability: result.probability,
      size: [result.width, result.height], featureMap: [result.rawWidth, result.rawHeight],
    };
    if (values.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(`wrote ${output} (${result.width}x${result.height}): class ${result.classIndex} '${result.label}', ` +
        `p=${result.probability.toFixed(4)}, from a ${result.rawWidth}x${result.rawHeight} feature map`);
    }
  } finally {
    model.dispose();
  }
}

async function models(args: string[]): Promise<void> {
  const {values} = parse('models', args, {json: {type: 'boolean', default: false}, help: {type: 'boolean', short: 'h', default: false}}, false);
  if (values.help) return void console.log(commandHelp('models'));
  const {table2Rows} = await import('./models/tables.js');
  const rows = table2Rows();
  if (values.json) return void console.log(JSON.stringify(rows, null, 2));
  const header = ['Model', 'Resolution', 'Params', 'Mult-adds', 'Paper params', 'Paper mult-adds'];
  const table = rows.map((r) => [
    r.model, `${r.resolution}x${r.resolution}`, `${(r.params / 1e6).toFixed(2)}M (${r.params.toLocaleString('en-US')})`,
    `${(r.multiplyAdds / 1e9).toFixed(3)}B`, r.printed.params, r.printed.multiplyAdds,
  ]);
  printTable(header, table);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

async function scale(args: string[]): Promise<void> {
  const {values} = parse('scale', args, {
    phi: {type: 'string'}, alpha: {type: 'string'}, beta: {type: 'string'}, gamma: {type: 'string'},
    json: {type: 'boolean', default: false}, help: {type: 'boolean', short: 'h', default: false},
  }, false);
  if (values.help) return void console.log(commandHelp('scale'));
  const phi = number(values, 'phi');
  if (phi === undefined) throw new UsageError(`--phi N is required; usage: ${COMMANDS.scale.usage}`);
  const {compoundScale, PAPER_COEFFICIENTS} = await import('./models/scaling.js');
  const {countMultiplyAdds, countParams} = await import('./models/count.js');
  const coefficients = {
    alpha: number(values, 'alpha', {min: Number.MIN_VALUE}) ?? PAPER_COEFFICIENTS.alpha,
    beta: number(values, 'beta', {min: Number.MIN_VALUE}) ?? PAPER_COEFFICIENTS.beta,
    gamma: number(values, 'gamma', {min: Number.MIN_VALUE}) ?? PAPER_COEFFICIENTS.gamma,
  };
  const s = compoundScale(phi, coefficients);
  const params = countParams(s.config);
  const multiplyAdds = countMultiplyAdds(s.config);
  if (values.json) {
    const {config: _config, ...rest} = s;
    return void console.log(JSON.stringify({...rest, coefficients, params, multiplyAdds}, null, 2));
  }
  console.log(`Compound scaling, phi = ${phi} (alpha ${coefficients.alpha}, beta ${coefficients.beta}, gamma ${coefficients.gamma})`);
  console.log(`  depth       alpha^phi = ${s.depth.toFixed(4)}`);
  console.log(`  width       beta^phi  = ${s.width.toFixed(4)}`);
  console.log(`  resolution  gamma^phi = ${s.resolutionMultiplier.toFixed(4)} -> ${s.resolution}x${s.resolution}`);
  console.log(`  FLOPS       (alpha * beta^2 * gamma^2)^phi = ${s.flopsMultiplier.toFixed(4)} x B0`);
  console.log(`  params      ${params.toLocaleString('en-US')} (${(params / 1e6).toFixed(2)}M)`);
  console.log(`  mult-adds   ${(multiplyAdds / 1e9).toFixed(3)}B`);
}

async function info(args: string[]): Promise<void> {
  const {values} = parse('info', args, {json: {type: 'boolean', default: false}, help: {type: 'boolean', short: 'h', default: false}}, false);
  if (values.help) return void console.log(commandHelp('info'));
  const tf = await import('@tensorflow/tfjs-core');
  const index = await import('./index.js');
  const {gpuSummary} = await import('./classify/backends.js');
  const native = index.nativeInfo();
  await tf.ready();
  const cuda = gpuSummary();
  let sharp = 'not installed (npm install sharp)';
  try {
    const s = (await import('sharp')).default;
    sharp = `${s.versions.sharp} (libvips ${s.versions.vips})`;
  } catch {
    // optional
  }
  const report = {
    version: packageVersion(), node: process.version, backend: tf.getBackend(), isa: native.isa, detectedIsa: native.detectedIsa,
    threads: native.threads, gpu: cuda, sharp,
  };
  if (values.json) return void console.log(JSON.stringify(report, null, 2));
  console.log(`effnet-native ${report.version} (node ${report.node})`);
  console.log(`backend:  ${report.backend}`);
  console.log(`ISA:      ${report.isa} (CPU supports ${report.detectedIsa})`);
  console.log(`threads:  ${report.threads}`);
  console.log(`GPU:      ${report.gpu}`);
  console.log(`sharp:    ${report.sharp}`);
}

async function bench(args: string[]): Promise<void> {
  if (args[0] === '--help' || args[0] === '-h') return void console.log(commandHelp('bench'));
  const passed = args[0] === '--' ? args.slice(1) : args;
  const {packageRoot} = await import('./native.js');
  const script = path.join(packageRoot(), 'dist', 'bench', 'table4.js');
  if (!fs.existsSync(script)) {
    throw new Error(`the Table 4 bench is not built (${script} is missing); build it with: npm run build:ts`);
  }
  const child = spawn(process.execPath, [script, ...passed], {stdio: 'inherit'});
  const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  process.exitCode = code;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    if (command === 'help' && rest[0] && COMMANDS[rest[0]]) return void console.log(commandHelp(rest[0]));
    console.log(mainHelp());
    return;
  }
  if (command === '--version' || command === '-v') return void console.log(packageVersion());
  switch (command) {
    case 'classify':
      return classify(rest);
    case 'cam':
      return cam(rest);
    case 'models':
      return models(rest);
    case 'scale':
      return scale(rest);
    case 'info':
      return info(rest);
    case 'bench':
      return bench(rest);
    default:
      throw new UsageError(`unknown command '${command}'; commands: ${Object.keys(COMMANDS).join(', ')} (see 'effnet --help')`);
  }
}

main(process.argv.slice(2)).catch((e: Error) => {
  process.stderr.write(`effnet: error: ${oneLine(e?.message ?? String(e))}\n`);
  if (process.env.EFFNET_DEBUG) process.stderr.write(`${e?.stack}\n`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
});
