/**
 * A few helpers for writing WebAssembly modules as bytes (spec §5, "Binary Format"; SIMD opcodes from the
 * fixed-width SIMD proposal, standard since 2021). tsgan's hand-written loops (perf-simd.ts, wasm-gemm.ts)
 * are assembled with them at run time, which keeps the library free of a build step for wasm.
 */

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32.const's immediate). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

export function str(s: string): number[] {
  const bytes = [...Buffer.from(s, "utf8")];
  return [...uleb(bytes.length), ...bytes];
}

export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

export function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

export const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;

/** 64 Ki pages (4 GiB), wasm32's limit: a shared import must declare a maximum at least the memory's own. */
const MAX_PAGES = 65536;

/** One function: its parameter types (no results), its locals as [count, type] runs, and its body's code. */
export interface AsmFunction {
  name: string;
  params: number[];
  locals: Array<[number, number]>;
  body: number[];
}

/**
 * A module that imports `env.memory` (shared, with the largest maximum, for the threaded build's memory,
 * which links only to an import declared shared too) and exports `functions` by name.
 */
export function assembleModule(functions: AsmFunction[], sharedMemory: boolean): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...uleb(0)]);
  const codes = functions.map((f) => {
    const body = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  const memoryLimits = sharedMemory ? [0x03, ...uleb(1), ...uleb(MAX_PAGES)] : [0x00, ...uleb(1)];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, ...memoryLimits]])),
    ...section(3, vec(functions.map((_, k) => uleb(k)))),
    ...section(7, vec(functions.map((f, k) => [...str(f.name), 0x00, ...uleb(k)]))),
    ...section(10, vec(codes)),
  ]);
}

/** Whether `memory` is the threaded build's shared memory. */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

const simd = (code: number) => [0xfd, ...uleb(code)];
const memarg = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];

/** The instructions tsgan's loops use. */
export const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32const: (n: number) => [0x41, ...sleb(n)],
  i32add: [0x6a],
  i32sub: [0x6b],
  i32mul: [0x6c],
  i32and: [0x71],
  i32eq: [0x46],
  i32ne: [0x47],
  i32eqz: [0x45],
  i32ltu: [0x49],
  i32gtu: [0x4b],
  i32leu: [0x4d],
  i32geu: [0x4f],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  brIf: (d: number) => [0x0d, ...uleb(d)],
  br: (d: number) => [0x0c, ...uleb(d)],
  f32load: (offset = 0) => [0x2a, ...memarg(2, offset)],
  f32store: (offset = 0) => [0x38, ...memarg(2, offset)],
  v128load: (offset = 0) => [...simd(0x00), ...memarg(0, offset)],
  v128load32splat: (offset = 0) => [...simd(0x09), ...memarg(0, offset)],
  v128store: (offset = 0) => [...simd(0x0b), ...memarg(0, offset)],
  v128zero: [...simd(0x0c), ...new Array(16).fill(0)],
  f32x4extractLane: (lane: number) => [...simd(0x1f), lane],
  f32x4replaceLane: (lane: number) => [...simd(0x20), lane],
  splat: simd(0x13),
  sqrt: simd(0xe3),
  add: simd(0xe4),
  sub: simd(0xe5),
  mul: simd(0xe6),
  div: simd(0xe7),
  pmax: simd(0xeb), // f32x4.pmax(a, b) = a < b ? b : a, lane-wise
  lt: simd(0x43), // f32x4.lt: all-ones lanes where a < b
  gt: simd(0x44), // f32x4.gt: all-ones lanes where a > b
  bitselect: simd(0x52), // v128.bitselect(v1, v2, c): v1's bits where c is 1, v2's elsewhere
};
