/**
 * A matrix product on the wasm heap that needs no packed copy of its right operand.
 *
 * XNNPACK, which tfjs-wasm's products run on, first copies ("packs") the right operand into panels laid out
 * for its inner loop and caches the result under the tensor's id. That pays off when the same weights are used
 * many times, as in inference. In training every product's right operand is new each step — the weights after
 * an optimizer update, or a gradient — so every product pays for a pack, single-threaded, at several ns per
 * element: a 64×1024 by 1024×784 product ran at 6.1 G multiply-adds/s with a new right operand against 16.6
 * with a cached one (README, "Benchmark"). The backward products also needed an explicit transpose first.
 *
 * This kernel reads B in its own row-major layout: for a tile of 4 rows × 8 columns of C it keeps 8
 * accumulators of 4 lanes, and for each k loads B[k, j..j+8) (two vectors), splats A[i, k] for the 4 rows
 * and adds the products (XNNPACK's "splat" micro-kernel shape, without the packing). A is read through
 * strides, so op(A) = Aᵀ costs nothing: dW = xᵀ·dy runs as it is. C can be written transposed, which gives
 * dx = dy·Wᵀ as (W·dyᵀ)ᵀ with only the small dy transposed.
 *
 * Order of operations: each output starts at the bias (or 0) and adds A[i,k]·B[k,j] for k = 0, 1, … in
 * float32, one product and one sum at a time, as XNNPACK's wasm SIMD micro-kernels do, so results are the
 * same bits (tested against tfjs's own product).
 */
import { AsmFunction, F32, I32, V128, assembleModule, isSharedMemory, op } from "./wasm-asm";
import { TensorInfo, WasmBackend, swapLastTwo, transposeWasm, wasmMemoryOf } from "./wasm-backend-access";

// Parameters (all byte offsets and byte strides except M, N, K, act).
const A = 0, B = 1, C = 2, BIAS = 3, M = 4, N = 5, K = 6, SAI = 7, SAK = 8, SBK = 9, SCI = 10, SCJ = 11, ACT = 12, ALPHA = 13;
// i32 locals
const J0 = 14, I0 = 15, KK = 16, PA = 17 /* 17..20 */, PB = 21, PC = 22, PCR = 23;
// v128 locals
const ACC = 24 /* 24..31: acc[r][v] at ACC + 2r + v */, BV = 32 /* 32, 33 */, AV = 34, ALPHAV = 35, ZERO = 36;

const ROWS = 4;

/** L1 data caches map addresses 4 KiB apart to the same set (x86 and Arm cores alike: way size 4 KiB). */
const ALIASING_STRIDE = 4096;

/** Activation codes (the `act` parameter). */
export const GEMM_LINEAR = 0, GEMM_RELU = 1, GEMM_LEAKY_RELU = 2;

const acc = (r: number, v: number) => ACC + 2 * r + v;

