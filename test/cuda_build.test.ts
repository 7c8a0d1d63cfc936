// The CUDA addon as built on this machine: present when the build found a CUDA toolkit, a fat binary
// with sm_80/86/89/90 machine code and compute_90 PTX, the CUDA runtime linked statically (no
// libcudart dependency), and loadable without a GPU: deviceInfo() then reports why CUDA is unusable,
// and native-cuda is not registered.
import {execFileSync, spawnSync} from 'node:child_process';
import {createRequire} from 'node:module';
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import {describe, expect, it} from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The build folder of the CPU addon under test (EFFNET_NATIVE_BINARY's, else build/). */
function buildDir(): string {
  const cpu = process.env.EFFNET_NATIVE_BINARY;
  return cpu ? resolve(dirname(cpu), '..') : join(root, 'build');
}

function cudaAddonPath(): string {
  return process.env.EFFNET_NATIVE_CUDA_BINARY ?? join(buildDir(), 'Release', 'effnet_native_cuda.node');
}

/** Whether the CMake build in buildDir() configured the CUDA addon (read from its CMakeCache.txt). */
function buildHasCuda(): boolean | undefined {
  const cache = join(buildDir(), 'CMakeCache.txt');
  if (!existsSync(cache)) return undefined;
  const text = readFileSync(cache, 'utf8');
  return /^EFFNET_CUDA_ARCHITECTURES:STRING=/m.test(text);
}

interface FatbinEntry {
  kind: 'elf' | 'ptx';
  arch: number;
}

/**
 * The entries of every fatbin embedded in an ELF file. Fatbin layout (as written by nvcc's fatbinary):
 * a 16-byte header (magic 0xBA55ED50, u16 version, u16 header size, u64 size of the entries), then
 * entries each with a header (u16 kind: 1 PTX, 2 ELF; u16 version; u32 header size; u64 payload size;
 * ...; u32 architecture at byte 28) followed by the payload.
 */
function fatbinEntries(file: Buffer): FatbinEntry[] {
  const entries: FatbinEntry[] = [];
  const magic = Buffer.from([0x50, 0xed, 0x55, 0xba]);
  let at = file.indexOf(magic);
  while (at >= 0 && at + 16 <= file.length) {
    const headerSize = file.readUInt16LE(at + 6);
    const fatSize = Number(file.readBigUInt64LE(at + 8));
    let e = at + headerSize;
    const end = at + headerSize + fatSize;
    if (headerSize !== 16 || end > file.length) {
      at = file.indexOf(magic, at + 4);
      continue;
    }
    while (e + 32 <= end) {
      const kind = file.readUInt16LE(e);
      const entryHeader = file.readUInt32LE(e + 4);
      const payload = Number(file.readBigUInt64LE(e + 8));
      const arch = file.readUInt32LE(e + 28);
      if ((kind === 1 || kind === 2) && entryHeader >= 32) entries.push({kind: kind === 1 ? 'ptx' : 'elf', arch});
      if (entryHeader === 0) break;
      e += entryHeader + payload;
    }
    at = file.indexOf(magic, end);
  }
  return entries;
}

function which(tool: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], {encoding: 'utf8'});
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const configured = buildHasCuda();
const addon = cudaAddonPath();
const present = existsSync(addon);
const skipReason = present
  ? ''
  : configured === false
    ? 'the build in ' + buildDir() + ' found no CUDA toolkit'
    : configured === undefined && !which('nvcc')
      ? 'no CUDA toolkit (nvcc) on this machine and no CUDA build'
      : '';

