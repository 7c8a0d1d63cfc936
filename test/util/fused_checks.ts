// Pieces shared by the fused-kernel tests (test/head.test.ts, test/mbconv_fused.test.ts): their
// setup, bad input to a kernel giving its errors without leaking tensors, and two outputs agreeing
// relative to their scale.
import {afterAll, beforeAll, expect} from 'vitest';

import {getThreads, setThreads} from '../../src/index.js';
import {tf} from './reference.js';

/**
 * Switches to `backend` before the file's tests; after them puts the thread count back and calls
 * `restore` (for the settings the tests change, such as a fusion switch).
 */
export function useBackendForFile(backend: string, restore: () => void): void {
  let savedThreads = 1;
  beforeAll(async () => {
    savedThreads = getThreads();
    await tf.setBackend(backend);
  });
  afterAll(() => {
    setThreads(savedThreads);
    restore();
  });
}

/** Changes a valid call's inputs and attributes in place (may replace or delete inputs). */
export type Mutation = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => void;

/** A valid call of the kernel: tensors made fresh (all are disposed after the call). */
export type ValidCall = () => {inputs: Record<string, tf.Tensor>; attrs: Record<string, unknown>};

/** Runs `kernel` on the valid call changed by `mutate`; returns the error message (or '' when none). */
export function kernelFailure(kernel: string, valid: ValidCall, mutate: Mutation): string {
  const {inputs, attrs} = valid();
  const made: tf.Tensor[] = Object.values(inputs);
  try {
    mutate(inputs, attrs);
    made.push(...Object.values(inputs));
    const y = tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
    y.dispose();
    return '';
  } catch (e) {
    return (e as Error).message;
  } finally {
    tf.dispose(made);
  }
}

/**
 * The valid call runs; each labelled mutation of it fails with a message matching its pattern; no
 * tensor is left behind.
 */
export function expectKernelErrors(kernel: string, valid: ValidCall, cases: Array<[string, Mutation, RegExp]>): void {
  const before = tf.memory().numTensors;
  expect(kernelFailure(kernel, valid, () => {})).toBe('');
  for (const [label, mutate, pattern] of cases) {
    expect(kernelFailure(kernel, valid, mutate), label).toMatch(pattern);
  }
  expect(tf.memory().numTensors).toBe(before);
}

/** max |actual - expected| is below `tolerance` times max |expected| (which must be > 0). */
export function expectRelativelyClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  let maxAbs = 0;
  let maxErr = 0;
  for (let i = 0; i < expected.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
    maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
  }
  expect(maxAbs).toBeGreaterThan(0);
  expect(maxErr / maxAbs).toBeLessThan(tolerance);
}
