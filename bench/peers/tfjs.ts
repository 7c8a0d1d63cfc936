// The tfjs peers: tfjs-backend-cpu ('cpu', plain JavaScript) and tfjs-backend-wasm ('wasm',
// XNNPACK), both running the same TypeScript model code as native-cpu.
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as {version: string}).version;
  } catch {
    return '?';
  }
}

/** Registers tfjs-backend-cpu and makes sure it initialises. Returns a description. */
export async function setupCpuPeer(): Promise<string> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('tfjs-backend-cpu failed to initialise');
  return `@tensorflow/tfjs-backend-cpu ${packageVersion('@tensorflow/tfjs-backend-cpu')} (JavaScript kernels, one thread)`;
}

/** The three binaries tfjs-backend-wasm ships, found in its own dist folder in node_modules. */
export function wasmBinaries(): Record<string, string> {
  // The package's Node entry (dist/tf-backend-wasm.node.js) sits beside the .wasm files.
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const names = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
  return Object.fromEntries(names.map((n) => [n, join(dist, n)]));
}

/**
 * Registers tfjs-backend-wasm single-threaded with its .wasm files loaded from node_modules, and
 * initialises it. The multithreaded binary is ruled out (WASM_HAS_MULTITHREAD_SUPPORT false), so
 * the SIMD binary runs when the runtime has WebAssembly SIMD (Node >= 16 does); which one ran is
 * part of the description.
 */
export async function setupWasmPeer(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const files = wasmBinaries();
  wasm.setWasmPaths(files);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm failed to initialise');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threaded = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  const binary = simd ? (threaded ? 'tfjs-backend-wasm-threaded-simd.wasm' : 'tfjs-backend-wasm-simd.wasm') : 'tfjs-backend-wasm.wasm';
  return (
    `@tensorflow/tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')} (XNNPACK), ${binary} ` +
    `from node_modules, ${simd ? 'SIMD' : 'no SIMD'}, ${threaded ? 'multithreaded' : 'one thread'}`
  );
}
