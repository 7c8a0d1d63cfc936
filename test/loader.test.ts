// The addon loader (src/native.ts): candidate order (explicit path, local build, prebuilt binary),
// and an Error naming every candidate, why it failed and what to do, for each kind of failure.
import {existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {afterAll, describe, expect, it, vi} from 'vitest';

import {
  addonCandidates,
  classifyLoadError,
  compareVersions,
  cpuAddonCandidates,
  LoaderEnvironment,
  loadFailureMessage,
  NativeAddon,
  tryLoadAddon,
} from '../src/native.js';

const realBinary = cpuAddonCandidates().find((p) => existsSync(p));
const scratch = mkdtempSync(join(tmpdir(), 'effnet-loader-'));
afterAll(() => rmSync(scratch, {recursive: true, force: true}));

let roots = 0;
/** A package root with the given files: 'link' is a symlink to the real addon, anything else is written as is. */
function fakeRoot(files: Record<string, 'link' | string>): string {
  const root = join(scratch, `root${roots++}`);
  mkdirSync(root, {recursive: true});
  writeFileSync(join(root, 'package.json'), JSON.stringify({name: 'effnet-native'}));
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), {recursive: true});
    if (content === 'link') symlinkSync(realBinary!, path);
    else writeFileSync(path, content);
  }
  return root;
}

function env(root: string, over: Partial<LoaderEnvironment> = {}): LoaderEnvironment {
  return {root, platform: 'linux', arch: 'x64', env: {}, glibc: '2.36', ...over};
}

const RELEASE = 'build/Release/effnet_native.node';
const DEBUG = 'build/Debug/effnet_native.node';
const PREBUILT = 'prebuilds/linux-x64/effnet_native.node';
const MANIFEST = 'prebuilds/linux-x64/manifest.json';
const manifest = (glibc: string) =>
  JSON.stringify({platform: 'linux', arch: 'x64', glibc, addons: {'effnet_native.node': {glibc}}});

function failure(le: LoaderEnvironment, kind: 'cpu' | 'cuda' = 'cpu') {
  const result = tryLoadAddon(kind, le);
  expect(result.addon).toBeUndefined();
  return {attempts: result.attempts, message: loadFailureMessage(kind, result.attempts, le)};
}

describe('candidates', () => {
  it('tries the local build (Release, then Debug), then the prebuilt binary for this platform', () => {
    const root = fakeRoot({});
    expect(addonCandidates('cpu', env(root))).toEqual([
      {path: join(root, RELEASE), source: 'local-release'},
      {path: join(root, DEBUG), source: 'local-debug'},
      {path: join(root, PREBUILT), source: 'prebuilt'},
    ]);
    expect(addonCandidates('cuda', env(root)).map((c) => c.path)).toEqual([
      join(root, 'build/Release/effnet_native_cuda.node'),
      join(root, 'build/Debug/effnet_native_cuda.node'),
      join(root, 'prebuilds/linux-x64/effnet_native_cuda.node'),
    ]);
  });

  it('EFFNET_NATIVE_BINARY, when set, is the only candidate', () => {
    const le = env(fakeRoot({}), {env: {EFFNET_NATIVE_BINARY: '/opt/x/effnet_native.node'}});
    expect(addonCandidates('cpu', le)).toEqual([{path: '/opt/x/effnet_native.node', source: 'env'}]);
    expect(addonCandidates('cuda', le)[0].source).toBe('local-release');
  });

  it('compares glibc versions numerically', () => {
    expect(compareVersions('2.9', '2.17')).toBeLessThan(0);
    expect(compareVersions('2.36', '2.36')).toBe(0);
    expect(compareVersions('2.36', '2.28')).toBeGreaterThan(0);
  });
});

