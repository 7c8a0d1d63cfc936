// The npm package, end to end: `npm run prebuild` fills the package layout and stages the package
// (package.json without scripts), `npm pack ./build-package/effnet-native` makes the tarball, and the
// tarball installs into an empty project with --ignore-scripts (no install script, nothing compiled,
// nothing downloaded for the addon). Node then runs there with a PATH that holds only `node`: no
// cc/gcc/g++/c++/clang/cmake/make/nvcc. It must import and require the package, register native-cpu
// as the default backend, classify a committed image with a seeded B0 through the public
// classification API exactly as the source tree does, and run the CLI.
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {delimiter, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {loadEfficientNet} from '../src/index.js';
import {cpuAddonCandidates} from '../src/native.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const image = join(repo, 'test', 'fixtures', 'preprocess.png');
const haveCli = existsSync(join(repo, 'src', 'cli.ts'));
const HIDDEN_TOOLS = ['cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'cmake', 'make', 'nvcc'];
// Libraries the prebuilt CPU addon may link dynamically (libstdc++ and libgcc are static).
const ALLOWED_NEEDED = ['libc.so.6', 'libm.so.6', 'libpthread.so.0', 'ld-linux-x86-64.so.2', 'libdl.so.2', 'librt.so.1'];
const MAX_TARBALL_BYTES = 4 * 1024 * 1024;

interface PackedFile {
  path: string;
  size: number;
}

const work = mkdtempSync(join(tmpdir(), 'effnet-package-'));
const project = join(work, 'project');
const bareBin = join(work, 'bin');
let packed: {filename: string; size: number; unpackedSize: number; files: PackedFile[]};
let tarball: string;
const installed = join(project, 'node_modules', 'effnet-native');

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, {cwd, env, encoding: 'utf8', maxBuffer: 1 << 26});
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

let scripts = 0;
/** Writes a script into the project (worker threads inherit node's flags, so no -e/--input-type). */
function script(code: string, ext: 'mjs' | 'cjs'): string {
  const file = join(project, `check${scripts++}.${ext}`);
  writeFileSync(file, code);
  return file;
}

/** Runs node (or a file next to it) in the project with only `node` on PATH. */
function runBare(args: string[], file = join(bareBin, 'node')) {
  return spawnSync(file, args, {
    cwd: project,
    encoding: 'utf8',
    env: {PATH: bareBin, HOME: work, LANG: 'C'},
    maxBuffer: 1 << 26,
    timeout: 60_000,
  });
}

beforeAll(() => {
  // 1. The package layout, from the addon the other tests load (EFFNET_NATIVE_BINARY or the local
  // build); the TypeScript is recompiled only when older than its sources (after npm ci it is fresh).
  const binary = cpuAddonCandidates().find((p) => existsSync(p));
  const prebuildArgs = binary ? ['--binary', binary] : [];
  sh(process.execPath, [join(repo, 'scripts', 'prebuild.mjs'), ...prebuildArgs], repo);

  // 2. The tarball of the staged package (package.json without scripts), without running any script.
  const json = sh('npm', ['pack', join(repo, 'build-package', 'effnet-native'), '--ignore-scripts', '--json', '--pack-destination', work], repo);
  packed = JSON.parse(json.slice(json.indexOf('[')))[0];
  tarball = join(work, packed.filename);
  console.log(
    `effnet-native tarball: ${(packed.size / 1048576).toFixed(2)} MiB packed, ` +
      `${(packed.unpackedSize / 1048576).toFixed(2)} MiB unpacked, ${packed.files.length} files`,
  );

  // 3. An empty project; the tarball and the peer, no scripts.
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({name: 'consumer', version: '1.0.0', private: true}));
  sh('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', tarball, '@tensorflow/tfjs-core@4.22.0'], project);

  // 4. A PATH with node and nothing else.
  mkdirSync(bareBin);
  symlinkSync(process.execPath, join(bareBin, 'node'));
}, 600_000);

