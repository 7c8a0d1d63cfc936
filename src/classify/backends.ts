// tfjs backends a model can run on, and activating one (in the main thread or a worker).
import * as tf from '@tensorflow/tfjs-core';

import {cudaStatus} from '../native_cuda.js';

export const MODEL_BACKENDS = ['native', 'native-cpu', 'native-cuda', 'cpu', 'wasm'] as const;
export type ModelBackend = (typeof MODEL_BACKENDS)[number];

export const CUDA_NOT_BUILT = 'CUDA: not built (the native-cuda backend is not part of this build)';

/** One line about the GPU: the device in use, or why CUDA is not used. */
export function gpuSummary(): string {
  const status = cudaStatus();
  if (status.available) {
    const d = status.device;
    return d
      ? `CUDA: ${d.name} (compute capability ${d.computeCapability}, ${(d.totalMemory / 2 ** 30).toFixed(1)} GiB), backend native-cuda`
      : 'CUDA: backend native-cuda';
  }
  if (!status.tried.some((a) => a.cause !== 'not-found') && !status.addonPath && !/disabled/.test(status.reason)) return CUDA_NOT_BUILT;
  return `CUDA: not used: ${status.reason}`;
}

/** Makes `name` tfjs's active backend (importing tfjs's cpu/wasm backends when asked for). */
export async function activateBackend(name: string): Promise<ModelBackend> {
  if (!(MODEL_BACKENDS as readonly string[]).includes(name)) {
    throw new Error(`unknown backend '${name}'; supported: ${MODEL_BACKENDS.join(', ')}`);
  }
  const backend = name as ModelBackend;
  if (backend === 'cpu' || backend === 'wasm') {
    const pkg = `@tensorflow/tfjs-backend-${backend}`;
    try {
      await import(pkg);
    } catch (e) {
      throw new Error(`backend '${backend}' needs ${pkg}, which could not be loaded (${(e as Error).message.split('\n')[0]}); install it with: npm install ${pkg}`);
    }
  }
  if (tf.findBackendFactory(backend) == null) {
    if (backend === 'native-cuda') throw new Error(`backend 'native-cuda' is not available: ${gpuSummary()}`);
    throw new Error(`backend '${backend}' is not registered`);
  }
  if (tf.getBackend() !== backend || tf.findBackend(backend) == null) {
    let ok: boolean;
    try {
      ok = await tf.setBackend(backend);
    } catch (e) {
      throw new Error(`backend '${backend}' could not be started: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!ok) throw new Error(`backend '${backend}' could not be started`);
  }
  await tf.ready();
  return backend;
}