/** One tile of R rows × 4V columns of C at (i0, j0), over all of K. */
function microKernel(R: number, V: number): number[] {
  const code: number[] = [];
  // Row pointers into A and the panel pointer into B.
  code.push(...op.get(A), ...op.get(I0), ...op.get(SAI), ...op.i32mul, ...op.i32add, ...op.set(PA));
  for (let r = 1; r < R; r++) code.push(...op.get(PA + r - 1), ...op.get(SAI), ...op.i32add, ...op.set(PA + r));
  code.push(...op.get(B), ...op.get(J0), ...op.i32const(4), ...op.i32mul, ...op.i32add, ...op.set(PB));
  // Accumulators start at the bias, or at zero.
  code.push(...op.get(BIAS), ...op.if);
  for (let r = 0; r < R; r++) {
    for (let v = 0; v < V; v++) {
      code.push(...op.get(BIAS), ...op.get(J0), ...op.i32const(4), ...op.i32mul, ...op.i32add, ...op.v128load(16 * v), ...op.set(acc(r, v)));
    }
  }
  code.push(...op.else);
  for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) code.push(...op.v128zero, ...op.set(acc(r, v)));
  code.push(...op.end);
  // for k in 0..K: acc[r][v] += A[i0 + r, k] · B[k, j0 + 4v .. +4]
  code.push(...op.get(K), ...op.set(KK), ...op.loop);
  for (let v = 0; v < V; v++) code.push(...op.get(PB), ...op.v128load(16 * v), ...op.set(BV + v));
  for (let r = 0; r < R; r++) {
    code.push(...op.get(PA + r), ...op.v128load32splat(), ...op.set(AV));
    for (let v = 0; v < V; v++) {
      code.push(...op.get(acc(r, v)), ...op.get(AV), ...op.get(BV + v), ...op.mul, ...op.add, ...op.set(acc(r, v)));
    }
  }
  for (let r = 0; r < R; r++) code.push(...op.get(PA + r), ...op.get(SAK), ...op.i32add, ...op.set(PA + r));
  code.push(...op.get(PB), ...op.get(SBK), ...op.i32add, ...op.set(PB));
  code.push(...op.get(KK), ...op.i32const(1), ...op.i32sub, ...op.tee(KK), ...op.brIf(0), ...op.end);
  // Activation: ReLU as XNNPACK's clamp (pmax(0, x)); leaky ReLU as tfjs's (x < 0 ? x·α : x).
  code.push(...op.get(ACT), ...op.i32const(GEMM_RELU), ...op.i32eq, ...op.if);
  for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) code.push(...op.get(ZERO), ...op.get(acc(r, v)), ...op.pmax, ...op.set(acc(r, v)));
  code.push(...op.end);
  code.push(...op.get(ACT), ...op.i32const(GEMM_LEAKY_RELU), ...op.i32eq, ...op.if);
  for (let r = 0; r < R; r++) {
    for (let v = 0; v < V; v++) {
      code.push(
        ...op.get(acc(r, v)), ...op.get(ALPHAV), ...op.mul, ...op.get(acc(r, v)),
        ...op.get(acc(r, v)), ...op.get(ZERO), ...op.lt, ...op.bitselect, ...op.set(acc(r, v)),
      );
    }
  }
  code.push(...op.end);
  // Store: C[i, j] at c + i·sci + j·scj; whole vectors when a row of the tile is contiguous (scj = 4 bytes).
  code.push(...op.get(C), ...op.get(I0), ...op.get(SCI), ...op.i32mul, ...op.i32add);
  code.push(...op.get(J0), ...op.get(SCJ), ...op.i32mul, ...op.i32add, ...op.set(PC));
  code.push(...op.get(SCJ), ...op.i32const(4), ...op.i32eq, ...op.if);
  code.push(...op.get(PC), ...op.set(PCR));
  for (let r = 0; r < R; r++) {
    for (let v = 0; v < V; v++) code.push(...op.get(PCR), ...op.get(acc(r, v)), ...op.v128store(16 * v));
    if (r + 1 < R) code.push(...op.get(PCR), ...op.get(SCI), ...op.i32add, ...op.set(PCR));
  }
  code.push(...op.else);
  code.push(...op.get(PC), ...op.set(PCR));
  for (let r = 0; r < R; r++) {
    for (let v = 0; v < V; v++) {
      for (let lane = 0; lane < 4; lane++) {
        code.push(
          ...op.get(PCR), ...op.get(SCJ), ...op.i32const(4 * v + lane), ...op.i32mul, ...op.i32add,
          ...op.get(acc(r, v)), ...op.f32x4extractLane(lane), ...op.f32store(),
        );
      }
    }
    if (r + 1 < R) code.push(...op.get(PCR), ...op.get(SCI), ...op.i32add, ...op.set(PCR));
  }
  code.push(...op.end);
  return code;
}

/** All rows for the column block at j0: tiles of 4 rows, then single rows. */
function rowLoops(V: number): number[] {
  const code: number[] = [...op.i32const(0), ...op.set(I0)];
  // while (i0 + 4 <= M) { tile(4); i0 += 4 }
  code.push(...op.block, ...op.loop);
  code.push(...op.get(I0), ...op.i32const(ROWS), ...op.i32add, ...op.get(M), ...op.i32gtu, ...op.brIf(1));
  code.push(...microKernel(ROWS, V));
  code.push(...op.get(I0), ...op.i32const(ROWS), ...op.i32add, ...op.set(I0), ...op.br(0), ...op.end, ...op.end);
  // while (i0 < M) { tile(1); i0 += 1 }
  code.push(...op.block, ...op.loop);
  code.push(...op.get(I0), ...op.get(M), ...op.i32geu, ...op.brIf(1));
  code.push(...microKernel(1, V));
  code.push(...op.get(I0), ...op.i32const(1), ...op.i32add, ...op.set(I0), ...op.br(0), ...op.end, ...op.end);
  return code;
}

function gemmFunction(): AsmFunction {
  const body: number[] = [...op.get(ALPHA), ...op.splat, ...op.set(ALPHAV), ...op.i32const(0), ...op.set(J0)];
  for (const V of [2, 1]) {
    // while (j0 + 4V <= N) { rows; j0 += 4V }
    body.push(...op.block, ...op.loop);
    body.push(...op.get(J0), ...op.i32const(4 * V), ...op.i32add, ...op.get(N), ...op.i32gtu, ...op.brIf(1));
    body.push(...rowLoops(V));
    body.push(...op.get(J0), ...op.i32const(4 * V), ...op.i32add, ...op.set(J0), ...op.br(0), ...op.end, ...op.end);
  }
  return {
    name: "gemm",
    params: [...new Array(13).fill(I32), F32],
    locals: [[10, I32], [13, V128]],
    body,
  };
}

