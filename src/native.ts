// Loads the native addons (a local build, else the prebuilt binary; on failure an Error that lists
// every candidate and what to do) and describes the CPU addon's entries, which kernels call through
// the backend.
import {createRequire} from 'node:module';
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import {moduleUrl} from './module_url.js';

/** Integer handle of a native buffer. */
export type BufferId = number;

export interface NativeInfo {
  /** ISA level the kernels use now: 'avx512' | 'avx2' | 'portable'. */
  isa: IsaLevel;
  /** Best ISA level this CPU supports. */
  detectedIsa: IsaLevel;
  /** Threads used by parallel kernels (the calling thread included). */
  threads: number;
  /** Bytes held by native buffers. */
  bytesInUse: number;
  /** Number of native buffers alive. */
  buffers: number;
  /** Bytes of packed weights (kernel layouts cached per weight tensor; part of bytesInUse) held in the
   * weight arena: 0 where EFFNET_HUGE_PAGES=0 keeps them on the C heap. */
  packedBytes: number;
  /** Bytes mapped for packed weights: 2 MiB-aligned chunks on transparent huge pages, each returned
   * to the system once every packed weight in it is freed. */
  packedReservedBytes: number;
}

export type IsaLevel = 'portable' | 'avx2' | 'avx512';

/** How 3x3 stride-1 convolutions with >= 16 channels run: Winograd F(2x2,3x3), F(4x4,3x3), or GEMM. */
export type WinogradMode = 'f2' | 'f4' | 'off';

/**
 * The addon's entries. Memory and settings entries take positional arguments; every op entry takes
 * one options object (buffer ids, shapes, attributes) and validates it, throwing an Error that names
 * the kernel and the offending option.
 */
export interface NativeAddon {
  alloc(bytes: number): BufferId;
  create(values: ArrayBufferView): BufferId;
  write(id: BufferId, values: ArrayBufferView): void;
  read(id: BufferId): ArrayBuffer;
  free(id: BufferId): boolean;
  info(): NativeInfo;
  setThreads(count: number): number;
  setIsa(level: IsaLevel): IsaLevel;
  winogradMode(mode?: WinogradMode): WinogradMode;
  // Op entries are added per kernel family; each kernel file declares the shape of its options.
  [op: string]: unknown;
}

/** Calls an op entry of the addon by name. */
export function callOp(addon: NativeAddon, entry: string, options: object): void {
  const fn = addon[entry];
  if (typeof fn !== 'function') {
    throw new Error(`effnet-native: the native addon has no entry '${entry}' (is the build out of date?)`);
  }
  (fn as (o: object) => void)(options);
}

/** The package's root folder (the one with package.json), from this file's location. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'effnet-native') return dir;
      } catch {
        // not our manifest; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('effnet-native: cannot find the package root from ' + moduleUrl);
    dir = parent;
  }
}

// ---------------------------------------------------------------------------------------------
// Loading the addons.
//
// Candidates, in order (the first that loads wins):
//   1. $EFFNET_NATIVE_BINARY (EFFNET_NATIVE_CUDA_BINARY for the CUDA addon): when set, the only one;
//   2. build/Release/<file>, build/Debug/<file>: a local build, which exists only in a clone of the
//      repository, so developers always run what they compiled;
//   3. prebuilds/<platform>-<arch>/<file>: the binary shipped in the npm package.
// When none loads, the Error names every candidate, why it failed and what to do about it.

/** The package's native addons. The CPU addon is always built; the CUDA addon is optional. */
export type AddonKind = 'cpu' | 'cuda';

/** File name of each addon, in build/Release and in prebuilds/<platform>-<arch>. */
export const ADDON_FILES: Readonly<Record<AddonKind, string>> = Object.freeze({
  cpu: 'effnet_native.node',
  cuda: 'effnet_native_cuda.node',
});

/** Environment variable that names an addon file explicitly. */
export const ADDON_ENV: Readonly<Record<AddonKind, string>> = Object.freeze({
  cpu: 'EFFNET_NATIVE_BINARY',
  cuda: 'EFFNET_NATIVE_CUDA_BINARY',
});

/** `<platform>-<arch>` folders under prebuilds/ that releases ship. */
export const PREBUILT_PLATFORMS: readonly string[] = Object.freeze(['linux-x64']);

/** Name of the file next to the prebuilt addons that describes them (written by scripts/prebuild.mjs). */
export const PREBUILT_MANIFEST = 'manifest.json';

export type CandidateSource = 'env' | 'local-release' | 'local-debug' | 'prebuilt';

