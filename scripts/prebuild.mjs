#!/usr/bin/env node
// npm run prebuild: puts everything the npm package ships into the package layout, so that
// `npm pack` makes a tarball that installs with no compiler, no install script and no download.
//
//   prebuilds/linux-x64/effnet_native.node        the CPU addon (stripped; runs on any x86-64 CPU)
//   prebuilds/linux-x64/effnet_native_cuda.node   the CUDA addon, when one was built
//   prebuilds/linux-x64/manifest.json             sizes, linked libraries, minimum glibc
//   dist/src/                                     the ES module build (tsc), entry dist/src/index.js
//   dist/cjs/                                     the CommonJS build of the same sources
//   build-package/effnet-native/                  the package to pack and publish: the files above,
//                                                 README.md, and package.json without its scripts
//
// npm pack ./build-package/effnet-native    makes the tarball; npm publish ./build-package/effnet-native
// publishes it. The repository's package.json keeps `prepare` (a clone's npm install builds from
// source), and npm 11 reports any package whose package.json has preinstall/install/postinstall/
// prepare as one with install scripts: the staged package.json has no scripts and no devDependencies.
//
// Options:
//   --binary <file>     use this built CPU addon instead of building one
//   --build-dir <dir>   cmake-js build folder (default: build); built when older than its sources
//   --no-native         leave prebuilds/ alone        --no-ts   leave dist/ alone
//   --force             rebuild the TypeScript outputs even when they look fresh
//   --refuse-publish    (prepublishOnly) stop `npm publish` in the repository root, which would publish
//                       the development package.json
//
// npm also runs this script before `npm run build` (npm's pre-script hook), so the repository's own
// `npm install` (prepare -> build) leaves a complete package layout behind.
import {execFileSync, spawnSync} from 'node:child_process';
import {
  chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync,
  writeFileSync,
} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const ADDONS = {cpu: 'effnet_native.node', cuda: 'effnet_native_cuda.node'};
// Libraries a prebuilt addon may link dynamically. libstdc++ and libgcc are linked statically
// (CMakeLists.txt), so the binary needs nothing beyond the C library.
const ALLOWED_NEEDED = {
  cpu: ['libc.so.6', 'libm.so.6', 'libpthread.so.0', 'ld-linux-x86-64.so.2', 'libdl.so.2', 'librt.so.1'],
  cuda: ['libc.so.6', 'libm.so.6', 'libpthread.so.0', 'ld-linux-x86-64.so.2', 'libdl.so.2', 'librt.so.1', 'libcuda.so.1'],
};

function parseArgs(argv) {
  const opts = {binary: undefined, buildDir: 'build', native: true, ts: true, force: false};
  if (argv.includes('--refuse-publish')) {
    throw new Error('prebuild: publish the staged package instead: npm run prebuild && npm publish ./build-package/effnet-native ' +
      '(the repository package.json has scripts that would run as install scripts)');
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--binary') opts.binary = resolve(argv[++i]);
    else if (a === '--build-dir') opts.buildDir = argv[++i];
    else if (a === '--no-native') opts.native = false;
    else if (a === '--no-ts') opts.ts = false;
    else if (a === '--force') opts.force = true;
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 20).join('\n'));
      process.exit(0);
    } else throw new Error(`prebuild: unknown option ${a}`);
  }
  return opts;
}

const log = (msg) => console.error(`prebuild: ${msg}`);

function walk(dir, keep) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path, keep));
    else if (keep(path)) out.push(path);
  }
  return out;
}

const mtime = (path) => statSync(path).mtimeMs;