// pack(b, dst, K, N, sbk): B [K, N] (row stride sbk bytes) as panels of 8 columns, each K×8 contiguous, and a
// last panel of 4 when N % 8 = 4 — the panel for columns j0… starts at dst + 4·j0·K either way.
const PK_B = 0, PK_DST = 1, PK_K = 2, PK_N = 3, PK_SBK = 4, PK_J0 = 5, PK_KK = 6, PK_SRC = 7;

function packFunction(): AsmFunction {
  // Panel by panel, each written in order (written in row order instead, the writes 4·8·K bytes apart thrash
  // the cache the same way and measured 4× slower).
  const body: number[] = [];
  for (const V of [2, 1]) {
    body.push(...op.block, ...op.loop);
    body.push(...op.get(PK_J0), ...op.i32const(4 * V), ...op.i32add, ...op.get(PK_N), ...op.i32gtu, ...op.brIf(1));
    body.push(...op.get(PK_B), ...op.get(PK_J0), ...op.i32const(4), ...op.i32mul, ...op.i32add, ...op.set(PK_SRC));
    body.push(...op.get(PK_K), ...op.set(PK_KK), ...op.loop);
    for (let v = 0; v < V; v++) body.push(...op.get(PK_DST), ...op.get(PK_SRC), ...op.v128load(16 * v), ...op.v128store(16 * v));
    body.push(...op.get(PK_SRC), ...op.get(PK_SBK), ...op.i32add, ...op.set(PK_SRC));
    body.push(...op.get(PK_DST), ...op.i32const(16 * V), ...op.i32add, ...op.set(PK_DST));
    body.push(...op.get(PK_KK), ...op.i32const(1), ...op.i32sub, ...op.tee(PK_KK), ...op.brIf(0), ...op.end);
    body.push(...op.get(PK_J0), ...op.i32const(4 * V), ...op.i32add, ...op.set(PK_J0), ...op.br(0), ...op.end, ...op.end);
  }
  return { name: "pack", params: new Array(5).fill(I32), locals: [[3, I32]], body };
}

/**
 * C = act(op(A)·B + bias) on the heap: `a`, `b`, `c`, `bias` byte offsets (bias 0: none), A[i, k] at
 * a + i·sai + k·sak, B[k, j] at b + k·sbk + 4j, C[i, j] at c + i·sci + j·scj (bytes). N must be a multiple of
 * 4 and K at least 1; rows of C that are not multiples of 4 bytes apart are fine.
 */
export interface GemmExports {
  gemm(a: number, b: number, c: number, bias: number, m: number, n: number, k: number,
    sai: number, sak: number, sbk: number, sci: number, scj: number, act: number, alpha: number): void;
  /** B [K, N] at `b` (row stride sbk bytes) into panels at `dst` (K·N floats); N a multiple of 4, K ≥ 1. */
  pack(b: number, dst: number, k: number, n: number, sbk: number): void;
}

const instances = new WeakMap<WebAssembly.Memory, GemmExports | null>();

/** The kernel bound to `memory`, or null where this JavaScript engine lacks WebAssembly SIMD. */
export function gemmFor(memory: WebAssembly.Memory): GemmExports | null {
  if (instances.has(memory)) return instances.get(memory)!;
  let exports: GemmExports | null = null;
  try {
    const module = new WebAssembly.Module(assembleModule([gemmFunction(), packFunction()], isSharedMemory(memory)));
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as GemmExports;
  } catch {
    exports = null;
  }
  instances.set(memory, exports);
  return exports;
}

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
    let packedSlice = -1;
    for (let s = 0; s < batch; s++) {
      const pl = left0 + 4 * (leftBatch === 1 ? 0 : s) * rows * K;
      const rightSlice = rightBatch === 1 ? 0 : s;
      const pr = right0 + 4 * rightSlice * K * cols;
      const c = c0 + 4 * s * M * N;
      if (!panels) {
        kernel.gemm(pl, pr, c, bias0, rows, cols, K, sai, sak, 4 * cols, sci, scj, act, alpha);
        continue;
      }
      const p0 = offset(panels);
      if (packedSlice !== rightSlice) kernel.pack(pr, p0, K, cols, 4 * cols);
      packedSlice = rightSlice;
      for (let j0 = 0; j0 < cols; j0 += 8) {
        const width = Math.min(8, cols - j0);
        kernel.gemm(pl, p0 + 4 * j0 * K, c + j0 * scj, bias0 && bias0 + 4 * j0, rows, width, K, sai, sak, 4 * width, sci, scj, act, alpha);
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
