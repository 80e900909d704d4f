/**
 * tsgan's matrix product on the wasm heap (the kernel: wasm-gemm-kernel.ts): how a tensor product is laid on
 * the kernel, and a second thread for it in the threaded build (wasm-gemm-worker.ts).
 */
import { TensorInfo, WasmBackend, swapLastTwo, transposeWasm, wasmMemoryOf } from "./wasm-backend-access";
import { ALIASING_STRIDE, GEMM_LEAKY_RELU, GEMM_LINEAR, GEMM_RELU, GemmJob, gemmFor, runBand } from "./wasm-gemm-kernel";
import { helpersFor } from "./wasm-gemm-thread";

export { GEMM_LINEAR, GEMM_RELU, GEMM_LEAKY_RELU, gemmFor } from "./wasm-gemm-kernel";

// --- Planning a product on tensors ---------------------------------------------------------------------------

/** An activation the kernel applies, by tfjs's `_FusedMatMul` name; others are not taken here. */
const ACTIVATION_CODES: Record<string, number> = { linear: GEMM_LINEAR, relu: GEMM_RELU, leakyrelu: GEMM_LEAKY_RELU };

export interface GemmRequest {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  bias?: TensorInfo;
  /** tfjs's `_FusedMatMul` activation name: "linear", "relu" or "leakyrelu". */
  activation?: string;
  alpha?: number;
}

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/** Below this many multiply-adds (about 40 µs on one thread) waking the second thread costs more than it saves. */
const PARALLEL_MIN_MULTIPLY_ADDS = 1 << 20;

/**
 * op(A)·op(B) (+ bias, activation) on the wasm heap with the kernel above, or null when this product is not
 * one it takes — then the caller runs tfjs's kernel. Taken: float32, rank ≥ 2 with equal batch dimensions or
 * one side's all 1, K ≥ 1, a bias of exactly N elements, and an output width (N, or M when C is written
 * transposed) that is a multiple of 4.
 *
 * Two ways to lay a product on the kernel, which wants its right operand row-major over the output's columns:
 * - as it is: A through strides (either layout), B as [K, N] — free unless B is stored transposed ([N, K]),
 *   which costs a transposed copy of B;
 * - transposed: Cᵀ = op(B)ᵀ·op(A)ᵀ, B through strides, op(A)ᵀ as [K, M] — free when A is stored transposed,
 *   else a transposed copy of A — and C written back transposed. No bias or activation this way.
 * The cheaper copy wins; in the backward pass dx = dy·Wᵀ goes the second way, copying the batch-sized dy
 * rather than the weights.
 */