function newestSource(paths) {
  let newest = 0;
  let which = '';
  for (const p of paths) {
    const t = mtime(p);
    if (t > newest) [newest, which] = [t, p];
  }
  return {time: newest, path: which};
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, {cwd: root, stdio: ['ignore', 'inherit', 'inherit']});
  if (r.error) throw new Error(`prebuild: ${what} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`prebuild: ${what} failed (exit code ${r.status})`);
}

// ---------------------------------------------------------------------------------------------
// Native addons.

function nativeSources() {
  return [
    join(root, 'CMakeLists.txt'),
    ...walk(join(root, 'cpp'), () => true),
    ...walk(join(root, 'binding'), () => true),
    ...walk(join(root, 'cuda'), () => true),
    ...walk(join(root, 'binding_cuda'), () => true),
  ];
}

/** Dynamic libraries, ELF format and minimum glibc of a shared object (objdump from binutils). */
function inspectBinary(path) {
  if (spawnSync('objdump', ['--version'], {stdio: 'ignore'}).status !== 0) {
    log('warning: objdump (binutils) not found; linked libraries and the glibc requirement are not checked');
    return {format: 'elf64-x86-64', needed: [], glibc: null, glibcSymbols: [], bytes: statSync(path).size, unchecked: true};
  }
  const headers = execFileSync('objdump', ['-p', path], {maxBuffer: 1 << 26}).toString();
  const format = /file format (\S+)/.exec(headers)?.[1] ?? 'unknown';
  const needed = [...headers.matchAll(/^\s*NEEDED\s+(\S+)/gm)].map((m) => m[1]);
  const dynsyms = execFileSync('objdump', ['-T', path], {maxBuffer: 1 << 26}).toString();
  const versions = [...new Set([...dynsyms.matchAll(/\(?GLIBC_([0-9.]+)\)?/g)].map((m) => m[1]))];
  versions.sort((a, b) => {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
    return 0;
  });
  const glibc = versions.at(-1) ?? null;
  const glibcSymbols = glibc
    ? [...dynsyms.matchAll(new RegExp(`\\(GLIBC_${glibc.replace(/\./g, '\\.')}\\)\\s+(\\S+)`, 'g'))].map((m) => m[1])
    : [];
  return {format, needed, glibc, glibcSymbols, bytes: statSync(path).size};
}

function installAddon(kind, from, outDir) {
  const dest = join(outDir, ADDONS[kind]);
  const tmp = `${dest}.tmp`;
  copyFileSync(from, tmp);
  chmodSync(tmp, 0o755);
  // Debug symbols are a third of the file; the dynamic symbol table stays.
  const strip = spawnSync('strip', ['--strip-unneeded', tmp], {stdio: ['ignore', 'ignore', 'pipe']});
  if (strip.error || strip.status !== 0) log(`strip unavailable or failed; ${ADDONS[kind]} keeps its symbols`);
  const info = inspectBinary(tmp);
  if (info.format !== 'elf64-x86-64') {
    rmSync(tmp);
    throw new Error(`prebuild: ${from} is ${info.format}, expected elf64-x86-64`);
  }
  const extra = info.needed.filter((lib) => !ALLOWED_NEEDED[kind].includes(lib));
  if (extra.length) {
    rmSync(tmp);
    throw new Error(
      `prebuild: ${from} links ${extra.join(', ')} dynamically; a prebuilt addon may need only ` +
        `${ALLOWED_NEEDED[kind].join(', ')} (link libstdc++/libgcc statically, see CMakeLists.txt)`,
    );
  }
  renameSync(tmp, dest);
  return info;
}

function buildNative(opts) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`prebuild: prebuilt binaries are made on linux-x64; this is ${process.platform}-${process.arch}`);
  }
  const sources = nativeSources();
  const newest = newestSource(sources);
  let cpu = opts.binary;
  const buildDir = resolve(root, opts.buildDir);
  if (!cpu) {
    cpu = join(buildDir, 'Release', ADDONS.cpu);
    if (!existsSync(cpu) || mtime(cpu) < newest.time) {
      log(`building the CPU addon in ${relative(root, buildDir) || '.'} (cmake-js compile)`);
      run(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--out', buildDir], 'cmake-js compile');
    } else {
      log(`${relative(root, cpu)} is newer than its sources; not rebuilding`);
    }
  } else if (!existsSync(cpu)) {
    throw new Error(`prebuild: --binary ${cpu}: file not found`);
  } else if (mtime(cpu) < newest.time) {
    log(`warning: ${cpu} is older than ${relative(root, newest.path)}`);
  }

  const outDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(outDir, {recursive: true});
  const manifest = {platform: process.platform, arch: process.arch, libc: 'glibc', glibc: null, addons: {}};
  const addons = {cpu};
  const cuda = opts.binary ? join(dirname(opts.binary), ADDONS.cuda) : join(buildDir, 'Release', ADDONS.cuda);
  if (existsSync(cuda)) addons.cuda = cuda;
  else rmSync(join(outDir, ADDONS.cuda), {force: true});
  for (const [kind, from] of Object.entries(addons)) {
    const info = installAddon(kind, from, outDir);
    manifest.addons[ADDONS[kind]] = {bytes: info.bytes, needed: info.needed, glibc: info.glibc, glibcSymbols: info.glibcSymbols};
    if (info.glibc && (!manifest.glibc || info.glibc.localeCompare(manifest.glibc, undefined, {numeric: true}) > 0)) {
      manifest.glibc = info.glibc;
    }
    log(`${relative(root, join(outDir, ADDONS[kind]))}: ${(info.bytes / 1048576).toFixed(2)} MiB, needs ` +
      `${info.needed.join(' ')}, glibc >= ${info.glibc} (${info.glibcSymbols.join(' ')})`);
  }
  if (!addons.cuda) log('CUDA addon not built; the package ships the CPU addon only');
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}

// ---------------------------------------------------------------------------------------------
// TypeScript: the ES module build (dist/src) and the CommonJS build (dist/cjs).

/**
 * Modules that are loaded by path rather than imported: the library, worker scripts and, for the ES
 * module build (the `bin`), the CLI.
 */
function entries(kind) {
  const list = ['src/index.ts', ...walk(join(root, 'src', 'worker'), (p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))
    .map((p) => relative(root, p))];
  if (kind === 'esm' && existsSync(join(root, 'src', 'cli.ts'))) list.push('src/cli.ts');
  return list.filter((p) => existsSync(join(root, p)));
}

/** An output folder is stale when an entry's output is missing or any source is newer than its output. */
function stale(kind, outDir, srcToOut) {
  const sources = walk(join(root, 'src'), (p) => p.endsWith('.ts') && !p.endsWith('.d.ts'));
  for (const entry of entries(kind)) if (!existsSync(join(outDir, srcToOut(join(root, entry))))) return true;
  for (const src of sources) {
    const out = join(outDir, srcToOut(src));
    if (existsSync(out) && mtime(out) < mtime(src)) return true;
  }
  return false;
}

// tsc errors that mean the CommonJS output would not run (import.meta, require() of an ES module,
// top-level await, a module not found); other type errors in the CommonJS pass come from types
// that differ between a dependency's import and require entries, and the ES module build, which
// is type-checked in full, is the reference.
const FATAL_CJS_ERRORS = new Set(['TS1470', 'TS1343', 'TS1479', 'TS1378', 'TS1309', 'TS2307', 'TS1432']);

function tsc(project, what, {fatal} = {}) {
  const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', project, '--pretty', 'false'], {
    cwd: root, encoding: 'utf8', maxBuffer: 1 << 26,
  });
  if (r.error) throw new Error(`prebuild: ${what} could not start: ${r.error.message}`);
  if (r.status === 0) return;
  const errors = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l));
  const blocking = fatal ? errors.filter((l) => fatal.has(/error (TS\d+)/.exec(l)[1])) : errors;
  if (blocking.length || !errors.length) {
    throw new Error(`prebuild: ${what} failed:\n${r.stdout}${r.stderr}`);
  }
  log(`${what}: ${errors.length} type error(s) that only the CommonJS pass reports (output written):\n  ` +
    errors.join('\n  '));
}

function buildEsm(opts, work) {
  const out = join(root, 'dist');
  if (!opts.force && !stale('esm', out, (src) => relative(root, src).replace(/\.ts$/, '.js'))) {
    log('dist/src is newer than its sources; not recompiling');
    return;
  }
  const config = join(work, 'tsconfig.esm.json');
  writeFileSync(config, JSON.stringify({
    extends: relative(work, join(root, 'tsconfig.json')),
    compilerOptions: {rootDir: relative(work, root), outDir: relative(work, out), sourceMap: false},
    include: [relative(work, join(root, 'src', '**', '*.ts'))],
  }, null, 2));
  withDistLock(() => {
    log('compiling src/ to dist/src (ES modules)');
    tsc(config, 'tsc (ES modules)');
  });
}

/**
 * Runs fn holding dist/.build-lock, the lock folder under which tests that run the compiled CLI
 * rebuild dist/ (test/util/dist.ts), so that no one reads or writes half-written files.
 */
function withDistLock(fn) {
  const dist = join(root, 'dist');
  const lock = join(dist, '.build-lock');
  mkdirSync(dist, {recursive: true});
  const deadline = Date.now() + 240_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, {recursive: true, force: true});
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) throw new Error(`prebuild: ${lock} is held for too long (remove it if no build is running)`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, {recursive: true, force: true});
  }
}

function buildCjs(opts, work) {
  const out = join(root, 'dist', 'cjs');
  const srcRoot = join(root, 'src');
  if (!opts.force && existsSync(join(out, 'package.json')) &&
      !stale('cjs', out, (src) => relative(srcRoot, src).replace(/\.ts$/, '.js'))) {
    log('dist/cjs is newer than its sources; not recompiling');
    return;
  }
  // tsc compiles a file as CommonJS when the nearest package.json says so: compile a copy of src/
  // under one. Dynamic import() stays import() (h5wasm is ESM-only); import.meta.url, .dirname and
  // .filename become their CommonJS equivalents.
  const stage = join(work, 'cjs');
  rmSync(stage, {recursive: true, force: true});
  cpSync(srcRoot, join(stage, 'src'), {recursive: true, filter: (p) => statSync(p).isDirectory() || p.endsWith('.ts')});
  for (const file of walk(join(stage, 'src'), (p) => p.endsWith('.ts'))) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('import.meta')) continue;
    writeFileSync(file, text
      .replaceAll('import.meta.url', "(require('node:url') as typeof import('node:url')).pathToFileURL(__filename).href")
      .replaceAll('import.meta.dirname', '__dirname')
      .replaceAll('import.meta.filename', '__filename'));
  }
  writeFileSync(join(stage, 'package.json'), JSON.stringify({type: 'commonjs'}) + '\n');
  writeFileSync(join(stage, 'tsconfig.json'), JSON.stringify({
    extends: relative(stage, join(root, 'tsconfig.json')),
    compilerOptions: {rootDir: 'src', outDir: relative(stage, out), sourceMap: false, module: 'NodeNext', moduleResolution: 'NodeNext'},
    files: entries('cjs').map((e) => relative(srcRoot, join(root, e))).map((e) => join('src', e)),
    include: [],
  }, null, 2));
  rmSync(out, {recursive: true, force: true});
  log(`compiling ${entries('cjs').join(', ')} to dist/cjs (CommonJS)`);
  tsc(join(stage, 'tsconfig.json'), 'tsc (CommonJS)', {fatal: FATAL_CJS_ERRORS});
  writeFileSync(join(out, 'package.json'), JSON.stringify({type: 'commonjs'}) + '\n');
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const work = join(root, 'build-package');
  mkdirSync(work, {recursive: true});
  if (opts.native) buildNative(opts);
  if (opts.ts) {
    buildEsm(opts, work);
    buildCjs(opts, work);
  }
  const staged = stagePackage(work);
  log(`done; the package is in ${relative(root, staged)}: npm pack ./${relative(root, staged)} makes the tarball`);
}

/** Copies what the package ships into build-package/effnet-native, with the published package.json. */
function stagePackage(work) {
  const dir = join(work, 'effnet-native');
  rmSync(dir, {recursive: true, force: true});
  mkdirSync(dir, {recursive: true});
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  delete manifest.scripts;
  delete manifest.devDependencies;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  for (const file of ['README.md', 'LICENSE']) {
    if (existsSync(join(root, file))) copyFileSync(join(root, file), join(dir, file));
  }
  // Compiled files whose source is gone (dist/src is shared with npm run build:ts) stay behind.
  const distSrc = join(root, 'dist', 'src');
  const hasSource = (p) => !p.startsWith(distSrc + '/') ||
    existsSync(join(root, 'src', relative(distSrc, p).replace(/(\.d\.ts|\.js)$/, '.ts')));
  const shipped = (p) => statSync(p).isDirectory() ||
    ((/\.(js|d\.ts|node)$/.test(p) || p.endsWith('manifest.json') || p.endsWith('package.json')) && hasSource(p));
  withDistLock(() => {
    for (const sub of ['dist/src', 'dist/cjs', 'prebuilds']) {
      if (existsSync(join(root, sub))) cpSync(join(root, sub), join(dir, sub), {recursive: true, filter: shipped});
    }
  });
  return dir;
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
