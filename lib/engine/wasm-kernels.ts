/**
 * Makes the wasm backend complete and fast for training.
 *
 * - `BatchMatMul`, `_FusedMatMul`: replaced by tsgan's own SIMD product, which reads the right operand as it
 *   is instead of packing it on every call and takes transposed operands through strides (wasm-gemm.ts);
 *   shapes it does not take go to tfjs's kernel with operands transposed explicitly, never with the slow
 *   transpose flags (wasm-matmul.ts).
 * - `Conv2DBackpropFilter` (conv weight gradients) and `UnsortedSegmentSum` (embedding gradient): added;
 *   tfjs-backend-wasm 4.22 lacks them (see wasm-conv.ts, wasm-segment.ts).
 * - `TsganDense`, `TsganActivationGrad`: a dense layer and its activation as one op each way (fused-dense.ts).
 * - `TsganSigmoidCrossEntropy`, `TsganSigmoidCrossEntropyGrad`: the GAN losses' cross-entropy on logits as one
 *   op each way (fused-cross-entropy.ts); `TsganGlobalNorm`: the loop's gradient norm as one op (global-norm.ts).
 * - `Identity`: shares its input's buffer, as Reshape does, instead of copying it (see `sharedIdentity`).
 * - `GatherV2`: row copies instead of a per-element strided walk (see wasm-gather.ts).
 * - `Sum`, `Mean` over leading axes (conv bias gradients, batch-norm means): column sums without tfjs's
 *   transpose of the whole tensor (see wasm-reduce.ts).
 * - `ResizeNearestNeighborGrad` (upSampling2d's gradient) for whole factors: block sums (see wasm-resize.ts).
 * - cpu `ResizeNearestNeighborGrad` (upSampling2d's gradient): corrected, since the cpu backend is both the
 *   fallback engine and the reference wasm is tested against (see wasm-cpu-fixes.ts).
 *
 * Kernels are registered per (kernel name, backend name) in a global registry, so switching backends with
 * `tf.setBackend` keeps them; the wasm backend object is created once and keeps its kernel setup too.
 */
import * as tf from "@tensorflow/tfjs";
import { WasmKernelFunc } from "./wasm-backend-access";
import { installCpuKernelFixes } from "./wasm-cpu-fixes";
import { col2imBackpropInput, conv2DBackpropFilterWasm, im2colConv2D } from "./wasm-conv";
import { CROSS_ENTROPY_WASM_KERNELS } from "./fused-cross-entropy";
import { FUSED_DENSE_WASM_KERNELS } from "./fused-dense";
import { GLOBAL_NORM_WASM_KERNELS } from "./global-norm";
import { gatherByRows } from "./wasm-gather";
import { withExplicitTransposes } from "./wasm-matmul";
import { leadingAxesReduction } from "./wasm-reduce";
import { blockSumResizeGrad } from "./wasm-resize";
import { unsortedSegmentSumWasm } from "./wasm-segment";

/** Marks kernel functions that tsgan registered, so a second install leaves them alone. */
const TSGAN_KERNEL = Symbol.for("tsgan.wasmKernel");

function isOurs(kernelName: string): boolean {
  const config = tf.getKernel(kernelName, "wasm");
  return config !== undefined && (config.kernelFunc as unknown as Record<symbol, unknown>)[TSGAN_KERNEL] === true;
}

function mark(f: WasmKernelFunc): tf.KernelFunc {
  (f as unknown as Record<symbol, unknown>)[TSGAN_KERNEL] = true;
  return f as unknown as tf.KernelFunc;
}

/** The stock kernels tsgan replaced, by name: the reference its own kernels are tested against. */
const stockKernels = new Map<string, WasmKernelFunc>();

/** tfjs-backend-wasm's own kernel that tsgan replaced under `kernelName` (undefined before the install). */
export function stockWasmKernel(kernelName: string): WasmKernelFunc | undefined {
  return stockKernels.get(kernelName);
}

/** Replaces a registered wasm kernel by `wrap(original)`, keeping its setup function. */
function wrapKernel(kernelName: string, wrap: (original: WasmKernelFunc) => WasmKernelFunc): void {
  if (isOurs(kernelName)) return;
  const config = tf.getKernel(kernelName, "wasm");
  if (!config) {
    throw new Error(`tsgan: the wasm backend has no '${kernelName}' kernel to speed up; is @tensorflow/tfjs-backend-wasm 4.22 loaded?`);
  }
  const original = config.kernelFunc as unknown as WasmKernelFunc;
  stockKernels.set(kernelName, original);
  tf.unregisterKernel(kernelName, "wasm");
  tf.registerKernel({ ...config, kernelFunc: mark(wrap(original)) });
}

