// The fused MBConv block (EffnetMBConv) on native-cuda: experimental, off by default. When it is off
// the kernel is not registered on the GPU backends and models compose the block from standard ops
// (src/models/mbconv.ts checks the registry on every call); when on, one addon call runs the block.
import {findBackendFactory, getKernel, registerKernel, unregisterKernel} from '@tensorflow/tfjs-core';

import {effnetMBConvConfig} from './kernels/EffnetMBConv.js';

/** The backends whose kernels run on the CUDA addon (none when native-cuda is not registered). */
function gpuBackends(): string[] {
  return findBackendFactory('native-cuda') == null ? [] : ['native-cuda', 'native'];
}

/** Whether the fused MBConv kernel is registered on native-cuda. */
export function getCudaMBConvFusion(): boolean {
  return gpuBackends().some((name) => getKernel(effnetMBConvConfig.kernelName, name) != null);
}

/**
 * Registers (true) or unregisters (false) the fused MBConv kernel on native-cuda (and on `native`
 * where that runs on the GPU). Experimental: off by default; EFFNET_CUDA_MBCONV=1 turns it on at
 * load. Returns the previous setting. Does nothing where native-cuda is not registered.
 */
export function setCudaMBConvFusion(enabled: boolean): boolean {
  if (typeof enabled !== 'boolean') {
    throw new Error(`setCudaMBConvFusion: expected a boolean, got ${String(enabled)}`);
  }
  const previous = getCudaMBConvFusion();
  for (const name of gpuBackends()) {
    const registered = getKernel(effnetMBConvConfig.kernelName, name) != null;
    if (enabled && !registered) {
      registerKernel({kernelName: effnetMBConvConfig.kernelName, backendName: name, kernelFunc: effnetMBConvConfig.kernelFunc as never});
    } else if (!enabled && registered) {
      unregisterKernel(effnetMBConvConfig.kernelName, name);
    }
  }
  return previous;
}

/** Applies EFFNET_CUDA_MBCONV (read once, when the backends are registered). */
export function applyCudaMBConvEnvironment(): void {
  if (process.env.EFFNET_CUDA_MBCONV === '1') setCudaMBConvFusion(true);
}