describe.skipIf(!realBinary)('loading', () => {
  it('a local build wins over the prebuilt binary', () => {
    const le = env(fakeRoot({[RELEASE]: 'link', [PREBUILT]: 'not an addon'}));
    const result = tryLoadAddon<NativeAddon>('cpu', le);
    expect(result.loaded).toEqual({path: join(le.root, RELEASE), source: 'local-release'});
    expect(result.attempts).toEqual([]);
    expect(typeof result.addon!.info).toBe('function');
  });

  it('without a local build (an installed package), the prebuilt binary loads', () => {
    const le = env(fakeRoot({[PREBUILT]: 'link', [MANIFEST]: manifest('2.17')}), {glibc: '2.28'});
    const result = tryLoadAddon<NativeAddon>('cpu', le);
    expect(result.loaded?.source).toBe('prebuilt');
    expect(result.attempts.map((a) => [a.source, a.cause])).toEqual([
      ['local-release', 'not-found'],
      ['local-debug', 'not-found'],
    ]);
    expect(result.addon!.info().isa).toMatch(/^(portable|avx2|avx512)$/);
  });

  it('a local build that fails to load falls back to the prebuilt binary', () => {
    const le = env(fakeRoot({[RELEASE]: 'garbage', [PREBUILT]: 'link'}));
    const result = tryLoadAddon('cpu', le);
    expect(result.loaded?.source).toBe('prebuilt');
    expect(result.attempts[0]).toMatchObject({source: 'local-release', cause: 'invalid'});
  });
});

