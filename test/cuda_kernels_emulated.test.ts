// CUDA kernels checked without a GPU, by compiling their own source for the host:
// - the fused head's kernels (cuda/head.cuh, cuda/tile_mean.cuh) with the system C++ compiler, each
//   block emulated by threads and a barrier, against a float64 reference (test/native/head_kernels_check.cc);
// - Conv2D's float32 GEMM reading A through cuda/im2col.cuh (test/native/conv_repair_check.cc) against
//   tfjs-backend-cpu's sums over the taps inside the image, infinite and NaN weights and inputs, with
//   the system C++ compiler and the stand-in runtime (test/native/fake_cuda/);
// - the tensor-core GEMM's index math (cuda/gemm_tensor_core.cuh) with nvcc's host compiler, WMMA's
//   fragments emulated on 16 x 16 tiles (scripts/check_gemm_tensor_core.cu); skipped without nvcc.
import {spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import {afterAll, describe, expect, it} from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const includes = ['-I', join(root, 'cuda'), '-I', join(root, 'cuda/include'), '-I', join(root, 'cpp/include')];
const cxx = process.env.CXX ?? 'g++';
const haveCxx = spawnSync(cxx, ['--version']).status === 0;

function findNvcc(): string | null {
  for (const candidate of [process.env.CUDACXX, 'nvcc', '/usr/local/bin/nvcc', '/usr/local/cuda/bin/nvcc']) {
    if (candidate && spawnSync(candidate, ['--version']).status === 0) return candidate;
  }
  return null;
}
const nvcc = findNvcc();

describe('CUDA kernels compiled for the host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'effnet-kernel-check-'));
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  function buildAndRun(compiler: string, args: string[], exe: string): string {
    const build = spawnSync(compiler, [...args, '-o', exe], {encoding: 'utf8'});
    expect(build.status, build.stderr).toBe(0);
    expect(existsSync(exe)).toBe(true);
    const run = spawnSync(exe, [], {encoding: 'utf8', timeout: 120_000});
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, output).toBe(0);
    return output;
  }

  it.skipIf(!haveCxx)('the fused head kernels match a float64 reference (B0 head, odd sizes, split launches)', () => {
    const output = buildAndRun(
      cxx,
      ['-std=c++20', '-O2', ...includes, join(root, 'test/native/head_kernels_check.cc'), '-lpthread'],
      join(dir, 'head_kernels_check'),
    );
    expect(output).toMatch(/head kernel checks: all passed/);
    expect(output).not.toMatch(/FAIL/);
  }, 180_000);

  it.skipIf(!haveCxx)('Conv2D sums infinite and NaN values over the taps inside the image, as tfjs-backend-cpu does', () => {
    const output = buildAndRun(
      cxx,
      ['-std=c++20', '-O2', '-I', join(root, 'test/native/fake_cuda'), ...includes, join(root, 'test/native/conv_repair_check.cc'),
        '-lpthread'],
      join(dir, 'conv_repair_check'),
    );
    expect(output).toMatch(/conv repair checks: all passed/);
    expect(output).not.toMatch(/FAIL/);
  }, 180_000);

  it.skipIf(nvcc == null)('the tensor-core GEMM tiles every output once, with legal fragments, to float64 of the rounded inputs', () => {
    const output = buildAndRun(
      nvcc!,
      ['-std=c++17', '-O1', ...includes, join(root, 'scripts/check_gemm_tensor_core.cu')],
      join(dir, 'check_gemm_tensor_core'),
    );
    expect(output).toMatch(/all checks passed/);
  }, 180_000);
});
