// Runs code against the built CPU addon in a child Node process, so that a crash (a signal, an abort)
// fails the test that caused it instead of taking the test runner down.
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';

import {expect} from 'vitest';

import {cpuAddonCandidates} from '../../src/native.js';

export interface AddonChildOptions {
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Written to the child's stdin. */
  input?: string;
  timeoutMs?: number;
}

/**
 * Runs `node <args...> <addon path>`: `args` is a script file, or ['-e', source]; the script finds
 * the addon at process.argv[process.argv.length - 1] and writes one JSON value to stdout. Expects
 * the child to exit normally with status 0; returns the parsed JSON and the child's stderr.
 */
export function runWithAddon<T>(args: string[], options: AddonChildOptions = {}): {result: T; stderr: string} {
  const binary = cpuAddonCandidates().find((p) => existsSync(p));
  expect(binary, 'no built addon found').toBeDefined();
  const child = spawnSync(process.execPath, [...args, binary!], {
    encoding: 'utf8',
    input: options.input,
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 << 20,
    env: {...process.env, ...options.env},
  });
  expect(child.signal, `the child process died: ${child.stderr}`).toBeNull();
  expect(child.status, child.stderr).toBe(0);
  return {result: JSON.parse(child.stdout) as T, stderr: child.stderr};
}
