/**
 * `GatherV2` on the wasm backend as row copies. tfjs-backend-wasm 4.22's Gather walks every element through a
 * general strided index computation: 64 rows of a [10, 784] table took 3.3 ms here (about 65 ns per element),
 * and a conditional GAN gathers its label embeddings and its batches every step (5 calls, 12.9 ms of a 142 ms
 * CGAN step in `bench:profile`). Gathering along an axis is copying `inner`-long contiguous runs, one per
 * (batch, outer index, gathered index): for runs that long a typed-array `set` (a memcpy) does it.
 *
 * With batchDims > 0 the stock kernel returns garbage (tf.gather of a [3, 4, 5] by [3, 2] indices, axis 1,
 * batchDims 1: the third batch's rows come out as denormals and infinities; the cpu backend is right), so this
 * one handles every batchDims and sends only strings and complex numbers to the stock kernel. Indices are
 * checked as the stock kernel checks them (the same message), so a wrong index is an error on every backend.
 */
import * as tf from "@tensorflow/tfjs";
import { TensorInfo, WasmKernelFunc } from "./wasm-backend-access";

/** Runs shorter than this are copied element by element: a subarray + set costs more than the loop. */
const COPY_WITH_SET = 16;

/**
 * out[b, o, j, :] = x[b, o, indices[b, j], :] for x viewed as [batch, outer, dim, inner], indices as
 * [batch, n] and out as [batch, outer, n, inner]. Exported for tests.
 */
export function gatherRuns<T extends Float32Array | Int32Array | Uint8Array>(
  x: T, indices: Int32Array, batch: number, outer: number, dim: number, inner: number, out: T,
): void {
  const n = indices.length / batch;
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outer; o++) {
      const xBase = (b * outer + o) * dim;
      const outBase = (b * outer + o) * n;
      for (let j = 0; j < n; j++) {
        const src = (xBase + indices[b * n + j]) * inner;
        const dst = (outBase + j) * inner;
        if (inner >= COPY_WITH_SET) out.set(x.subarray(src, src + inner), dst);
        else for (let k = 0; k < inner; k++) out[dst + k] = x[src + k];
      }
    }
  }
}

export function gatherByRows(original: WasmKernelFunc): WasmKernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x, indices } = inputs;
    const numeric = x.dtype === "float32" || x.dtype === "int32" || x.dtype === "bool";
    if (!numeric || indices.dtype !== "int32") return original(args);
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
      x as unknown as tf.Tensor, indices as unknown as tf.Tensor, axis, Number(attrs.batchDims ?? 0),
    );
    const dim = info.dimSize;
    const idx = backend.typedArrayFromHeap(indices) as Int32Array;
    for (let i = 0; i < idx.length; i++) {
      const index = idx[i];
      if (!(index >= 0 && index <= dim - 1)) throw new Error(`GatherV2: the index value ${index} is not in [0, ${dim - 1}]`);
    }
    const out: TensorInfo = backend.makeOutput(info.outputShape, x.dtype);
    if (tf.util.sizeFromShape(info.outputShape) === 0) return out;
    // Views only now: makeOutput may have grown (and so moved) the heap.
    const xView = backend.typedArrayFromHeap(x) as Float32Array;
    const outView = backend.typedArrayFromHeap(out) as Float32Array;
    gatherRuns(xView, backend.typedArrayFromHeap(indices) as Int32Array, info.batchSize, info.outerSize, dim, info.sliceSize, outView);
    return out;
  };
}
