// Loads the native addon and describes its entries. Kernels call these through the backend.
import {createRequire} from 'node:module';
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

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
}

export type IsaLevel = 'portable' | 'avx2' | 'avx512';

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
  let dir = dirname(fileURLToPath(import.meta.url));
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
    if (parent === dir) throw new Error('effnet-native: cannot find the package root from ' + import.meta.url);
    dir = parent;
  }
}

export interface LoadAttempt {
  path: string;
  error: string;
}

let cached: NativeAddon | undefined;

/** Candidate paths of the CPU addon, in the order they are tried. */
export function cpuAddonCandidates(): string[] {
  const root = packageRoot();
  const candidates: string[] = [];
  const override = process.env.EFFNET_NATIVE_BINARY;
  if (override) candidates.push(override);
  candidates.push(join(root, 'build', 'Release', 'effnet_native.node'));
  candidates.push(join(root, 'build', 'Debug', 'effnet_native.node'));
  candidates.push(join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'effnet_native.node'));
  return candidates;
}

/** Loads the CPU addon once; throws an Error listing every candidate and why it failed. */
export function loadCpuAddon(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const attempts: LoadAttempt[] = [];
  for (const path of cpuAddonCandidates()) {
    if (!existsSync(path)) {
      attempts.push({path, error: 'file not found'});
      continue;
    }
    try {
      cached = require(path) as NativeAddon;
      return cached;
    } catch (e) {
      attempts.push({path, error: (e as Error).message.split('\n')[0]});
    }
  }
  throw new Error(loadFailureMessage(attempts));
}

function loadFailureMessage(attempts: LoadAttempt[]): string {
  const lines = ['effnet-native: could not load the native CPU addon. Tried:'];
  for (const a of attempts) lines.push(`  - ${a.path}: ${a.error}`);
  lines.push('Possible solutions:');
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    lines.push(`  - This package supports linux-x64 only; this is ${process.platform}-${process.arch}.`);
  }
  lines.push('  - In a clone of the repository, build it: npm install (needs cmake and a C++17 compiler).');
  lines.push('  - Set EFFNET_NATIVE_BINARY to the path of a built effnet_native.node.');
  return lines.join('\n');
}
