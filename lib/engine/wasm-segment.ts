/**
 * `UnsortedSegmentSum` for the wasm backend: out[s, ...] = Σ_{i : ids[i] = s} x[i, ...]. It is the gradient
 * of `gather`, so every embedding layer's weight gradient needs it, and tfjs-backend-wasm 4.22 lacks it.
 *
 * One pass over x, adding each row into its segment's row; ids outside [0, numSegments) are dropped, as
 * TensorFlow does. Rows are short (an embedding width), so a plain loop over the heap beats composing
 * kernels (the cpu backend builds one mask per segment: O(numSegments · size)).
 */
import * as tf from "@tensorflow/tfjs";
import { WasmKernelFunc } from "./wasm-backend-access";

/** Sums rows of `x` (row length `inner`) into `out` by `ids`; `out` must start zeroed. Exported for tests. */
export function segmentSumRows(
  x: Float32Array | Int32Array,
  ids: Int32Array,
  inner: number,
  numSegments: number,
  out: Float32Array | Int32Array,
): void {
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += x[src + k];
  }
}

export const unsortedSegmentSumWasm: WasmKernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs;
  const numSegments = Number(attrs.numSegments);
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`tsgan wasm UnsortedSegmentSum: numSegments must be a non-negative integer, got ${attrs.numSegments}.`);
  }
  if (segmentIds.dtype !== "int32") {
    throw new Error(`tsgan wasm UnsortedSegmentSum: segmentIds must be int32, got ${segmentIds.dtype}.`);
  }
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new Error(`tsgan wasm UnsortedSegmentSum: x must be float32 or int32, got ${x.dtype}.`);
  }
  const idRank = segmentIds.shape.length;
  if (x.shape.slice(0, idRank).join() !== segmentIds.shape.join()) {
    throw new Error(
      `tsgan wasm UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x's shape [${x.shape}].`,
    );
  }
  const innerShape = x.shape.slice(idRank);
  const inner = tf.util.sizeFromShape(innerShape);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  // Views only now: makeOutput may have grown (and so moved) the heap.
  const outView = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  outView.fill(0);
  segmentSumRows(
    backend.typedArrayFromHeap(x) as Float32Array | Int32Array,
    backend.typedArrayFromHeap(segmentIds) as Int32Array,
    inner,
    numSegments,
    outView,
  );
  return out;
};
