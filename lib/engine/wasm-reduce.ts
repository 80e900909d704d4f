/**
 * `Sum` and `Mean` over leading axes on the wasm backend, without the transpose.
 *
 * Conv nets reduce NHWC tensors over batch and space, axes [0, 1, 2], for every bias gradient and every batch
 * norm's mean: a column sum of the [N·H·W, C] matrix. tfjs-backend-wasm reduces only innermost axes, so it first
 * transposes the whole tensor (one more pass over it, at a strided gather's speed) and then sums each channel:
 * 9–10 ms for one DCGAN activation gradient [64, 28, 28, 64], and 68 Sum + 32 Mean calls per DCGAN step.
 *
 * Here the rows are added into the output four channels per SIMD instruction, in row order: each output is
 * 0 + x₀ + x₁ + … in float32, the very additions (and order) of tfjs's kernel after its transpose, so the
 * results are the stock kernel's bit for bit (tested). Mean then divides by the row count in float32, as the
 * stock kernel does. Anything else — other axes, int32, every axis — goes to tfjs's kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { AsmFunction, I32, assembleModule, isSharedMemory, op } from "./wasm-asm";
import { TensorInfo, WasmBackend, WasmKernelFunc, floatView, wasmMemoryOf } from "./wasm-backend-access";

/**
 * columnSum(x, out, xEnd, rowBytes): out[0 .. rowBytes) += each row of x from byte offset x to xEnd, rowBytes
 * apart; rowBytes is a multiple of 16 (four float32 lanes). The output must hold the starting value (zeros).
 */
function columnSumFunction(): AsmFunction {
  const X = 0, OUT = 1, X_END = 2, ROW_BYTES = 3, P = 4, J = 5;
  const body = [
    ...op.get(X), ...op.set(P),
    ...op.block, ...op.loop,
    ...op.get(P), ...op.get(X_END), ...op.i32geu, ...op.brIf(1),
    ...op.i32const(0), ...op.set(J),
    ...op.block, ...op.loop,
    ...op.get(J), ...op.get(ROW_BYTES), ...op.i32geu, ...op.brIf(1),
    ...op.get(OUT), ...op.get(J), ...op.i32add,
    ...op.get(OUT), ...op.get(J), ...op.i32add, ...op.v128load(),
    ...op.get(P), ...op.get(J), ...op.i32add, ...op.v128load(),
    ...op.add,
    ...op.v128store(),
    ...op.get(J), ...op.i32const(16), ...op.i32add, ...op.set(J),
    ...op.br(0),
    ...op.end, ...op.end,
    ...op.get(P), ...op.get(ROW_BYTES), ...op.i32add, ...op.set(P),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
  return { name: "columnSum", params: [I32, I32, I32, I32], locals: [[2, I32]], body };
}

export interface ReduceLoops {
  columnSum(x: number, out: number, xEnd: number, rowBytes: number): void;
}

const instances = new WeakMap<WebAssembly.Memory, ReduceLoops | null>();

/** The loop bound to the backend's memory, or null where WebAssembly SIMD is missing (then JavaScript sums). */
export function reduceLoopsFor(memory: WebAssembly.Memory): ReduceLoops | null {
  if (instances.has(memory)) return instances.get(memory)!;
  let loops: ReduceLoops | null = null;
  try {
    const module = new WebAssembly.Module(assembleModule([columnSumFunction()], isSharedMemory(memory)));
    loops = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as ReduceLoops;
  } catch {
    loops = null;
  }
  instances.set(memory, loops);
  return loops;
}

/** Column sums of x viewed as [rows, cols] into `out` (zeroed here), in float32 and row order. Exported for tests. */
export function columnSums(backend: WasmBackend, x: TensorInfo, out: TensorInfo, rows: number, cols: number, useSimd = true): void {
  const memory = wasmMemoryOf(backend);
  const loops = useSimd && memory && cols % 4 === 0 ? reduceLoopsFor(memory) : null;
  const acc = floatView(backend, out);
  acc.fill(0);
  if (loops) {
    const xAt = backend.dataIdMap.get(x.dataId)!.memoryOffset;
    loops.columnSum(xAt, backend.dataIdMap.get(out.dataId)!.memoryOffset, xAt + rows * cols * 4, cols * 4);
    return;
  }
  // A Float32Array element rounds each float64 sum of two float32s to float32: exactly a float32 addition.
  const xs = floatView(backend, x);
  for (let r = 0, at = 0; r < rows; r++, at += cols) {
    for (let c = 0; c < cols; c++) acc[c] += xs[at + c];
  }
}

/**
 * k when the reduced axes are exactly the leading ones 0, 1, …, k − 1 (0 < k < rank) in that order; else null.
 * The order matters: tfjs's kernel sums over the axes in the order given, so [1, 0] adds rows in another order.
 */
function leadingAxes(axis: unknown, shape: number[]): number | null {
  const axes = tf.util.parseAxisParam(axis as number | number[], shape);
  const k = axes.length;
  if (k === 0 || k >= shape.length || axes.some((a, i) => a !== i)) return null;
  return k;
}

/** Wraps tfjs's `Sum` or `Mean` kernel with the leading-axes path. */
export function leadingAxesReduction(kind: "sum" | "mean", original: WasmKernelFunc): WasmKernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x;
    if (x.dtype !== "float32" || x.shape.length < 2) return original(args);
    const k = leadingAxes(attrs.axis, x.shape);
    if (k === null) return original(args);
    const rows = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
    const kept = x.shape.slice(k);
    const cols = kept.reduce((p, d) => p * d, 1);
    // One column is a whole-tensor sum, which tfjs's kernel does without a transpose.
    if (rows === 0 || cols <= 1) return original(args);
    const out = backend.makeOutput(kept, "float32");
    columnSums(backend, x, out, rows, cols);
    if (kind === "mean") {
      const acc = floatView(backend, out);
      const count = Math.fround(rows); // the stock kernel divides by the count as a float32
      for (let c = 0; c < cols; c++) acc[c] = acc[c] / count;
    }
    if (attrs.keepDims) {
      const shape = [...new Array<number>(k).fill(1), ...kept];
      const data = backend.dataIdMap.get(out.dataId);
      if (data) data.shape = shape;
      return { dataId: out.dataId, shape, dtype: "float32" };
    }
    return out;
  };
}
