/**
 * The kernel of tsgan's wasm matrix product (wasm-gemm.ts): a matrix product on the wasm heap that needs no
 * packed copy of its right operand. No tfjs here: the worker of a second thread (wasm-gemm-worker.ts) loads it.
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

// Parameters (all byte offsets and byte strides except M, N, K, act, accumulate).
const A = 0, B = 1, C = 2, BIAS = 3, M = 4, N = 5, K = 6, SAI = 7, SAK = 8, SBK = 9, SCI = 10, SCJ = 11, ACT = 12, ALPHA = 13;
const ACCUMULATE = 14;
// i32 locals
const J0 = 15, I0 = 16, KK = 17, PA = 18 /* 18..21 */, PB = 22, PC = 23, PCR = 24;
// v128 locals
const ACC = 25 /* 25..32: acc[r][v] at ACC + 2r + v */, BV = 33 /* 33, 34 */, AV = 35, ALPHAV = 36, ZERO = 37;

const ROWS = 4;

/** L1 data caches map addresses 4 KiB apart to the same set (x86 and Arm cores alike: way size 4 KiB). */
export const ALIASING_STRIDE = 4096;

/** Depth per call: 512 measured best of 64–4096 on these products (dense layers, conv weight gradients). */
const DEPTH_BLOCK = 512;

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
  // C[i, j] at c + i·sci + j·scj: the tile's corner.
  code.push(...op.get(C), ...op.get(I0), ...op.get(SCI), ...op.i32mul, ...op.i32add);
  code.push(...op.get(J0), ...op.get(SCJ), ...op.i32mul, ...op.i32add, ...op.set(PC));
  // Accumulators start at C (a later block of k: the sum so far, so the order of additions is unchanged), at
  // the bias, or at zero.
  code.push(...op.get(ACCUMULATE), ...op.if, ...op.get(PC), ...op.set(PCR));
  for (let r = 0; r < R; r++) {
    for (let v = 0; v < V; v++) {
      code.push(...op.v128zero);
      for (let lane = 0; lane < 4; lane++) {
        code.push(
          ...op.get(PCR), ...op.get(SCJ), ...op.i32const(4 * v + lane), ...op.i32mul, ...op.i32add,
          ...op.f32load(), ...op.f32x4replaceLane(lane),
        );
      }
      code.push(...op.set(acc(r, v)));
    }
    if (r + 1 < R) code.push(...op.get(PCR), ...op.get(SCI), ...op.i32add, ...op.set(PCR));
  }
  code.push(...op.else);
  code.push(...op.get(BIAS), ...op.if);
  for (let r = 0; r < R; r++) {
    for (let v = 0; v < V; v++) {
      code.push(...op.get(BIAS), ...op.get(J0), ...op.i32const(4), ...op.i32mul, ...op.i32add, ...op.v128load(16 * v), ...op.set(acc(r, v)));
    }
  }
  code.push(...op.else);
  for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) code.push(...op.v128zero, ...op.set(acc(r, v)));
  code.push(...op.end, ...op.end);
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
  // Store: whole vectors when a row of the tile is contiguous (scj = 4 bytes), else lane by lane.
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
    params: [...new Array(13).fill(I32), F32, I32],
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
    sai: number, sak: number, sbk: number, sci: number, scj: number, act: number, alpha: number, accumulate: number): void;
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

// --- One product, or a band of its rows -------------------------------------------------------------------

/**
 * A product as the kernel sees it: `rows` × `cols` = left [rows, depth] (strides sai, sak) · right, written to
 * C (strides sci, scj), all byte offsets into the heap. `right` is [depth, cols] row-major, or with `panels`
 * the `pack`ed copy of it.
 */
export interface GemmJob {
  left: number; right: number; c: number; bias: number;
  rows: number; cols: number; depth: number;
  sai: number; sak: number; sci: number; scj: number;
  act: number; alpha: number; panels: boolean;
}

/** A rectangle of C: rows [r0, r1), columns [c0, c1); c0 a multiple of 8. */
export interface Band { r0: number; r1: number; c0: number; c1: number }

/** The band of `job`: each element's arithmetic is the same whichever band it falls in. */
export function runBand(kernel: GemmExports, job: GemmJob, band: Band): void {
  const { depth: K, sai, sak, sci, scj, act, alpha } = job;
  const rows = band.r1 - band.r0;
  if (rows <= 0 || band.c1 <= band.c0) return;
  const left = job.left + band.r0 * sai, c = job.c + band.r0 * sci;
  // Depth in blocks: each block's slice of a B panel stays in L1 across all the row tiles.
  const product = (pr: number, pc: number, bias: number, width: number, sbk: number) => {
    for (let k0 = 0; k0 < K; k0 += DEPTH_BLOCK) {
      const depth = Math.min(DEPTH_BLOCK, K - k0), last = k0 + depth === K;
      kernel.gemm(left + k0 * sak, pr + k0 * sbk, pc, k0 === 0 ? bias : 0, rows, width, depth, sai, sak, sbk, sci, scj,
        last ? act : GEMM_LINEAR, alpha, k0 === 0 ? 0 : 1);
    }
  };
  const biasAt = (j: number) => job.bias && job.bias + 4 * j;
  if (!job.panels) {
    product(job.right + 4 * band.c0, c + band.c0 * scj, biasAt(band.c0), band.c1 - band.c0, 4 * job.cols);
    return;
  }
  for (let j0 = band.c0; j0 < band.c1; j0 += 8) {
    const width = Math.min(8, band.c1 - j0);
    product(job.right + 4 * j0 * K, c + j0 * scj, biasAt(j0), width, 4 * width);
  }
}

/** The job as 14 numbers (a SharedArrayBuffer message to the worker) and back; alpha travels as float32 bits. */
export const JOB_WORDS = 14;
export function encodeJob(job: GemmJob, words: Int32Array, at: number): void {
  const f = new Float32Array(1);
  f[0] = job.alpha;
  const alphaBits = new Int32Array(f.buffer)[0];
  const values = [job.left, job.right, job.c, job.bias, job.rows, job.cols, job.depth, job.sai, job.sak, job.sci, job.scj, job.act, alphaBits, job.panels ? 1 : 0];
  for (let i = 0; i < JOB_WORDS; i++) words[at + i] = values[i];
}
export function decodeJob(words: Int32Array, at: number): GemmJob {
  const w = (i: number) => words[at + i];
  const alpha = new Float32Array(new Int32Array([w(12)]).buffer)[0];
  return {
    left: w(0), right: w(1), c: w(2), bias: w(3), rows: w(4), cols: w(5), depth: w(6),
    sai: w(7), sak: w(8), sci: w(9), scj: w(10), act: w(11), alpha, panels: w(13) === 1,
  };
}

/** Word offsets in a helper thread's control buffer (wasm-gemm-thread.ts, wasm-gemm-worker.ts). */
export const CONTROL = { sequence: 0, done: 1, ready: 2, failed: 3, band: 4 /* r0, r1, c0, c1 */, job: 8, kind: 8 + JOB_WORDS } as const;
export const CONTROL_WORDS = CONTROL.kind + 1;
/** What a helper is asked to do (the `kind` word): a band of a product, or its share of a patch matrix (im2col.ts). */
export const TASK_GEMM_BAND = 0, TASK_IM2COL = 1;
