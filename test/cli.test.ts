// The real `effnet` binary (dist/src/cli.js) in a child process: every command, --help, and the
// error paths (one line on stderr, no stack trace, non-zero exit code).
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {pathToFileURL} from 'node:url';

import sharp from 'sharp';
import {beforeAll, describe, expect, it} from 'vitest';

import {cudaStatus} from '../src/native_cuda.js';
import {CLI, ensureDist, ROOT} from './util/dist.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const IMAGE = path.join(FIXTURES, 'classify.jpg');
const IMAGE2 = path.join(FIXTURES, 'preprocess.png');
const EFF_WEIGHTS = path.join(FIXTURES, 'efficientnet_w025_d025.safetensors');
// The fixture's scaled-down EfficientNet at a small input size.
const TINY = ['--model', 'b0', '--width', '0.25', '--depth', '0.25', '--resolution', '64', '--num-classes', '10', '--weights', EFF_WEIGHTS];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'effnet-cli-'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function effnet(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {cwd: tmp, env: {...process.env, EFFNET_DEBUG: ''}});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({code, stdout, stderr}));
  });
}

/** A user mistake: exit code, exactly one line on stderr, no stack trace. */
function expectError(r: Run, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^effnet: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => ensureDist());

describe('effnet', () => {
  it('has a shebang and is the package bin', () => {
    expect(fs.readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(path.normalize(pkg.bin.effnet)).toBe(path.normalize('dist/src/cli.js'));
  });

  it('--help, --version, help for each command', async () => {
    const help = await effnet('--help');
    expect(help.code).toBe(0);
    for (const c of ['classify', 'cam', 'models', 'scale', 'info', 'bench']) expect(help.stdout).toContain(`  ${c}`);
    const version = await effnet('--version');
    expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    const runs = await Promise.all(['classify', 'cam', 'models', 'scale', 'info', 'bench'].map((c) => effnet(c, '--help')));
    runs.forEach((r, i) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: effnet ${['classify', 'cam', 'models', 'scale', 'info', 'bench'][i]}`));
    });
  });

  it('classify: text and JSON, several images (one batch, or batches of one: the same results)', async () => {
    const text = await effnet('classify', IMAGE, IMAGE2, ...TINY, '--top', '3', '--backend', 'native-cpu');
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(IMAGE);
    expect(text.stdout.match(/^\s+\d\.\s+[\d.]+%\s+class \d \(\d\)$/gm)).toHaveLength(6);
    const json = await effnet('classify', IMAGE, IMAGE2, ...TINY, '--top', '10', '--json', '--batch-size', '1');
    expect(json.code).toBe(0);
    const results = JSON.parse(json.stdout);
    expect(results.map((r: {image: string}) => r.image)).toEqual([IMAGE, IMAGE2]);
    for (const r of results) {
      expect(r.predictions).toHaveLength(10);
      const total = r.predictions.reduce((s: number, p: {probability: number}) => s + p.probability, 0);
      expect(total).toBeCloseTo(1, 5);
    }
    // The text output lists the JSON's top 3 of the first image.
    const top3 = results[0].predictions.slice(0, 3).map((p: {index: number}) => `(${p.index})`);
    const printed = text.stdout.split('\n').slice(1, 4).map((l) => l.trim().split(' ').pop());
    expect(printed).toEqual(top3);
  });

  it('classify with seeded random B0 weights prints ImageNet labels', async () => {
    const r = await effnet('classify', IMAGE, '--model', 'b0', '--weights', 'random', '--seed', '2', '--top', '2', '--json');
    expect(r.code).toBe(0);
    const [{predictions}] = JSON.parse(r.stdout);
    expect(predictions).toHaveLength(2);
    expect(typeof predictions[0].label).toBe('string');
    expect(predictions[0].label).not.toMatch(/^class /);
  });

  it('cam writes a PNG over the image', async () => {
    const out = path.join(tmp, 'cam.png');
    const r = await effnet('cam', IMAGE, ...TINY, '-o', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.output).toBe(out);
    expect(summary.size).toEqual([64, 64]);
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
    const cls = await effnet('cam', IMAGE, ...TINY, '-o', out, '--class', '3');
    expect(cls.code).toBe(0);
    expect(cls.stdout).toMatch(/wrote .*cam\.png \(64x64\): class 3 'class 3'/);
  });

  it('models lists the variants with resolution, parameters and multiply-adds', async () => {
    const r = await effnet('models');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/EfficientNet-B0\s+224x224\s+5\.29M \(5,288,548\)\s+0\.386B/);
    expect(r.stdout).toMatch(/EfficientNet-B7\s+600x600/);
    expect(r.stdout).toMatch(/ResNet-152\s+224x224\s+60\.19M/);
    const json = JSON.parse((await effnet('models', '--json')).stdout);
    expect(json.find((m: {model: string}) => m.model === 'EfficientNet-B1').params).toBe(7_794_184);
  });

  it('scale --phi N prints compound scaling', async () => {
    const r = await effnet('scale', '--phi', '2');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/depth\s+alpha\^phi = 1\.4400/);
    expect(r.stdout).toMatch(/width\s+beta\^phi\s+= 1\.2100/);
    expect(r.stdout).toMatch(/-> 296x296/);
    const json = JSON.parse((await effnet('scale', '--phi', '0', '--json')).stdout);
    expect(json.resolution).toBe(224);
    expect(json.params).toBe(5_288_548);
  });

  it('info: version, backend, ISA, threads, GPU', async () => {
    const r = await effnet('info');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^effnet-native \d+\.\d+\.\d+/);
    expect(r.stdout).toMatch(/backend:\s+native/);
    expect(r.stdout).toMatch(/ISA:\s+(avx512|avx2|portable) \(CPU supports (avx512|avx2|portable)\)/);
    expect(r.stdout).toMatch(/threads:\s+\d+/);
    expect(r.stdout).toMatch(/GPU:\s+CUDA: /);
    const json = JSON.parse((await effnet('info', '--json')).stdout);
    expect(json.threads).toBeGreaterThanOrEqual(1);
  });

  it('bench runs the Table 4 bench (or says it is not built)', async () => {
    const script = path.join(ROOT, 'dist', 'bench', 'table4.js');
    const r = await effnet('bench', '--', '--help');
    if (fs.existsSync(script)) {
      // Its own --help: the bench ran, with the options passed through.
      expect(r.stderr).not.toMatch(/effnet: error/);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Table 4/);
    } else {
      expectError(r, 1, /Table 4 bench is not built/);
    }
  });
});

describe('effnet errors', () => {
  it('file not found, not an image', async () => {
    expectError(await effnet('classify', 'missing.jpg', ...TINY), 1, /'missing\.jpg': file not found/);
    const text = path.join(tmp, 'notes.png');
    fs.writeFileSync(text, 'not an image at all');
    expectError(await effnet('classify', text, ...TINY), 1, /notes\.png' is not an image .*JPEG, PNG, WebP/);
    expectError(await effnet('cam', 'missing.jpg', ...TINY, '-o', path.join(tmp, 'x.png')), 1, /file not found/);
  });

  it('weights: missing flag, missing file, weights that do not match the model (names the tensors)', async () => {
    expectError(await effnet('classify', IMAGE), 2, /--weights FILE is required/);
    expectError(await effnet('classify', IMAGE, '--weights', 'nope.safetensors'), 1, /weights file 'nope\.safetensors' not found/);
    expectError(
      await effnet('classify', IMAGE, '--model', 'b0', '--weights', EFF_WEIGHTS), 1,
      /do not match the model.*missing \d+: blocks\/7\/expand\/conv\/kernel.*mis-shaped \d+: stem\/conv\/kernel/,
    );
    expectError(await effnet('classify', IMAGE, '--model', 'b0', '--weights', IMAGE), 1, /neither a safetensors file nor an HDF5/);
    expectError(
      await effnet('classify', IMAGE, '--model', 'b0', '--width', '0.25', '--depth', '0.25', '--weights', EFF_WEIGHTS), 1,
      /classifier\/kernel .* is \[320, 10\], the model needs \[320, 1000\].*pass --num-classes 10\)$/,
    );
  });

  it('usage errors: unknown command, option, model, backend; bad numbers; missing arguments', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['frobnicate'], 2, /unknown command 'frobnicate'/],
      [['classify', IMAGE, ...TINY, '--bogus'], 2, /Unknown option '--bogus'/],
      [['classify', IMAGE, '--model', 'b9', '--weights', 'random'], 2, /unknown --model 'b9'/],
      [['classify', IMAGE, ...TINY, '--backend', 'tpu'], 2, /--backend must be one of native, native-cpu/],
      [['classify', IMAGE, ...TINY, '--top', 'many'], 2, /--top must be an integer/],
      [['classify', ...TINY], 2, /no images given/],
      [['cam', IMAGE, ...TINY], 2, /-o out\.png is required/],
      [['cam', IMAGE, ...TINY, '-o', path.join(tmp, 'no', 'such', 'dir', 'x.png')], 1, /does not exist/],
      [['cam', IMAGE, ...TINY, '-o', path.join(tmp, 'c.png'), '--class', '10'], 1, /--class 10 is out of range: the model has 10 classes/],
      [['scale'], 2, /--phi N is required/],
      [['scale', '--phi', 'x'], 2, /--phi must be a number/],
    ];
    const runs = await Promise.all(cases.map(([args]) => effnet(...args)));
    runs.forEach((r, i) => expectError(r, cases[i][1], cases[i][2]));
  });

  it('without sharp: image commands say how to install it, the others still work', async () => {
    // A module hook that makes 'sharp' unresolvable, as on an install without optional dependencies.
    const hooks = path.join(tmp, 'no-sharp-hooks.mjs');
    fs.writeFileSync(hooks, `export async function resolve(specifier, context, next) {
  if (specifier === 'sharp') throw Object.assign(new Error("Cannot find package 'sharp'"), {code: 'ERR_MODULE_NOT_FOUND'});
  return next(specifier, context);
}
`);
    const register = path.join(tmp, 'no-sharp.mjs');
    fs.writeFileSync(register, `import {register} from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const run = (...args: string[]) =>
      new Promise<Run>((resolve) => {
        const child = spawn(process.execPath, ['--import', pathToFileURL(register).href, CLI, ...args], {cwd: tmp});
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({code, stdout, stderr}));
      });
    const [classify, models] = await Promise.all([run('classify', IMAGE, ...TINY), run('scale', '--phi', '1')]);
    expectError(classify, 1, /needs the 'sharp' package.*Install it with: npm install sharp/);
    expect(models.code).toBe(0);
    expect(models.stdout).toMatch(/258x258/);
  });

  it('--backend native-cuda: runs where CUDA is usable, otherwise says why not', async () => {
    const r = await effnet('classify', IMAGE, ...TINY, '--backend', 'native-cuda');
    if (cudaStatus().available) expect(r.code).toBe(0);
    else expectError(r, 1, /backend 'native-cuda' is not available: CUDA: (not built|not used: )/);
  });
});
