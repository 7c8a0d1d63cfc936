// The `native-cuda` tfjs backend: the native-cpu backend's storage and kernels (src/kernels/ call one
// addon entry each) over the CUDA addon, whose entries take the same option objects. Tensors live in
// device memory: write() uploads, read() and readSync() download, nothing else crosses the bus. A
// kernel whose entry the CUDA addon lacks throws an Error naming the kernel: nothing falls back to the
// host silently.
import {backend_util, BackendTimingInfo, DataId, util} from '@tensorflow/tfjs-core';

import {NativeCpuBackend} from './backend.js';
import type {CudaAddon, CudaDeviceInfo} from './native_cuda.js';

/**
 * Kernels of native-cpu not registered on native-cuda: models compose these from other kernels when
 * the backend lacks them. The fused MBConv block's CUDA kernel is experimental: setCudaMBConvFusion(true)
 * or EFFNET_CUDA_MBCONV=1 registers it (src/cuda_mbconv.ts). The fused head's CUDA kernel passes
 * test/gpu/head.test.ts on an H200 (which registers it for its own checks) but has not been timed yet.
 */
export const CUDA_UNREGISTERED_KERNELS: readonly string[] = ['EffnetMBConv', 'EffnetStemMBConv', 'EffnetHead'];

export class NativeCudaBackend extends NativeCpuBackend {
  readonly cuda: CudaAddon;

  constructor(addon: CudaAddon) {
    super(addon);
    this.cuda = addon;
  }

  /**
   * Downloads the tensor without blocking the event loop: the wait for the kernels queued so far and
   * the copy run on a worker thread. The device buffer is held until the copy ends, so the tensor may
   * be disposed as soon as read() has been called. readSync() stays a blocking download.
   */
  override async read(dataId: DataId): Promise<backend_util.BackendValues> {
    const entry = this.entry(dataId);
    if (entry.strings != null) return entry.strings;
    return this.cuda.readAsync(entry.buffer!, entry.dtype as 'float32' | 'int32' | 'bool');
  }

  /** Times `f` including the GPU work it queued (waits for the stream before stopping the clock). */
  override async time(f: () => void): Promise<BackendTimingInfo> {
    const start = util.now();
    f();
    this.cuda.synchronize();
    return {kernelMs: util.now() - start};
  }

  override run(entry: string, options: object): void {
    const fn = this.cuda[entry];
    if (typeof fn !== 'function') {
      const op = (options as {op?: unknown}).op;
      const kernel = typeof op === 'string' ? op : entry;
      throw new Error(`native-cuda: ${kernel}: no CUDA implementation yet (addon entry '${entry}'); ` +
        `use the 'native-cpu' backend for this model`);
    }
    (fn as (o: object) => void)(options);
  }

  override memory(): {unreliable: boolean; reasons?: string[]} & {numBytesInNative: number; numNativeBuffers: number} & {
    numBytesInGPU: number;
    numBytesInGPUAllocated: number;
  } {
    const info = this.cuda.info() as ReturnType<CudaAddon['info']> & {bytesReserved?: number};
    return {
      unreliable: false,
      numBytesInNative: info.bytesInUse,
      numNativeBuffers: info.buffers,
      numBytesInGPU: info.bytesInUse,
      numBytesInGPUAllocated: info.bytesReserved ?? info.bytesInUse,
    };
  }

  /** The device this backend runs on. */
  deviceInfo(): CudaDeviceInfo {
    return this.cuda.deviceInfo();
  }
}
