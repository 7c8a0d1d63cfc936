// The CUDA engine's buffer lifetimes, lazy zero fill and graph capture, checked without a GPU: the
// engine's own host code (cuda/allocator.cu, graph.cu, device.cu, download.cu) compiled with the
// system C++ compiler against a stand-in runtime (test/native/fake_cuda/: host memory, one in-order
// stream that records while capturing) and run, under AddressSanitizer and UBSan where the compiler
// has them. The checks themselves: test/native/graph_capture_check.cc.
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import {afterAll, describe, expect, it} from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const compiler = process.env.CXX ?? 'g++';
const haveCompiler = spawnSync(compiler, ['--version']).status === 0;

describe.skipIf(!haveCompiler)('CUDA graph capture and buffer lifetimes on a stand-in runtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'effnet-graph-check-'));
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  it('every check of test/native/graph_capture_check.cc passes', () => {
    const exe = join(dir, 'graph_capture_check');
    const sources = ['cuda/allocator.cu', 'cuda/graph.cu', 'cuda/device.cu', 'cuda/download.cu'].map((f) => join(root, f));
    const args = [
      '-std=c++17', '-O1', '-g', '-Wall', '-Wno-unused-function',
      '-I', join(root, 'test/native/fake_cuda'), '-I', join(root, 'cuda'), '-I', join(root, 'cuda/include'),
      '-I', join(root, 'cpp/include'),
      '-x', 'c++', ...sources, join(root, 'test/native/graph_capture_check.cc'), '-o', exe, '-lpthread',
    ];
    const sanitizers = ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined'];
    let build = spawnSync(compiler, [...sanitizers, ...args], {encoding: 'utf8'});
    let sanitized = true;
    if (build.status !== 0 && /asan|ubsan|sanitize/i.test(build.stderr)) {
      // No sanitizer runtime on this machine: the checks still run.
      build = spawnSync(compiler, args, {encoding: 'utf8'});
      sanitized = false;
    }
    expect(build.status, build.stderr).toBe(0);
    const run = spawnSync(exe, [], {encoding: 'utf8', env: {...process.env, ASAN_OPTIONS: 'detect_leaks=0'}});
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/graph capture checks: \d+ passed, 0 failed/);
    if (!sanitized) console.log('graph capture checks ran without sanitizers (none in this compiler)');
  }, 120_000);
});