export interface AddonCandidate {
  path: string;
  source: CandidateSource;
}

/** What the loader looks at; tests substitute their own. */
export interface LoaderEnvironment {
  /** The package root (see packageRoot()). */
  root: string;
  platform: string;
  arch: string;
  env: Record<string, string | undefined>;
  /** glibc version of this process ('2.36'), null where the C library is not glibc; looked up when needed. */
  glibc?: string | null;
}

export function loaderEnvironment(): LoaderEnvironment {
  return {root: packageRoot(), platform: process.platform, arch: process.arch, env: process.env};
}

/** Why a candidate did not load. */
export type LoadFailureCause =
  | 'not-found' // no file at that path
  | 'platform' // no binary for this platform / architecture
  | 'cpu' // the CPU addon needs an x86-64 CPU
  | 'glibc' // the C library is older than the binary needs
  | 'libc' // not glibc (musl, ...)
  | 'invalid' // not a loadable ELF file for this machine (damaged, other architecture)
  | 'missing-library' // a shared library it links against is missing
  | 'abi' // built for an incompatible Node.js
  | 'addons-disabled' // node --no-addons
  | 'load-error'; // anything else

export interface LoadAttempt {
  path: string;
  source: CandidateSource;
  cause: LoadFailureCause;
  /** First line of the error (or the reason the candidate was skipped). */
  error: string;
}

export interface AddonLoadResult<T> {
  addon?: T;
  /** The candidate that loaded. */
  loaded?: AddonCandidate;
  /** Every candidate that failed, in order. */
  attempts: LoadAttempt[];
}

const SOURCE_LABEL: Record<CandidateSource, string> = {
  env: 'set by environment',
  'local-release': 'local build',
  'local-debug': 'local debug build',
  prebuilt: 'prebuilt',
};

/** Candidate files of an addon, in the order they are tried. */
export function addonCandidates(kind: AddonKind, le: LoaderEnvironment = loaderEnvironment()): AddonCandidate[] {
  const override = le.env[ADDON_ENV[kind]];
  if (override) return [{path: resolve(override), source: 'env'}];
  const file = ADDON_FILES[kind];
  return [
    {path: join(le.root, 'build', 'Release', file), source: 'local-release'},
    {path: join(le.root, 'build', 'Debug', file), source: 'local-debug'},
    {path: join(le.root, 'prebuilds', `${le.platform}-${le.arch}`, file), source: 'prebuilt'},
  ];
}

/** Candidate paths of the CPU addon, in the order they are tried. */
export function cpuAddonCandidates(): string[] {
  return addonCandidates('cpu').map((c) => c.path);
}

/** glibc version of this process, or null when it does not use glibc (or on other systems). */
export function runtimeGlibc(le?: LoaderEnvironment): string | null {
  if (le && le.glibc !== undefined) return le.glibc;
  if (process.platform !== 'linux') return null;
  const header = (process.report?.getReport() as {header?: {glibcVersionRuntime?: string}} | undefined)?.header;
  return header?.glibcVersionRuntime ?? null;
}

/** The manifest scripts/prebuild.mjs writes next to the prebuilt addons. */
export interface PrebuiltManifest {
  platform: string;
  arch: string;
  /** Minimum glibc version of all addons in the folder. */
  glibc?: string;
  addons: Record<string, {glibc?: string; bytes?: number; needed?: string[]}>;
}

export function readPrebuiltManifest(le: LoaderEnvironment): PrebuiltManifest | null {
  const path = join(le.root, 'prebuilds', `${le.platform}-${le.arch}`, PREBUILT_MANIFEST);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PrebuiltManifest;
  } catch {
    return null;
  }
}