describe('failure messages', () => {
  it('nothing installed: every candidate, "file not found", and how to reinstall or build', () => {
    const root = fakeRoot({});
    const {attempts, message} = failure(env(root));
    expect(attempts.map((a) => a.cause)).toEqual(['not-found', 'not-found', 'not-found']);
    expect(message).toContain('could not load the native CPU addon (effnet_native.node) on linux-x64');
    for (const rel of [RELEASE, DEBUG, PREBUILT]) expect(message).toContain(`${join(root, rel)} `);
    expect(message).toContain('(local build): file not found');
    expect(message).toContain('(prebuilt): file not found');
    expect(message).toMatch(/Possible solutions:\n {2}- The installed package lacks its prebuilt binary: reinstall it/);
    expect(message).toContain('npm install effnet-native');
    expect(message).toContain('Troubleshooting');
  });

  it('the file exists but is not a loadable binary (damaged, other platform)', () => {
    const {attempts, message} = failure(env(fakeRoot({[PREBUILT]: 'this is not an ELF file, just text'})));
    expect(attempts[2]).toMatchObject({source: 'prebuilt', cause: 'invalid'});
    expect(attempts[2].error).toMatch(/ELF|too short/);
    expect(message).toContain('is not a loadable binary for this machine');
    expect(message).toContain('reinstall the package');
    expect(message).not.toContain('lacks its prebuilt binary');
  });

  it('glibc older than the prebuilt binary needs: found and required versions, update or build from source', () => {
    const {attempts, message} = failure(env(fakeRoot({[PREBUILT]: 'x', [MANIFEST]: manifest('2.36')}), {glibc: '2.31'}));
    expect(attempts[2]).toMatchObject({cause: 'glibc', error: 'the prebuilt binary requires glibc >= 2.36; this system has glibc 2.31'});
    expect(message).toContain('on linux-x64, Node.js');
    expect(message).toContain('glibc 2.31');
    expect(message).toContain('Update the operating system');
    expect(message).toContain('found glibc 2.31, requires glibc 2.36');
    expect(message).toContain('Build from source');
  });

  it('a C library other than glibc (Alpine/musl)', () => {
    const {attempts, message} = failure(env(fakeRoot({[PREBUILT]: 'x', [MANIFEST]: manifest('2.36')}), {glibc: null}));
    expect(attempts[2].cause).toBe('libc');
    expect(message).toContain('not glibc');
    expect(message).toContain('Use a glibc-based Linux');
  });

  it('another CPU architecture: the runtime CPU check says x86-64 is required, AVX2/AVX-512 optional', () => {
    const {attempts, message} = failure(env(fakeRoot({}), {arch: 'arm64'}));
    expect(attempts.every((a) => a.cause === 'cpu')).toBe(true);
    expect(attempts[0].error).toBe('the CPU addon requires an x86-64 CPU (AVX2 and AVX-512 are optional); this process runs on arm64');
    expect(message).toContain('Use an x86-64 (amd64) machine');
    expect(message).toContain('a portable path runs on any x86-64 CPU');
  });

  it('another operating system: no prebuilt binary for it', () => {
    const {attempts, message} = failure(env(fakeRoot({[PREBUILT]: 'x'}), {platform: 'darwin'}));
    expect(attempts[2]).toMatchObject({cause: 'platform', error: 'no prebuilt binary for darwin-x64 (prebuilt: linux-x64)'});
    expect(message).toContain('could not load the native CPU addon (effnet_native.node) on darwin-x64');
    expect(message).toContain('Prebuilt binaries exist for linux-x64 only; this is darwin-x64.');
    expect(message).toContain('Build from source');
  });

  it('EFFNET_NATIVE_BINARY naming a missing file', () => {
    const {attempts, message} = failure(env(fakeRoot({[RELEASE]: 'link'}), {env: {EFFNET_NATIVE_BINARY: '/nonexistent/effnet_native.node'}}));
    expect(attempts).toEqual([
      {path: '/nonexistent/effnet_native.node', source: 'env', cause: 'not-found', error: 'file not found'},
    ]);
    expect(message).toContain('/nonexistent/effnet_native.node (set by environment): file not found');
    expect(message).toContain('EFFNET_NATIVE_BINARY is set to /nonexistent/effnet_native.node');
  });

  it('the CUDA addon: "CUDA addon not built"', () => {
    const {attempts, message} = failure(env(fakeRoot({})), 'cuda');
    expect(attempts.map((a) => a.error)).toEqual(['CUDA addon not built', 'CUDA addon not built', 'CUDA addon not built']);
    expect(message).toContain('could not load the native CUDA addon (effnet_native_cuda.node)');
    expect(message).toContain('CUDA addon not built: this installation has no effnet_native_cuda.node');
  });

  it('load errors are sorted into causes, each with its own solution', () => {
    const cases: [unknown, string, string][] = [
      [new Error("/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.36' not found (required by x.node)"), 'glibc', 'Update the operating system'],
      [new Error('x.node: invalid ELF header'), 'invalid', 'not a loadable binary'],
      [new Error('x.node: wrong ELF class: ELFCLASS32'), 'invalid', 'not a loadable binary'],
      [new Error('libcuda.so.1: cannot open shared object file: No such file or directory'), 'missing-library', 'install it'],
      [new Error('Module did not self-register: x.node'), 'abi', 'incompatible Node.js'],
      [Object.assign(new Error('Cannot load native addon because loading addons is disabled'), {code: 'ERR_DLOPEN_DISABLED'}), 'addons-disabled', '--no-addons'],
      [new Error('x.node: undefined symbol: _ZN4Napi5ErrorC1Ev'), 'load-error', "node -e \"require('/p/x.node')\""],
    ];
    for (const [error, cause, solution] of cases) {
      expect(classifyLoadError(error, env('/p')), String(error)).toBe(cause);
      const message = loadFailureMessage(
        'cpu',
        [{path: '/p/x.node', source: 'prebuilt', cause: cause as never, error: (error as Error).message}],
        env('/p'),
      );
      expect(message, cause).toContain(solution);
      expect(message).toContain(`1. /p/x.node (prebuilt): ${(error as Error).message}`);
    }
  });

  it('loadCpuAddon() throws the message (a fresh copy of the loader, EFFNET_NATIVE_BINARY pointing nowhere)', async () => {
    const saved = process.env.EFFNET_NATIVE_BINARY;
    process.env.EFFNET_NATIVE_BINARY = join(scratch, 'missing', 'effnet_native.node');
    try {
      vi.resetModules();
      const fresh = await import('../src/native.js');
      expect(() => fresh.loadCpuAddon()).toThrow(/could not load the native CPU addon[^]*missing\/effnet_native\.node \(set by environment\): file not found[^]*Possible solutions/);
    } finally {
      if (saved === undefined) delete process.env.EFFNET_NATIVE_BINARY;
      else process.env.EFFNET_NATIVE_BINARY = saved;
    }
  });
});
