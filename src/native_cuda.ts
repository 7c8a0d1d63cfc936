// Loads the CUDA addon (effnet_native_cuda.node) and reports whether CUDA can be used on this machine.
// Candidates are tried by native.ts's loader (EFFNET_NATIVE_CUDA_BINARY, build/Release, prebuilds).
// The addon links the CUDA runtime statically and needs only the NVIDIA driver; loading it never
// touches the GPU. Without a driver or a GPU, cudaStatus() says why and `native` runs on the CPU.
import {BufferId, LoadAttempt, NativeAddon, tryLoadAddon} from './native.js';

/** What the CUDA addon's deviceInfo() entry reports about device 0. */
export interface CudaDeviceInfo {
  /** True when a GPU of compute capability 8.0 or newer can be used. */
  usable: boolean;
  /** Why CUDA is unusable ('' when usable). */
  reason: string;
  /** CUDA error name behind `reason` (cudaErrorInsufficientDriver, cudaErrorNoDevice, ...). */
  error: string;
  deviceCount: number;
  name: string;
  /** 'major.minor', e.g. '9.0'. */
  computeCapability: string;
  major: number;
  minor: number;
  totalMemory: number;
  freeMemory: number;
  multiprocessors: number;
  l2Bytes: number;
  /** CUDA version the driver supports (e.g. 13000 for 13.0); 0 without a driver. */
  driverVersion: number;
  /** CUDA runtime version linked into the addon. */
  runtimeVersion: number;
}

/** The CUDA addon's graph entries (binding_cuda/graph.cc). */
export interface CudaGraphEntries {
  captureBegin(): void;
  captureEnd(inputId: number, outputId: number): {graph: number; nodes: number; poolBytes: number};
  captureAbort(): boolean;
  capturing(): boolean;
  graphLaunch(graphId: number, xId: number): number;
  graphDispose(graphId: number): boolean;
  graphCount(): number;
}

/** The CUDA addon's entries beyond the CPU addon's interface. */
export interface CudaAddon extends NativeAddon, CudaGraphEntries {
  /**
   * Copies the buffer to the host off the JavaScript thread, after every op queued before the call;
   * the buffer may be freed meanwhile. Rejects with the CUDA error.
   */
  readAsync(id: BufferId, dtype: 'float32' | 'int32' | 'bool'): Promise<Float32Array | Int32Array | Uint8Array>;
  deviceInfo(): CudaDeviceInfo;
  synchronize(): void;
  emptyCache(): void;
}

/** Whether `native-cuda` is in use, and if not, why. */
export interface CudaStatus {
  /** True when the `native-cuda` backend is registered (and `native` runs on the GPU). */
  available: boolean;
  /** Why CUDA is not used ('' when available): binary not built, no driver, no device, driver too old, ... */
  reason: string;
  /** The CUDA addon that was loaded, if any. */
  addonPath?: string;
  /** The device report, when the addon loaded. */
  device?: CudaDeviceInfo;
  /** Every path tried for the addon and why each failed. */
  tried: LoadAttempt[];
}

let probed: {addon?: CudaAddon; status: CudaStatus} | undefined;

function probe(): {addon?: CudaAddon; status: CudaStatus} {
  if (process.env.EFFNET_NATIVE_CUDA === '0') {
    return {status: {available: false, reason: 'disabled by EFFNET_NATIVE_CUDA=0', tried: []}};
  }
  const result = tryLoadAddon<CudaAddon>('cuda');
  const tried = result.attempts;
  const addon = result.addon;
  if (addon === undefined) {
    const built = tried.find((a) => a.cause !== 'not-found');
    const reason = built
      ? `the CUDA addon did not load: ${built.path}: ${built.error}`
      : 'the CUDA addon (effnet_native_cuda.node) is not built: build with a CUDA toolkit (nvcc on PATH), ' +
        'or set EFFNET_NATIVE_CUDA_BINARY to a built effnet_native_cuda.node';
    return {status: {available: false, reason, tried}};
  }
  const addonPath = result.loaded?.path;
  if (typeof addon.deviceInfo !== 'function') {
    return {status: {available: false, reason: `${addonPath} is not the CUDA addon (no deviceInfo entry)`, addonPath, tried}};
  }
  let device: CudaDeviceInfo;
  try {
    device = addon.deviceInfo();
  } catch (e) {
    return {status: {available: false, reason: `deviceInfo failed: ${(e as Error).message}`, addonPath, tried}};
  }
  if (!device.usable) return {status: {available: false, reason: device.reason, addonPath, device, tried}};
  return {addon, status: {available: true, reason: '', addonPath, device, tried}};
}

/** Loads and probes the CUDA addon once; never throws. */
export function cudaStatus(): CudaStatus {
  probed ??= probe();
  return probed.status;
}

/** The CUDA addon when CUDA is usable, else undefined. */
export function loadCudaAddon(): CudaAddon | undefined {
  probed ??= probe();
  return probed.addon;
}

/** The CUDA addon; throws an Error saying why CUDA is not used when it is not. */
export function requireCudaAddon(): CudaAddon {
  const addon = loadCudaAddon();
  if (addon === undefined) throw new Error(`effnet-native: CUDA is not used: ${cudaStatus().reason}`);
  return addon;
}