/** Compares dotted version numbers: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Sorts a load error into a cause from its code and message. */
export function classifyLoadError(error: unknown, le?: LoaderEnvironment): LoadFailureCause {
  const e = error as {code?: string; message?: string};
  const message = String(e?.message ?? error);
  if (e?.code === 'ERR_DLOPEN_DISABLED') return 'addons-disabled';
  if (/GLIBC_[0-9.]+'? not found|GLIBCXX_[0-9.]+|CXXABI_[0-9.]+/.test(message)) return 'glibc';
  if (/symbol not found|Error relocating/.test(message)) return runtimeGlibc(le) === null ? 'libc' : 'load-error';
  if (/invalid ELF header|wrong ELF class|ELF file|file too short|not a dynamic|ELF load command|cannot execute binary/i.test(message)) {
    return 'invalid';
  }
  if (/cannot open shared object file/.test(message)) return 'missing-library';
  if (/NODE_MODULE_VERSION|did not self-register|napi_|N-API/.test(message)) return 'abi';
  return 'load-error';
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}

/**
 * Checks that a candidate can load on this machine before it is opened: the CPU addon is x86-64
 * code (AVX2 and AVX-512 kernels are chosen at run time, so any x86-64 CPU will do); the prebuilt
 * folder exists only for released platforms; the file exists. Returns why it cannot, or null.
 */
function precheck(kind: AddonKind, candidate: AddonCandidate, le: LoaderEnvironment): Omit<LoadAttempt, 'path' | 'source'> | null {
  if (kind === 'cpu' && le.arch !== 'x64') {
    return {
      cause: 'cpu',
      error: `the CPU addon requires an x86-64 CPU (AVX2 and AVX-512 are optional); this process runs on ${le.arch}`,
    };
  }
  const tag = `${le.platform}-${le.arch}`;
  if (candidate.source === 'prebuilt' && !PREBUILT_PLATFORMS.includes(tag)) {
    return {cause: 'platform', error: `no prebuilt binary for ${tag} (prebuilt: ${PREBUILT_PLATFORMS.join(', ')})`};
  }
  if (!existsSync(candidate.path)) {
    if (kind === 'cuda' && candidate.source !== 'env') return {cause: 'not-found', error: 'CUDA addon not built'};
    return {cause: 'not-found', error: 'file not found'};
  }
  return null;
}

/**
 * Why a prebuilt binary that failed to load cannot work here, when the C library explains it: not
 * glibc, or a glibc older than the one it was built against (manifest.json). Looked up only after a
 * failure (reading the glibc version takes a process report, ~10 ms).
 */
function libcMismatch(kind: AddonKind, candidate: AddonCandidate, le: LoaderEnvironment): Omit<LoadAttempt, 'path' | 'source'> | null {
  if (candidate.source !== 'prebuilt' || le.platform !== 'linux') return null;
  const glibc = runtimeGlibc(le);
  if (glibc === null) {
    return {cause: 'libc', error: 'the prebuilt binary is linked against glibc; this system uses another C library (musl?)'};
  }
  const manifest = readPrebuiltManifest(le);
  const needs = manifest?.addons[ADDON_FILES[kind]]?.glibc ?? manifest?.glibc;
  if (needs && compareVersions(glibc, needs) < 0) {
    return {cause: 'glibc', error: `the prebuilt binary requires glibc >= ${needs}; this system has glibc ${glibc}`};
  }
  return null;
}

/** Tries the candidates of an addon in order; never throws. */
export function tryLoadAddon<T = NativeAddon>(kind: AddonKind, le: LoaderEnvironment = loaderEnvironment()): AddonLoadResult<T> {
  const require = createRequire(moduleUrl);
  const attempts: LoadAttempt[] = [];
  for (const candidate of addonCandidates(kind, le)) {
    const skip = precheck(kind, candidate, le);
    if (skip) {
      attempts.push({...candidate, ...skip});
      continue;
    }
    try {
      return {addon: require(candidate.path) as T, loaded: candidate, attempts};
    } catch (e) {
      attempts.push({...candidate, ...(libcMismatch(kind, candidate, le) ?? {cause: classifyLoadError(e, le), error: firstLine(e)})});
    }
  }
  return {attempts};
}

const ADDON_LABEL: Record<AddonKind, string> = {cpu: 'CPU', cuda: 'CUDA'};

/** The text of the Error thrown when no candidate of an addon loads. */
export function loadFailureMessage(kind: AddonKind, attempts: LoadAttempt[], le: LoaderEnvironment = loaderEnvironment()): string {
  const tag = `${le.platform}-${le.arch}`;
  const glibc = le.platform === 'linux' ? runtimeGlibc(le) : null;
  const runtime = `${tag}, Node.js ${process.versions.node}` +
    (le.platform === 'linux' ? (glibc ? `, glibc ${glibc}` : ', not glibc') : '');
  const file = ADDON_FILES[kind];
  const lines = [`effnet-native: could not load the native ${ADDON_LABEL[kind]} addon (${file}) on ${runtime}. Tried:`];
  attempts.forEach((a, i) => lines.push(`  ${i + 1}. ${a.path} (${SOURCE_LABEL[a.source]}): ${a.error}`));

  const causes = new Set(attempts.map((a) => a.cause));
  const envAttempt = attempts.find((a) => a.source === 'env');
  const prebuilt = attempts.find((a) => a.source === 'prebuilt');
  const solutions: string[] = [];
  const add = (...text: string[]) => solutions.push(`  - ${text[0]}`, ...text.slice(1).map((t) => `      ${t}`));
  const buildFromSource = [
    'Build from source in a clone of the repository (needs cmake >= 3.18 and a C++17 compiler):',
    `npm install   (builds build/Release/${file})`,
    `then point ${ADDON_ENV[kind]} at the built file, or make a package for this platform there:`,
    'npm run prebuild && npm pack ./build-package/effnet-native',
  ];

  if (kind === 'cuda' && attempts.every((a) => a.cause === 'not-found' && a.source !== 'env')) {
    add('CUDA addon not built: this installation has no ' + ADDON_FILES.cuda + ' (packages made without a CUDA',
      'toolkit ship the CPU addon only); the native-cpu backend is used. In a clone, build with nvcc on PATH.');
  }
  if (envAttempt) {
    add(`${ADDON_ENV[kind]} is set to ${envAttempt.path}: point it at a built ${file}, or unset it to use the`,
      'local build or the prebuilt binary.');
  }
  if (causes.has('cpu')) {
    add(`Use an x86-64 (amd64) machine: the binary contains x86-64 code only. AVX2/FMA and AVX-512 are`,
      'optional: kernels are chosen at run time and a portable path runs on any x86-64 CPU.');
  }
  if (causes.has('platform')) {
    add(`Prebuilt binaries exist for ${PREBUILT_PLATFORMS.join(', ')} only; this is ${tag}.`, ...buildFromSource);
  }
  if (prebuilt?.cause === 'not-found' && kind === 'cpu') {
    add('The installed package lacks its prebuilt binary: reinstall it, and make sure nothing prunes .node files:',
      'rm -rf node_modules/effnet-native && npm install effnet-native',
      'In a clone of the repository: npm install (or npm run build:native) builds build/Release/' + file + '.');
  }
  if (causes.has('glibc')) {
    const manifest = readPrebuiltManifest(le);
    const needs = manifest?.addons[file]?.glibc ?? manifest?.glibc;
    add('Update the operating system (or use a newer base image):',
      `found glibc ${glibc ?? 'unknown'}, requires glibc ${needs ?? '(see the error above)'}`, ...buildFromSource);
  }
  if (causes.has('libc')) {
    add('Use a glibc-based Linux (Debian, Ubuntu, RHEL, ...; e.g. node:20-bookworm-slim instead of an Alpine',
      'image), or build from source on this system.');
  }
  if (causes.has('invalid')) {
    add('The file exists but is not a loadable binary for this machine (damaged, truncated, or built for',
      'another platform): reinstall the package (rm -rf node_modules/effnet-native && npm install), or in a',
      'clone rebuild it: npm run build:native');
  }
  if (causes.has('missing-library')) {
    add('A shared library the addon links against is missing (named in the error above): install it, or',
      'check LD_LIBRARY_PATH.');
  }
  if (causes.has('abi')) {
    add(`The addon was built for an incompatible Node.js: use Node.js >= 20 (N-API 8), or rebuild it with this`,
      'Node.js: npm run build:native');
  }
  if (causes.has('addons-disabled')) add('Run Node.js without the --no-addons flag.');
  if (causes.has('load-error')) {
    add('The file exists but failed to load: the error above says why. To see it in full, run',
      `node -e "require('${attempts.find((a) => a.cause === 'load-error')!.path}')"`);
  }
  add('See "Troubleshooting" in the README of effnet-native.');
  lines.push('Possible solutions:', ...solutions);
  return lines.join('\n');
}

const loadedAddons: Partial<Record<AddonKind, {addon: unknown; from: AddonCandidate}>> = {};

function loadAddon<T>(kind: AddonKind): T {
  const done = loadedAddons[kind];
  if (done) return done.addon as T;
  const le = loaderEnvironment();
  const result = tryLoadAddon<T>(kind, le);
  if (!result.addon) throw new Error(loadFailureMessage(kind, result.attempts, le));
  loadedAddons[kind] = {addon: result.addon, from: result.loaded!};
  return result.addon;
}

/** Loads the CPU addon once; throws an Error listing every candidate, why it failed, and what to do. */
export function loadCpuAddon(): NativeAddon {
  return loadAddon<NativeAddon>('cpu');
}

/** Which file an addon was loaded from (undefined before it is loaded). */
export function loadedAddon(kind: AddonKind): AddonCandidate | undefined {
  const done = loadedAddons[kind];
  return done ? {...done.from} : undefined;
}