export function gemmProduct(backend: WasmBackend, req: GemmRequest): TensorInfo | null {
  const { a, b, transposeA, transposeB, bias } = req;
  const act = ACTIVATION_CODES[req.activation ?? "linear"];
  if (act === undefined || a.dtype !== "float32" || b.dtype !== "float32") return null;
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== kB || K < 1 || M < 1 || N < 1) return null;
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = size(outerA), batchB = size(outerB);
  let outer: number[];
  if (outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i])) outer = outerA;
  else if (batchB === 1 && outerB.length <= outerA.length) outer = outerA;
  else if (batchA === 1 && outerA.length <= outerB.length) outer = outerB;
  else return null;
  const batch = size(outer);
  // A bias that broadcasts along C's rows only: [N], [1, N], [1, 1, N]… (a [N, 1] column would not).
  if (bias !== undefined) {
    const rowVector = bias.shape.length >= 1 && bias.shape[bias.shape.length - 1] === N && size(bias.shape) === N;
    if (bias.dtype !== "float32" || !rowVector) return null;
  }
  const fused = bias !== undefined || act !== GEMM_LINEAR;

  const asIs = N % 4 === 0 ? (transposeB ? batchB * K * N : 0) : Infinity;
  const flipped = !fused && M % 4 === 0 ? (transposeA ? 0 : batchA * M * K) : Infinity;
  if (asIs === Infinity && flipped === Infinity) return null;
  const memory = wasmMemoryOf(backend);
  const kernel = memory ? gemmFor(memory) : null;
  if (!kernel) return null;

  const out = backend.makeOutput([...outer, M, N], "float32");
  const temporaries: TensorInfo[] = [];
  try {
    const transposedCopy = (x: TensorInfo) => {
      const t = transposeWasm(backend, x, swapLastTwo(x.shape.length));
      temporaries.push(t);
      return t;
    };
    // The kernel's operands, as it sees them: rows × depth on the left, depth × cols on the right.
    const goAsIs = asIs <= flipped;
    const rows = goAsIs ? M : N, cols = goAsIs ? N : M;
    // Left: op(A) as it is, or op(B)ᵀ when flipped; "depth-major" when stored [.., K, rows] (read by columns).
    let left = goAsIs ? a : b;
    let leftDepthMajor = goAsIs ? transposeA : !transposeB;
    const leftBatch = goAsIs ? batchA : batchB;
    // Read by columns, consecutive k are one row of the stored matrix apart; at a multiple of 4 KiB they all
    // fall in one set of the L1 cache and evict each other (a [64, 1024] x in dW = xᵀ·dy: 14 G/s against 23):
    // one transposed copy makes them consecutive.
    if (leftDepthMajor && (4 * rows) % ALIASING_STRIDE === 0) {
      left = transposedCopy(left);
      leftDepthMajor = false;
    }
    // Right: [.., K, cols] row-major — B (transposed copy if stored [N, K]), or op(A)ᵀ when flipped.
    const right = goAsIs ? (transposeB ? transposedCopy(b) : b) : transposeA ? a : transposedCopy(a);
    const rightBatch = goAsIs ? batchB : batchA;
    // The same cache sets for the right operand's rows; there the copy is into 8-column panels (`pack`).
    const panels = (4 * cols) % ALIASING_STRIDE === 0 && K > 1 ? backend.makeOutput([K * cols], "float32") : null;
    if (panels) temporaries.push(panels);
    // Copies are made; offsets are read only now.
    const offset = (t: TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    const c0 = offset(out), left0 = offset(left), right0 = offset(right);
    const bias0 = bias ? offset(bias) : 0;
    const alpha = Math.fround(req.alpha ?? 0);
    const [sai, sak] = leftDepthMajor ? [4, 4 * rows] : [4 * K, 4];
    // C[i, j] at c + i·sci + j·scj: the kernel's rows are C's rows, or its columns when flipped.
    const [sci, scj] = goAsIs ? [4 * N, 4] : [4, 4 * N];
    const helpers = helpersFor(memory!);
    let packedSlice = -1;
    for (let s = 0; s < batch; s++) {
      const rightSlice = rightBatch === 1 ? 0 : s;
      let right = right0 + 4 * rightSlice * K * cols;
      if (panels) {
        if (packedSlice !== rightSlice) kernel.pack(right, offset(panels), K, cols, 4 * cols);
        packedSlice = rightSlice;
        right = offset(panels);
      }
      const job: GemmJob = {
        left: left0 + 4 * (leftBatch === 1 ? 0 : s) * rows * K, right, c: c0 + 4 * s * M * N, bias: bias0,
        rows, cols, depth: K, sai, sak, sci, scj, act, alpha, panels: panels !== null,
      };
      // Bands of C, one per thread, when the product is worth waking threads for.
      if (helpers && rows * cols * K >= PARALLEL_MIN_MULTIPLY_ADDS) {
        helpers.run(job, (band) => runBand(kernel, job, band));
      } else {
        runBand(kernel, job, { r0: 0, r1: rows, c0: 0, c1: cols });
      }
    }
    return out;
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    for (const t of temporaries) backend.disposeData(t.dataId);
  }
}
