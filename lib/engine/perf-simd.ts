/**
 * Hand-assembled WebAssembly SIMD loops that run on the wasm backend's own memory.
 *
 * The fused optimizers need one elementwise pass over several arrays. A JavaScript loop does that at about
 * 10–15 ns per element here (float64 divides and square roots, one lane at a time), slower than tfjs's ten
 * separate XNNPACK passes. These loops use 128-bit float32 lanes (f32x4), four elements per instruction,
 * and read and write the tensors where the backend keeps them, so nothing is copied.
 *
 * There is no compiler here: the module is assembled from WebAssembly's binary encoding (spec §5, "Binary
 * Format"; SIMD opcodes from the fixed-width SIMD proposal, standard since 2021), which keeps tsgan free of a
 * build step. Each function works on byte offsets into the imported memory and on a count that is a multiple
 * of 4; callers do the last 0–3 elements in JavaScript.
 *
 * Each loop performs tfjs's float32 operations in tfjs's order, so the results are bit-for-bit what
 * `tf.train.adam` / `tf.train.rmsprop` compute on the same backend.
 */

import { AsmFunction, I32, F32, V128, assembleModule, op } from "./wasm-asm";

/**
 * One SIMD loop. Parameters: `pointers` i32 byte offsets, then `n` (i32, element count, multiple of 4), then
 * `scalars` f32. The body, given helpers to load a pointer's current lane group and to read a splatted
 * scalar, emits code that stores results.
 */
interface LoopSpec {
  name: string;
  pointers: string[];
  scalars: string[];
  /** Extra v128 locals the body uses. */
  temps: string[];
  body: (h: LoopHelpers) => number[];
}

interface LoopHelpers {
  load(pointer: string): number[];
  /** Pushes the address of the current lanes of `pointer` (for a later v128.store). */
  address(pointer: string): number[];
  scalar(name: string): number[];
  get(temp: string): number[];
  set(temp: string): number[];
}

