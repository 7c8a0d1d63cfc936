// effnet-native: importing this module registers the `native` and `native-cpu` tfjs backends.
import {registerNativeBackends} from './register.js';
import {IsaLevel, loadCpuAddon, NativeInfo} from './native.js';

registerNativeBackends();

export {NativeCpuBackend} from './backend.js';
export {BACKEND_NAMES, kernelConfigs, registerNativeBackends} from './register.js';
export type {NativeBackendName} from './register.js';
export type {IsaLevel, NativeInfo} from './native.js';

/**
 * Sets the number of threads the native kernels use (the calling thread included). 1 means all
 * work runs on one thread. The default is EFFNET_NUM_THREADS or the number of available cores.
 */
export function setThreads(count: number): number {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`setThreads: expected an integer >= 1, got ${count}`);
  }
  return loadCpuAddon().setThreads(count);
}

/** The number of threads the native kernels use. */
export function getThreads(): number {
  return loadCpuAddon().info().threads;
}

/**
 * Limits the instruction set the kernels use ('portable', 'avx2', 'avx512'); never above what the
 * CPU supports. EFFNET_ISA sets the same limit at load time. Returns the level in effect.
 */
export function setIsaLevel(level: IsaLevel): IsaLevel {
  const levels: IsaLevel[] = ['portable', 'avx2', 'avx512'];
  if (!levels.includes(level)) {
    throw new Error(`setIsaLevel: unknown level '${level}'; supported: ${levels.join(', ')}`);
  }
  return loadCpuAddon().setIsa(level);
}

/** The CPU engine's state: ISA levels, threads, native memory in use. */
export function nativeInfo(): NativeInfo {
  return loadCpuAddon().info();
}