describe.skipIf(skipReason !== '')(`CUDA addon build${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('exists where the build puts it', () => {
    expect(present, `${addon} is missing although CUDA was configured; rebuild with cmake-js`).toBe(true);
  });

  it('embeds sm_80, sm_86, sm_89 and sm_90 machine code and compute_90 PTX', () => {
    const cache = readFileSync(join(buildDir(), 'CMakeCache.txt'), 'utf8');
    const archs = /^EFFNET_CUDA_ARCHITECTURES:STRING=(.*)$/m.exec(cache)?.[1] ?? '';
    const full = archs === '80-real;86-real;89-real;90-real;90-virtual';
    const entries = fatbinEntries(readFileSync(addon));
    const elf = [...new Set(entries.filter((e) => e.kind === 'elf').map((e) => e.arch))].sort();
    const ptx = [...new Set(entries.filter((e) => e.kind === 'ptx').map((e) => e.arch))].sort();
    if (!full) {
      // A development build restricted with EFFNET_CUDA_ARCHITECTURES: check what it asked for ('90' is
      // CMake's 90-real plus 90-virtual).
      const wanted = archs.split(';').filter((a) => a.endsWith('-real') || /^\d+$/.test(a)).map((a) => parseInt(a, 10)).sort();
      expect(elf).toEqual(wanted);
      return;
    }
    expect(elf).toEqual([80, 86, 89, 90]);
    expect(ptx).toEqual([90]);
    const cuobjdump = which('cuobjdump');
    if (cuobjdump) {
      const listElf = execFileSync(cuobjdump, ['--list-elf', addon], {encoding: 'utf8'});
      for (const sm of ['sm_80', 'sm_86', 'sm_89', 'sm_90']) expect(listElf).toContain(sm);
      expect(execFileSync(cuobjdump, ['--list-ptx', addon], {encoding: 'utf8'})).toContain('sm_90');
    }
  });

  it('links the CUDA runtime statically (no libcudart, no libcuda at link time)', () => {
    const ldd = execFileSync('ldd', [addon], {encoding: 'utf8'});
    expect(ldd).not.toMatch(/libcudart/);
    expect(ldd).not.toMatch(/libcuda\.so/);
    expect(ldd).not.toMatch(/libstdc\+\+/);
  });

  it('loads on any machine; deviceInfo() reports the device or why CUDA is unusable, never throwing', async () => {
    const cuda = createRequire(import.meta.url)(addon) as {
      deviceInfo(): {usable: boolean; reason: string; error: string; runtimeVersion: number; driverVersion: number};
      alloc(bytes: number): number;
      info(): {bytesInUse: number; buffers: number};
    };
    const info = cuda.deviceInfo();
    expect(info.runtimeVersion).toBeGreaterThanOrEqual(12000);
    expect(cuda.info().buffers).toBe(0);
    if (info.usable) {
      expect(info.reason).toBe('');
      return;
    }
    expect(info.reason).toMatch(/driver|GPU|device|compute capability/);
    expect(info.error).not.toBe('');
    // Every entry that needs the device fails with an Error carrying the reason; nothing crashes.
    expect(() => cuda.alloc(16)).toThrow(/CUDA is not usable: /);
  });

  it('has the CPU addon\'s entries for every kernel family (same names, so src/kernels/*.ts call either)', () => {
    const cuda = createRequire(import.meta.url)(addon) as Record<string, unknown>;
    const cpuPath = process.env.EFFNET_NATIVE_BINARY ?? join(buildDir(), 'Release', 'effnet_native.node');
    const cpu = createRequire(import.meta.url)(cpuPath) as Record<string, unknown>;
    const families = [
      'alloc', 'create', 'write', 'read', 'free', 'info', 'binary', 'unary', 'addN', 'select', 'reduce', 'argReduce',
      'softmax', 'transpose', 'concat', 'pack', 'unpack', 'slice', 'stridedSlice', 'splitV', 'padV2', 'mirrorPad',
      'tile', 'broadcastTo', 'reverse', 'gatherV2', 'gatherNd', 'cast', 'fill', 'oneHot', 'conv2d', 'fusedConv2d',
      'depthwiseConv2d', 'fusedDepthwiseConv2d', 'maxPool', 'avgPool', 'batchMatMul', 'fusedMatMul', 'batchNorm',
      'resizeBilinear', 'mbconv', 'deviceInfo',
    ];
    for (const entry of families) {
      expect(typeof cuda[entry], `CUDA addon entry '${entry}'`).toBe('function');
      if (entry !== 'deviceInfo') expect(typeof cpu[entry], `CPU addon entry '${entry}'`).toBe('function');
    }
    // Entries the CPU addon has and the CUDA addon not: their kernels throw on native-cuda, naming
    // themselves.
    const missing = Object.keys(cpu).filter((k) => typeof cpu[k] === 'function' && typeof cuda[k] !== 'function');
    if (missing.length > 0) console.log(`CUDA addon: no CUDA entry for ${missing.join(', ')}`);
    expect(missing).not.toContain('mbconv');
  });

  it('every entry answers malformed calls with an Error, never a crash', () => {
    const cuda = createRequire(import.meta.url)(addon) as Record<string, (...args: unknown[]) => unknown>;
    for (const [name, fn] of Object.entries(cuda)) {
      if (typeof fn !== 'function') continue;
      for (const args of [[], [{}], [{op: 'Add', a: 1, b: 2, out: 3}], [-1], ['x']]) {
        try {
          fn(...args);
        } catch (e) {
          expect(e, `${name}(${JSON.stringify(args)})`).toBeInstanceOf(Error);
          expect((e as Error).message.length, name).toBeGreaterThan(0);
        }
      }
    }
  });

  it('without a usable GPU: native-cuda is not registered, native is native-cpu, cudaStatus() says why', async () => {
    process.env.EFFNET_NATIVE_CUDA_BINARY = addon;
    const lib = await import('../src/index.js');
    const tf = await import('@tensorflow/tfjs-core');
    const s = lib.cudaStatus();
    expect(s.addonPath).toBe(addon);
    await tf.ready();
    if (s.device?.usable) {
      expect(s.available).toBe(true);
      expect(tf.findBackendFactory('native-cuda')).not.toBeNull();
      expect(tf.backend()).toBeInstanceOf(lib.NativeCudaBackend);
      return;
    }
    expect(s.available).toBe(false);
    expect(s.reason).toMatch(/driver|GPU|device/);
    expect(s.reason).not.toMatch(/\n\s+at /);  // a reason, not a stack trace
    expect(tf.findBackendFactory('native-cpu')).not.toBeNull();
    expect(tf.findBackendFactory('native-cuda')).toBeNull();
    expect(tf.getBackend()).toBe('native');
    expect(tf.backend()).toBeInstanceOf(lib.NativeCpuBackend);
    expect(tf.backend()).not.toBeInstanceOf(lib.NativeCudaBackend);
    // The CUDA fused-block switch does nothing without native-cuda; `native` (the CPU) keeps its kernel.
    expect(lib.setCudaMBConvFusion(true)).toBe(false);
    expect(lib.getCudaMBConvFusion()).toBe(false);
    expect(tf.getKernel('EffnetMBConv', 'native')).toBeDefined();
    expect(() => lib.setCudaMBConvFusion('yes' as never)).toThrow(/setCudaMBConvFusion: expected a boolean/);
  });
});
