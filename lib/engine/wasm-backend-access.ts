/**
 * The few parts of the wasm backend's object that tsgan's wasm kernels use, typed locally so that the
 * kernels compile without importing `@tensorflow/tfjs-backend-wasm` (which would load it for everyone).
 *
 * A kernel receives `TensorInfo`s (data id, shape, dtype) whose bytes live in the WebAssembly heap. Views
 * on that heap go stale whenever it grows, and any allocation (`makeOutput`) may grow it, so kernels take
 * their views only after every output and temporary has been allocated.
 */
import * as tf from "@tensorflow/tfjs";

export type TensorInfo = tf.TensorInfo;
type DataId = TensorInfo["dataId"];

export interface WasmTensorData {
  /** The id the C++ side knows the buffer by. */
  id: number;
  /** Byte offset of the buffer in the WebAssembly heap. */
  memoryOffset: number;
  shape: number[];
  dtype: tf.DataType;
  refCount: number;
}

export interface WasmBackend {
  dataIdMap: { get(dataId: DataId): WasmTensorData | undefined };
  /** Allocates an uninitialised heap buffer for a new tensor. */
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  /** Drops one reference to the buffer; frees it when none are left. */
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
  /** A typed-array view on the tensor's bytes in the heap (stale after the heap grows). */
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  /** The single-threaded build exports its memory (`asm.memory`); the threaded build imports a shared one. */
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
}

/** The backend's heap, for loops that run on it (perf-simd.ts); undefined if this build hides it. */
export function wasmMemoryOf(backend: Pick<WasmBackend, "wasm">): WebAssembly.Memory | undefined {
  return backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
}

/** The signature every kernel function has; `backend` is the wasm backend object. */
export type WasmKernelFunc = (args: {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackend;
  attrs: Record<string, unknown>;
}) => TensorInfo | TensorInfo[];

/** The kernel function registered under `kernelName` for wasm; throws a clear error when there is none. */
export function wasmKernelFunc(kernelName: string): WasmKernelFunc {
  const config = tf.getKernel(kernelName, "wasm");
  if (!config) {
    throw new Error(
      `tsgan: the wasm backend has no '${kernelName}' kernel. Load @tensorflow/tfjs-backend-wasm ` +
        `(require it) before installing tsgan's wasm kernels.`,
    );
  }
  return config.kernelFunc as unknown as WasmKernelFunc;
}

/** A float32 heap view; use it at once, before anything else allocates. */
export function floatView(backend: WasmBackend, t: TensorInfo): Float32Array {
  const view = backend.typedArrayFromHeap(t);
  if (!(view instanceof Float32Array)) throw new Error(`tsgan wasm kernel: expected float32 data, got ${t.dtype}.`);
  return view;
}

/** A tensor description that shares `t`'s bytes under another shape (no copy, no new reference). */
export function viewAs(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/** Transposes `x` by `perm` with the wasm Transpose kernel (XNNPACK-speed copy); caller disposes the result. */
export function transposeWasm(backend: WasmBackend, x: TensorInfo, perm: number[]): TensorInfo {
  return wasmKernelFunc("Transpose")({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}

/** The permutation that swaps the last two axes of a rank-`rank` tensor. */
export function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}