afterAll(() => rmSync(work, {recursive: true, force: true}));

describe('tarball', () => {
  it('holds the compiled TypeScript (ESM and CommonJS), the prebuilt addon and nothing else', () => {
    const paths = packed.files.map((f) => f.path);
    for (const required of [
      'package.json', 'README.md',
      'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/native.js',
      'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json',
      'prebuilds/linux-x64/effnet_native.node', 'prebuilds/linux-x64/manifest.json',
      ...(haveCli ? ['dist/src/cli.js'] : []),
    ]) {
      expect(paths, required).toContain(required);
    }
    const unexpected = paths.filter((p) =>
      /(^|\/)(test|tests|fixtures|node_modules|build|build-[^/]*|bench|cpp|binding|cuda|scripts)\//.test(p) ||
      /\.(cc|cpp|h|hpp|cu|cuh|inc|o|a|map|tgz|safetensors|h5|png|py)$/.test(p) ||
      (p.endsWith('.ts') && !p.endsWith('.d.ts')) ||
      /(^|\/)(CMakeLists\.txt|binding\.gyp|package-lock\.json|tsconfig[^/]*\.json|vitest\.config\.ts)$/.test(p),
    );
    expect(unexpected).toEqual([]);
    expect(paths.every((p) => /^(dist\/(src|cjs)\/|prebuilds\/linux-x64\/|package\.json$|README\.md$)/.test(p))).toBe(true);
  });

  it(`is small (< ${MAX_TARBALL_BYTES / 1048576} MiB packed)`, () => {
    expect(packed.size).toBeGreaterThan(100_000);
    expect(packed.size).toBeLessThan(MAX_TARBALL_BYTES);
  });

  it('installs without compiling or downloading anything: no scripts (npm 11 counts prepare too), no binding.gyp', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.scripts).toBeUndefined();
    expect(manifest.devDependencies).toBeUndefined();
    const repoManifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    expect({...manifest, scripts: repoManifest.scripts, devDependencies: repoManifest.devDependencies}).toEqual(repoManifest);
    expect(manifest.gypfile).toBeUndefined();
    expect(existsSync(join(installed, 'binding.gyp'))).toBe(false);
    expect(existsSync(join(installed, 'build'))).toBe(false);
    expect(manifest.peerDependencies['@tensorflow/tfjs-core']).toBeDefined();
    expect(manifest.dependencies?.['@tensorflow/tfjs-core']).toBeUndefined();
  });

  it.skipIf(spawnSync('objdump', ['--version']).status !== 0)('the prebuilt addon links only the C library (glibc version printed)', () => {
    const addon = join(installed, 'prebuilds', 'linux-x64', 'effnet_native.node');
    const headers = execFileSync('objdump', ['-p', addon]).toString();
    expect(headers).toMatch(/file format elf64-x86-64/);
    const needed = [...headers.matchAll(/^\s*NEEDED\s+(\S+)/gm)].map((m) => m[1]);
    expect(needed.filter((lib) => !ALLOWED_NEEDED.includes(lib))).toEqual([]);
    const versions = [...execFileSync('objdump', ['-T', addon]).toString().matchAll(/GLIBC_([0-9.]+)/g)].map((m) => m[1]);
    const glibc = versions.sort((a, b) => a.localeCompare(b, undefined, {numeric: true})).at(-1);
    const manifest = JSON.parse(readFileSync(join(installed, 'prebuilds', 'linux-x64', 'manifest.json'), 'utf8'));
    expect(manifest.addons['effnet_native.node'].glibc).toBe(glibc);
    console.log(`prebuilt addon: ${statSync(addon).size} bytes, needs ${needed.join(' ')}, glibc >= ${glibc}`);
    // The CUDA addon, where one was built, links the CUDA runtime statically: the driver is opened at run time.
    const cuda = join(installed, 'prebuilds', 'linux-x64', 'effnet_native_cuda.node');
    if (existsSync(cuda)) {
      const cudaNeeded = [...execFileSync('objdump', ['-p', cuda]).toString().matchAll(/^\s*NEEDED\s+(\S+)/gm)].map((m) => m[1]);
      expect(cudaNeeded.filter((lib) => !ALLOWED_NEEDED.includes(lib))).toEqual([]);
      console.log(`prebuilt CUDA addon: ${statSync(cuda).size} bytes, needs ${cudaNeeded.join(' ')}`);
    }
  });
});