/** Registers a kernel wasm lacks; leaves one that is already there (ours, or a future tfjs's own). */
function addKernel(kernelName: string, kernelFunc: WasmKernelFunc): void {
  if (tf.getKernel(kernelName, "wasm")) return;
  tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: mark(kernelFunc) });
}

/**
 * Identity without the copy. The engine runs Identity for every tensor a gradient saves (`clone` in
 * `saveTensorsForBackwardMode`): on wasm each was a heap allocation and a memcpy, 82 of the toy GAN's 292
 * kernel calls per step. Tensors are immutable, so a clone can share the buffer with a reference count, as
 * the wasm Reshape and the cpu backend's Identity do. What made sharing unsafe was not a write but a cache:
 * tfjs-wasm keeps each product's XNNPACK operator, weights packed for one [k, n], under the right operand's
 * tensor id alone, and the backward pass used to see saved tensors under fresh ids only. With shared ids,
 * a right operand transposed by a mere view (a length-1 axis) reused the forward pass's operator of the
 * other shape: WGAN-GP's penalty and SN-GAN's gradients came out wrong. wasm-matmul.ts now copies such a
 * right operand, and the tests train every bench model bit for bit alike with either Identity.
 * Strings keep the stock kernel (they do not live in the heap).
 */
export function sharedIdentity(original: WasmKernelFunc): WasmKernelFunc {
  return (args) => {
    const x = args.inputs.x;
    if (x.dtype === "string") return original(args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  };
}

/** The kernels tsgan adds or replaces on wasm, for reports and tests. */
export const WASM_KERNELS = {
  replaced: ["BatchMatMul", "_FusedMatMul", "Conv2D", "FusedConv2D", "Conv2DBackpropInput", "Identity", "GatherV2", "Sum", "Mean", "ResizeNearestNeighborGrad"],
  added: [
    "Conv2DBackpropFilter", "UnsortedSegmentSum", "TsganDense", "TsganActivationGrad",
    "TsganSigmoidCrossEntropy", "TsganSigmoidCrossEntropyGrad", "TsganGlobalNorm",
  ],
} as const;

/**
 * Installs tsgan's wasm kernels. Idempotent; call it after `@tensorflow/tfjs-backend-wasm` is loaded
 * (before or after `tf.setBackend("wasm")`).
 */
export function installWasmKernels(): void {
  require("@tensorflow/tfjs-backend-wasm"); // registers the stock wasm kernels (no-op when already loaded)
  wrapKernel("BatchMatMul", withExplicitTransposes);
  wrapKernel("_FusedMatMul", withExplicitTransposes);
  wrapKernel("Identity", sharedIdentity);
  wrapKernel("GatherV2", gatherByRows);
  wrapKernel("Sum", (stock) => leadingAxesReduction("sum", stock));
  wrapKernel("Mean", (stock) => leadingAxesReduction("mean", stock));
  wrapKernel("ResizeNearestNeighborGrad", blockSumResizeGrad);
  // Conv2D/FusedConv2D as im2col + tsgan's product, on every thread (XNNPACK's pool has one: wasm-threads.ts).
  wrapKernel("Conv2D", im2colConv2D);
  wrapKernel("FusedConv2D", im2colConv2D);
  wrapKernel("Conv2DBackpropInput", col2imBackpropInput);
  addKernel("Conv2DBackpropFilter", conv2DBackpropFilterWasm);
  addKernel("UnsortedSegmentSum", unsortedSegmentSumWasm);
  // A dense layer with its activation as one op (fused-dense.ts): the toy networks' per-op overhead.
  for (const [name, func] of FUSED_DENSE_WASM_KERNELS) addKernel(name, func as WasmKernelFunc);
  // The same for the losses' cross-entropy and the loop's gradient norm (fused-cross-entropy.ts, global-norm.ts).
  for (const [name, func] of [...CROSS_ENTROPY_WASM_KERNELS, ...GLOBAL_NORM_WASM_KERNELS]) addKernel(name, func as WasmKernelFunc);
  installCpuKernelFixes();
}

/** True when every kernel `installWasmKernels` provides is registered (for tests). */
export function wasmKernelsInstalled(): boolean {
  return [...WASM_KERNELS.replaced, ...WASM_KERNELS.added].every((k) => tf.getKernel(k, "wasm") !== undefined && isOurs(k));
}

export { installCpuKernelFixes } from "./wasm-cpu-fixes";
