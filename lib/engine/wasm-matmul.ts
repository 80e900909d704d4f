/**
 * Fast transposed matrix products on the wasm backend.
 *
 * tfjs-backend-wasm 4.22 hands `transposeA`/`transposeB` to a slow path: about 1 GFLOP/s on this machine
 * against about 22 GFLOP/s for the same product without the flags. Every backward pass asks for exactly
 * those products (dW = xᵀ·dy, dx = dy·Wᵀ), so training ran at the slow speed. Copying the operand into
 * transposed order first costs one pass over it — O(size) against the product's O(size·n) — and then the
 * fast path does the rest. The wrappers below do that and leave the original kernels otherwise untouched.
 */
import { TensorInfo, WasmBackend, WasmKernelFunc, swapLastTwo, transposeWasm, viewAs } from "./wasm-backend-access";
import { gemmProduct } from "./wasm-gemm";

/**
 * `x` with its last two axes swapped, and whether the result is a new buffer the caller must free.
 * When one of the two axes has length 1 the bytes are already in transposed order: only the shape changes,
 * and a left operand takes that view as it is. A right operand never does: tfjs-wasm caches the XNNPACK
 * operator of a product, with its packed weights and their [k, n], under the right operand's tensor id
 * alone (batch_mat_mul_impl.cc: the key is (b id, bias id, activation)), so the same id under a second
 * shape would run the first shape's cached operator. A right operand gets its own copy (a vector: cheap).
 */
function transposedLastTwo(backend: WasmBackend, x: TensorInfo, rightOperand: boolean): { t: TensorInfo; owned: boolean } {
  const r = x.shape.length;
  if (r < 2) throw new Error(`tsgan wasm matMul: operands need rank >= 2, got shape [${x.shape}].`);
  const perm = swapLastTwo(r);
  const shape = perm.map((p) => x.shape[p]);
  if (x.shape[r - 1] === 1 || x.shape[r - 2] === 1) {
    if (!rightOperand) return { t: viewAs(x, shape), owned: false };
    const copy = backend.makeOutput(shape, x.dtype);
    backend.typedArrayFromHeap(copy).set(backend.typedArrayFromHeap(x));
    return { t: copy, owned: true };
  }
  return { t: transposeWasm(backend, x, perm), owned: true };
}

/** Elements that must be copied or packed to compute op(A)·op(B) one way or the other (see below). */
export function transposeCosts(
  aShape: number[],
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
): { direct: number; viaOutput: number } {
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  const r = aShape.length;
  const m = transposeA ? aShape[r - 1] : aShape[r - 2];
  const n = transposeB ? bShape[bShape.length - 2] : bShape[bShape.length - 1];
  const batch = Math.max(size(aShape.slice(0, -2)), size(bShape.slice(0, -2)));
  const a = size(aShape);
  const b = size(bShape);
  // XNNPACK packs the right operand on every call (a new tensor each training step), another pass over it.
  const direct = (transposeA ? a : 0) + (transposeB ? b : 0) + b;
  const viaOutput = (transposeA ? 0 : a) + (transposeB ? 0 : b) + a + batch * m * n;
  return { direct, viaOutput };
}

/**
 * Wraps a matmul-like wasm kernel (`BatchMatMul`, `_FusedMatMul`: inputs `a`, `b`, attrs `transposeA`,
 * `transposeB`) so that it never reaches the original with a transpose flag set.
 *
 * Two ways to get there: transpose the flagged operands ("direct"), or compute the transposed product
 * Cᵀ = op(B)ᵀ·op(A)ᵀ — where a flagged operand needs no copy at all — and transpose C ("viaOutput").
 * dx = dy·Wᵀ of a wide dense layer is the case for the second: W is large, dy and dx are small.
 * With a bias or activation (`_FusedMatMul`) only the direct way keeps their broadcasting right.
 */
export function withExplicitTransposes(original: WasmKernelFunc, canGoViaOutput = true): WasmKernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const transposeA = Boolean(attrs.transposeA);
    const transposeB = Boolean(attrs.transposeB);
    // tsgan's own product first (wasm-gemm.ts: no packing of B, transposes mostly free); tfjs's for the rest.
    if (inputs.preluActivationWeights == null) {
      const activation = (attrs.activation as string | undefined) ?? "linear";
      const alpha = attrs.leakyreluAlpha as number | undefined;
      const c = gemmProduct(backend, { a: inputs.a, b: inputs.b, transposeA, transposeB, bias: inputs.bias ?? undefined, activation, alpha });
      if (c) return c;
    }
    if (!transposeA && !transposeB) return original(args);
    const temporaries: TensorInfo[] = [];
    const flip = (x: TensorInfo, rightOperand: boolean): TensorInfo => {
      const { t, owned } = transposedLastTwo(backend, x, rightOperand);
      if (owned) temporaries.push(t);
      return t;
    };
    const plain = { ...attrs, transposeA: false, transposeB: false };
    const fused = inputs.bias != null || inputs.preluActivationWeights != null || (attrs.activation != null && attrs.activation !== "linear");
    const costs = transposeCosts(inputs.a.shape, inputs.b.shape, transposeA, transposeB);
    try {
      if (canGoViaOutput && !fused && costs.viaOutput < costs.direct) {
        const bT = transposeB ? inputs.b : flip(inputs.b, false);
        const aT = transposeA ? inputs.a : flip(inputs.a, true);
        const cT = original({ inputs: { ...inputs, a: bT, b: aT }, backend, attrs: plain }) as TensorInfo;
        const { t: c, owned } = transposedLastTwo(backend, cT, false);
        if (owned) temporaries.push(cT); // else c is cT's own buffer under the transposed shape
        return c;
      }
      const a = transposeA ? flip(inputs.a, false) : inputs.a;
      const b = transposeB ? flip(inputs.b, true) : inputs.b;
      return original({ inputs: { ...inputs, a, b }, backend, attrs: plain });
    } finally {
      for (const t of temporaries) backend.disposeData(t.dataId);
    }
  };
}