describe('installed package, no compilers on PATH', () => {
  it('PATH holds no compiler or build tool', () => {
    const r = runBare(['-e', `
      const {existsSync} = require('node:fs');
      const dirs = process.env.PATH.split(${JSON.stringify(delimiter)});
      console.log(JSON.stringify(${JSON.stringify(HIDDEN_TOOLS)}.filter((t) => dirs.some((d) => existsSync(d + '/' + t)))));
    `]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  // The public classification API: a seeded random B0 (224 x 224) classifies the committed image
  // (decoded by the optional sharp, predicted in the package's worker thread) and a seeded random
  // input (on the calling thread).
  const classifyScript = (loader: string) => `
    ${loader}
    const clf = await en.loadEfficientNet('b0', {weights: 'random', seed: 7});
    const predictions = await clf.classify(${JSON.stringify(image)}, {topK: 5});
    const random = Array.from(clf.predictSync(tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 11)).dataSync());
    console.log(JSON.stringify({
      backend: tf.getBackend(),
      isNativeCpu: tf.backend() instanceof en.NativeCpuBackend,
      registered: Object.keys(tf.engine().registryFactory),
      info: en.nativeInfo(),
      predictions, random,
    }));
    clf.dispose();
  `;

  interface Prediction {
    index: number;
    label: string;
    probability: number;
  }
  let esm: {
    backend: string; isNativeCpu: boolean; registered: string[]; info: {isa: string}; predictions: Prediction[];
    random: number[];
  };

  it('import: registers native-cpu, makes it the default backend, classifies the image with a seeded B0', () => {
    const code = classifyScript(`
      import * as tf from '@tensorflow/tfjs-core';
      import * as en from 'effnet-native';
      await tf.ready();`);
    const r = runBare([script(code, 'mjs')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    esm = JSON.parse(r.stdout);
    expect(esm.registered).toEqual(expect.arrayContaining(['native-cpu', 'native']));
    // `native` is the best native backend on this machine: the CPU one unless a CUDA addon and a GPU are there.
    expect(esm.backend).toBe('native');
    if (!esm.registered.includes('native-cuda')) expect(esm.isNativeCpu).toBe(true);
    expect(['portable', 'avx2', 'avx512']).toContain(esm.info.isa);
    expect(esm.predictions).toHaveLength(5);
    for (const p of esm.predictions) {
      expect(Number.isInteger(p.index) && p.index >= 0 && p.index < 1000).toBe(true);
      expect(p.label).toMatch(/\S/);
      expect(p.probability).toBeGreaterThan(0);
    }
    expect(esm.random).toHaveLength(1000);
    expect(esm.random.every(Number.isFinite)).toBe(true);
  });

  it('classifies exactly as the source tree does (same seeded weights and inputs)', async () => {
    const clf = await loadEfficientNet('b0', {weights: 'random', seed: 7});
    try {
      const [expected] = clf.classifySync(await clf.preprocess(image), {topK: 5});
      expect(esm.predictions.map((p) => [p.index, p.label])).toEqual(expected.map((p) => [p.index, p.label]));
      esm.predictions.forEach((p, i) => expect(p.probability).toBeCloseTo(expected[i].probability, 5));
      const x = tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 11);
      const logits = clf.predictSync(x);
      const want = Array.from(logits.dataSync());
      tf.dispose([x, logits]);
      const scale = Math.max(...want.map(Math.abs));
      const worst = Math.max(...want.map((v, i) => Math.abs(v - esm.random[i])));
      expect(worst).toBeLessThanOrEqual(1e-4 * scale);
    } finally {
      clf.dispose();
    }
  });

  it('require: the CommonJS entry works, on the same tfjs-core instance, alone or next to the ES module', () => {
    const r = runBare([script(`
      const tf = require('@tensorflow/tfjs-core');
      const en = require('effnet-native');
      (async () => {
        const clf = await en.loadEfficientNet('b0', {weights: 'random', seed: 7});
        const predictions = await clf.classify(${JSON.stringify(image)}, {topK: 5});
        const random = Array.from(clf.predictSync(tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 11)).dataSync());
        clf.dispose();
        const esm = await import('effnet-native');
        const tfEsm = await import('@tensorflow/tfjs-core');
        console.log(JSON.stringify({
          backend: tf.getBackend(),
          isNativeCpu: tf.backend() instanceof en.NativeCpuBackend,
          oneEngine: tfEsm.engine() === tf.engine(),
          esmExports: Object.keys(esm).sort(), cjsExports: Object.keys(en).sort(),
          predictions, random,
        }));
      })().catch((e) => { console.error(e); process.exit(1); });
    `, 'cjs')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.backend).toBe('native');
    expect(out.isNativeCpu).toBe(esm.isNativeCpu);
    expect(out.oneEngine).toBe(true);
    expect(out.cjsExports).toEqual(out.esmExports.filter((k: string) => k !== 'default' && k !== 'module.exports'));
    expect(out.predictions).toEqual(esm.predictions);
    expect(out.random).toEqual(esm.random);
  });

  it('the shipped binary runs its portable path (what a CPU without AVX2 gets) with the same results', () => {
    const r = spawnSync(join(bareBin, 'node'), [script(`
      const tf = require('@tensorflow/tfjs-core');
      const en = require('effnet-native');
      (async () => {
        const clf = await en.loadEfficientNet('b0', {weights: 'random', seed: 7});
        const random = Array.from(clf.predictSync(tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 11)).dataSync());
        clf.dispose();
        console.log(JSON.stringify({info: en.nativeInfo(), random}));
      })().catch((e) => { console.error(e); process.exit(1); });
    `, 'cjs')], {cwd: project, encoding: 'utf8', env: {PATH: bareBin, EFFNET_ISA: 'portable'}, timeout: 60_000});
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.info.isa).toBe('portable');
    const scale = Math.max(...esm.random.map(Math.abs));
    const worst = Math.max(...esm.random.map((v, i) => Math.abs(v - out.random[i])));
    expect(worst).toBeLessThanOrEqual(1e-3 * scale);
  });

  it('a failed load explains itself (EFFNET_NATIVE_BINARY naming a missing file)', () => {
    const r = spawnSync(join(bareBin, 'node'), [script(`
      import * as en from 'effnet-native';
      try { en.nativeInfo(); } catch (e) { console.log(e.message); }
    `, 'mjs')], {cwd: project, encoding: 'utf8', env: {PATH: bareBin, EFFNET_NATIVE_BINARY: join(work, 'nowhere.node')}});
    expect(r.stdout).toContain('could not load the native CPU addon');
    expect(r.stdout).toContain(`${join(work, 'nowhere.node')} (set by environment): file not found`);
    expect(r.stdout).toContain('Possible solutions:');
  });

  it.skipIf(!haveCli)('runs the CLI: effnet --help and effnet info', () => {
    const bin = join(project, 'node_modules', '.bin', 'effnet');
    expect(existsSync(bin)).toBe(true);
    const help = runBare(['--help'], bin);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout + help.stderr).toMatch(/effnet/);
    const info = runBare(['info'], bin);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/native/);
  });
});