function buildFunction(spec: LoopSpec): AsmFunction {
  const params = [...spec.pointers.map(() => I32), I32, ...spec.scalars.map(() => F32)];
  const nIndex = spec.pointers.length;
  const paramIndex = (name: string, list: string[], base: number) => base + list.indexOf(name);
  const scalarBase = nIndex + 1;
  // Locals after the params: i (i32), end (i32), one v128 per scalar, then temps.
  const iLocal = params.length, endLocal = params.length + 1;
  const splatBase = params.length + 2;
  const tempBase = splatBase + spec.scalars.length;
  const check = (name: string, list: string[]) => {
    if (!list.includes(name)) throw new Error(`perf-simd: ${spec.name} uses unknown name ${name}`);
  };
  const h: LoopHelpers = {
    address: (p) => (check(p, spec.pointers), [...op.get(paramIndex(p, spec.pointers, 0)), ...op.get(iLocal), ...op.i32add]),
    load: (p) => [...h.address(p), ...op.v128load()],
    scalar: (s) => (check(s, spec.scalars), op.get(paramIndex(s, spec.scalars, splatBase))),
    get: (t) => (check(t, spec.temps), op.get(paramIndex(t, spec.temps, tempBase))),
    set: (t) => (check(t, spec.temps), op.set(paramIndex(t, spec.temps, tempBase))),
  };
  const prologue: number[] = [];
  spec.scalars.forEach((_, k) => prologue.push(...op.get(scalarBase + k), ...op.splat, ...op.set(splatBase + k)));
  // end = n * 4 bytes (n + n + n + n, avoiding a multiply), i = 0 (locals start at zero).
  prologue.push(...op.get(nIndex), ...op.get(nIndex), ...op.i32add, ...op.set(endLocal));
  prologue.push(...op.get(endLocal), ...op.get(endLocal), ...op.i32add, ...op.set(endLocal));
  const loop = [
    ...op.block, ...op.loop,
    ...op.get(iLocal), ...op.get(endLocal), ...op.i32geu, ...op.brIf(1),
    ...spec.body(h),
    ...op.get(iLocal), ...op.i32const(16), ...op.i32add, ...op.set(iLocal),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
  return { name: spec.name, params, locals: [[2, I32], [spec.scalars.length + spec.temps.length, V128]], body: [...prologue, ...loop] };
}


// --- The loops --------------------------------------------------------------------------------------------

/**
 * tfjs's Adam, per lane, in float32:
 *   m1 = m·β1 + g·(1−β1);  v1 = v·β2 + g²·(1−β2)
 *   x1 = ((m1 / bc1) / (√(v1 / bc2) + ε))·(−lr) + x
 */
const ADAM: LoopSpec = {
  name: "adam",
  pointers: ["x", "m", "v", "g", "outX", "outM", "outV"],
  scalars: ["beta1", "oneMinusBeta1", "beta2", "oneMinusBeta2", "bc1", "bc2", "eps", "negLr"],
  temps: ["g", "m1", "v1"],
  body: (h) => [
    ...h.load("g"), ...h.set("g"),
    ...h.load("m"), ...h.scalar("beta1"), ...op.mul, ...h.get("g"), ...h.scalar("oneMinusBeta1"), ...op.mul, ...op.add, ...h.set("m1"),
    ...h.load("v"), ...h.scalar("beta2"), ...op.mul,
    ...h.get("g"), ...h.get("g"), ...op.mul, ...h.scalar("oneMinusBeta2"), ...op.mul, ...op.add, ...h.set("v1"),
    ...h.address("outM"), ...h.get("m1"), ...op.v128store(),
    ...h.address("outV"), ...h.get("v1"), ...op.v128store(),
    ...h.address("outX"),
    ...h.get("m1"), ...h.scalar("bc1"), ...op.div,
    ...h.get("v1"), ...h.scalar("bc2"), ...op.div, ...op.sqrt, ...h.scalar("eps"), ...op.add,
    ...op.div, ...h.scalar("negLr"), ...op.mul, ...h.load("x"), ...op.add,
    ...op.v128store(),
  ],
};

/**
 * tfjs's RMSProp, per lane, in float32:
 *   ms1 = ms·ρ + g²·(1−ρ);  mom1 = mom·μ + (g·lr) / √(ms1 + ε);  x1 = x − mom1
 */
const RMSPROP: LoopSpec = {
  name: "rmsprop",
  pointers: ["x", "ms", "mom", "g", "outX", "outMs", "outMom"],
  scalars: ["rho", "oneMinusRho", "mu", "lr", "eps"],
  temps: ["g", "ms1", "mom1"],
  body: (h) => [
    ...h.load("g"), ...h.set("g"),
    ...h.load("ms"), ...h.scalar("rho"), ...op.mul, ...h.get("g"), ...h.get("g"), ...op.mul, ...h.scalar("oneMinusRho"), ...op.mul,
    ...op.add, ...h.set("ms1"),
    ...h.load("mom"), ...h.scalar("mu"), ...op.mul,
    ...h.get("g"), ...h.scalar("lr"), ...op.mul, ...h.get("ms1"), ...h.scalar("eps"), ...op.add, ...op.sqrt, ...op.div,
    ...op.add, ...h.set("mom1"),
    ...h.address("outMs"), ...h.get("ms1"), ...op.v128store(),
    ...h.address("outMom"), ...h.get("mom1"), ...op.v128store(),
    ...h.address("outX"), ...h.load("x"), ...h.get("mom1"), ...op.sub, ...op.v128store(),
  ],
};

/**
 * Centered RMSProp (tfjs's form, which subtracts ε):
 *   mg1 = mg·ρ + g·(1−ρ);  mom1 = mom·μ + (g·lr) / √(ms1 − (mg1² + ε))
 */
const RMSPROP_CENTERED: LoopSpec = {
  name: "rmspropCentered",
  pointers: ["x", "ms", "mom", "g", "mg", "outX", "outMs", "outMom", "outMg"],
  scalars: ["rho", "oneMinusRho", "mu", "lr", "eps"],
  temps: ["g", "ms1", "mom1", "mg1"],
  body: (h) => [
    ...h.load("g"), ...h.set("g"),
    ...h.load("ms"), ...h.scalar("rho"), ...op.mul, ...h.get("g"), ...h.get("g"), ...op.mul, ...h.scalar("oneMinusRho"), ...op.mul,
    ...op.add, ...h.set("ms1"),
    ...h.load("mg"), ...h.scalar("rho"), ...op.mul, ...h.get("g"), ...h.scalar("oneMinusRho"), ...op.mul, ...op.add, ...h.set("mg1"),
    ...h.load("mom"), ...h.scalar("mu"), ...op.mul,
    ...h.get("g"), ...h.scalar("lr"), ...op.mul,
    ...h.get("ms1"), ...h.get("mg1"), ...h.get("mg1"), ...op.mul, ...h.scalar("eps"), ...op.add, ...op.sub, ...op.sqrt,
    ...op.div, ...op.add, ...h.set("mom1"),
    ...h.address("outMs"), ...h.get("ms1"), ...op.v128store(),
    ...h.address("outMg"), ...h.get("mg1"), ...op.v128store(),
    ...h.address("outMom"), ...h.get("mom1"), ...op.v128store(),
    ...h.address("outX"), ...h.load("x"), ...h.get("mom1"), ...op.sub, ...op.v128store(),
  ],
};

/**
 * The derivative of ReLU / leaky ReLU applied to dy, read from the activation's output y (fused-dense.ts):
 *   out = y > 0 ? dy : dy·slope        (float32, as tfjs's Greater + Multiply + Select)
 */
const MASKED_SCALE: LoopSpec = {
  name: "maskedScale",
  pointers: ["dy", "y", "out"],
  scalars: ["slope", "zero"],
  temps: ["dy"],
  body: (h) => [
    ...h.address("out"),
    ...h.load("dy"), ...h.set("dy"),
    ...h.get("dy"), ...h.get("dy"), ...h.scalar("slope"), ...op.mul,
    ...h.load("y"), ...h.scalar("zero"), ...op.gt,
    ...op.bitselect,
    ...op.v128store(),
  ],
};

/** The exported loops; pointers are byte offsets, `n` a multiple of 4, scalars float32. */
export interface SimdLoops {
  adam(x: number, m: number, v: number, g: number, outX: number, outM: number, outV: number, n: number,
    beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, bc1: number, bc2: number, eps: number, negLr: number): void;
  rmsprop(x: number, ms: number, mom: number, g: number, outX: number, outMs: number, outMom: number, n: number,
    rho: number, oneMinusRho: number, mu: number, lr: number, eps: number): void;
  rmspropCentered(x: number, ms: number, mom: number, g: number, mg: number, outX: number, outMs: number, outMom: number,
    outMg: number, n: number, rho: number, oneMinusRho: number, mu: number, lr: number, eps: number): void;
  maskedScale(dy: number, y: number, out: number, n: number, slope: number, zero: number): void;
}

const instances = new WeakMap<WebAssembly.Memory, SimdLoops | null>();

/**
 * The loops bound to `memory` (the single-threaded build's own memory, or the threaded build's shared one),
 * or null when this JavaScript engine lacks WebAssembly SIMD, in which case callers use their JavaScript loops.
 * On a shared memory no pthread touches the tensors while these loops run: tfjs's parallel kernels return
 * only after their threads have joined.
 */
export function simdLoopsFor(memory: WebAssembly.Memory): SimdLoops | null {
  if (instances.has(memory)) return instances.get(memory)!;
  let loops: SimdLoops | null = null;
  try {
    const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(assembleModule([ADAM, RMSPROP, RMSPROP_CENTERED, MASKED_SCALE].map(buildFunction), shared));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    loops = instance.exports as unknown as SimdLoops;
  } catch {
    loops = null;
  }
  instances.set(memory, loops);
  return loops;
}
