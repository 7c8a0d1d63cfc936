// The GEMM precision setting of native-cuda (setCudaPrecision / getCudaPrecision, EFFNET_CUDA_PRECISION)
// as far as it runs without a GPU: the default, name checks and their messages, the environment
// variable's parsing, the behaviour where CUDA is not used, and the CUDA addon's own entries (they only
// set a number, so they work on a machine without a GPU wherever the addon is built).
import {createRequire} from 'node:module';
import {existsSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import {afterEach, describe, expect, it, vi} from 'vitest';

import {
  applyCudaPrecisionEnvironment,
  CUDA_PRECISIONS,
  parseCudaPrecision,
} from '../src/cuda_precision.js';
import {cudaStatus, getCudaPrecision, setCudaPrecision} from '../src/index.js';

const LIST = 'supported: fp32, tf32, fp16, bf16';

describe('CUDA precision: parsing EFFNET_CUDA_PRECISION', () => {
  it('unset or blank is no setting', () => {
    expect(parseCudaPrecision(undefined)).toEqual({});
    expect(parseCudaPrecision('')).toEqual({});
    expect(parseCudaPrecision('  ')).toEqual({});
  });

  it('accepts every mode, ignoring case and surrounding spaces', () => {
    for (const mode of CUDA_PRECISIONS) {
      expect(parseCudaPrecision(mode)).toEqual({mode});
      expect(parseCudaPrecision(` ${mode.toUpperCase()}\n`)).toEqual({mode});
    }
    expect(CUDA_PRECISIONS).toEqual(['fp32', 'tf32', 'fp16', 'bf16']);
  });

  it('rejects other values with a message naming the variable and the accepted modes', () => {
    for (const bad of ['fp8', 'float32', 'tf-32', '1', 'half']) {
      const {mode, error} = parseCudaPrecision(bad);
      expect(mode).toBeUndefined();
      expect(error).toBe(`EFFNET_CUDA_PRECISION: unknown precision '${bad}'; ${LIST}`);
    }
  });
});

describe('CUDA precision: the API', () => {
  const status = cudaStatus();
  afterEach(() => {
    if (status.available) setCudaPrecision('fp32');
    vi.restoreAllMocks();
  });

  it('defaults to fp32', () => {
    expect(getCudaPrecision()).toBe('fp32');
  });

  it('rejects unknown names (and non-strings) with an Error listing the modes', () => {
    for (const bad of ['fp8', 'FP32', '', 'tf 32']) {
      expect(() => setCudaPrecision(bad as never)).toThrow(`setCudaPrecision: unknown precision '${bad}'; ${LIST}`);
    }
    expect(() => setCudaPrecision(32 as never)).toThrow(`setCudaPrecision: unknown precision 32; ${LIST}`);
    expect(() => setCudaPrecision(undefined as never)).toThrow(LIST);
    expect(getCudaPrecision()).toBe('fp32');
  });

  it.runIf(!status.available)('without CUDA: fp32 is accepted and does nothing, other modes say CUDA is not used', () => {
    expect(setCudaPrecision('fp32')).toBe('fp32');
    expect(getCudaPrecision()).toBe('fp32');
    for (const mode of ['tf32', 'fp16', 'bf16'] as const) {
      let message = '';
      try {
        setCudaPrecision(mode);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain(`setCudaPrecision('${mode}'): CUDA is not used (${status.reason})`);
      expect(message).toContain("only 'fp32' is accepted without it");
    }
    expect(getCudaPrecision()).toBe('fp32');
  });

  it.runIf(!status.available)('without CUDA: EFFNET_CUDA_PRECISION is ignored; a bad value warns', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    applyCudaPrecisionEnvironment({EFFNET_CUDA_PRECISION: 'tf32'});
    expect(getCudaPrecision()).toBe('fp32');
    expect(warn).not.toHaveBeenCalled();
    applyCudaPrecisionEnvironment({EFFNET_CUDA_PRECISION: 'fp64'});
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toBe(`effnet-native: EFFNET_CUDA_PRECISION: unknown precision 'fp64'; ${LIST}; using fp32`);
    expect(getCudaPrecision()).toBe('fp32');
  });

  it.runIf(status.available)('with CUDA: every mode round-trips, the previous one is returned, the environment applies', () => {
    let previous = 'fp32';
    for (const mode of [...CUDA_PRECISIONS, 'fp32'] as const) {
      expect(setCudaPrecision(mode)).toBe(previous);
      expect(getCudaPrecision()).toBe(mode);
      previous = mode;
    }
    applyCudaPrecisionEnvironment({EFFNET_CUDA_PRECISION: 'BF16'});
    expect(getCudaPrecision()).toBe('bf16');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    applyCudaPrecisionEnvironment({EFFNET_CUDA_PRECISION: 'fp64'});
    expect(warn).toHaveBeenCalledTimes(1);
    expect(getCudaPrecision()).toBe('bf16');
  });
});

// The CUDA addon of the build under test (as test/cuda_build.test.ts finds it), when there is one.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cpuBinary = process.env.EFFNET_NATIVE_BINARY;
const cudaAddon = process.env.EFFNET_NATIVE_CUDA_BINARY ??
  join(cpuBinary ? resolve(dirname(cpuBinary), '..') : join(root, 'build'), 'Release', 'effnet_native_cuda.node');

describe.skipIf(!existsSync(cudaAddon))('CUDA precision: the addon entries (no GPU needed)', () => {
  interface Entries {
    setCudaPrecision(...args: unknown[]): string;
    getCudaPrecision(): string;
  }
  const load = () => createRequire(import.meta.url)(cudaAddon) as Entries;

  it('set returns the previous name, get the current one; unknown names list the accepted ones', () => {
    const addon = load();
    const start = addon.getCudaPrecision();
    try {
      expect(CUDA_PRECISIONS).toContain(start);
      addon.setCudaPrecision('fp32');
      for (const mode of ['tf32', 'fp16', 'bf16', 'fp32']) {
        const before = addon.getCudaPrecision();
        expect(addon.setCudaPrecision(mode)).toBe(before);
        expect(addon.getCudaPrecision()).toBe(mode);
      }
      expect(() => addon.setCudaPrecision('fp8')).toThrow("setCudaPrecision: unknown precision 'fp8'; supported: fp32, tf32, fp16, bf16");
      expect(() => addon.setCudaPrecision()).toThrow('setCudaPrecision: expected a precision name (fp32, tf32, fp16, bf16)');
      expect(() => addon.setCudaPrecision(1)).toThrow('expected a precision name');
      expect(addon.getCudaPrecision()).toBe('fp32');
    } finally {
      addon.setCudaPrecision(start);
    }
  });
});
