/**
 * More threads for tsgan's matrix product (wasm-gemm.ts) in the threaded wasm build.
 *
 * XNNPACK's products ran on the build's pthread pool; tsgan's own product replaced them, so without this it
 * would use one core of two. The threaded build's heap is a shared WebAssembly.Memory, so a Node worker thread
 * can instantiate the same kernel on the same memory and compute a band of C's rows while the calling thread
 * computes the rest: no copies, and each element's arithmetic is the same whichever band it is in, so the
 * numbers do not depend on the thread count (tested).
 *
 * Hand-off through a small SharedArrayBuffer per worker: the caller writes the job and bumps a sequence word,
 * the worker (blocked in Atomics.wait) runs it and writes the sequence to a done word. The caller blocks in
 * Atomics.wait too — a product is synchronous in tfjs — with a deadline, so a worker that died is an error
 * instead of a hang. Workers are unref'd: they never keep a process alive.
 */
import * as path from "path";
import { isSharedMemory } from "./wasm-asm";
import { Band, CONTROL, CONTROL_WORDS, GemmJob, TASK_GEMM_BAND, TASK_IM2COL, encodeJob } from "./wasm-gemm-kernel";
import { IM2COL_TASK_WORDS, Im2ColTask, encodeIm2colTask } from "./im2col";

if (IM2COL_TASK_WORDS > CONTROL.kind - CONTROL.job) throw new Error("tsgan: an im2col task does not fit a helper's job words.");
import { wasmBuild } from "./wasm-threads";

/** A worker that does not answer within this long has died or hung: the product fails with an error. */
const DEADLINE_MS = 60_000;
/** The same on the calling side, whose own band usually ends a little before or after the helpers'. */
const WAIT_SPINS = 20000;

class GemmWorker {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
  private sequence = 0;

  constructor(memory: WebAssembly.Memory) {
    // Required here, not at the top: browsers' bundles of tsgan never reach this file's workers.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { Worker } = require("worker_threads") as typeof import("worker_threads");
    const worker = new Worker(path.join(__dirname, "wasm-gemm-worker.js"), { workerData: { memory, control: this.control.buffer } });
    worker.unref();
    worker.on("error", () => Atomics.store(this.control, CONTROL.ready, -1));
  }

  /** 1 once the worker has its kernel, -1 if it failed to start; 0 while it starts (the caller works alone). */
  get ready(): number {
    return Atomics.load(this.control, CONTROL.ready);
  }

  start(job: GemmJob, band: Band): void {
    const c = this.control;
    encodeJob(job, c, CONTROL.job);
    c.set([band.r0, band.r1, band.c0, band.c1], CONTROL.band);
    c[CONTROL.kind] = TASK_GEMM_BAND;
    this.go();
  }

  startIm2col(task: Im2ColTask): void {
    encodeIm2colTask(task, this.control, CONTROL.job);
    this.control[CONTROL.kind] = TASK_IM2COL;
    this.go();
  }

  private go(): void {
    const c = this.control;
    this.sequence = (this.sequence + 1) | 0 || 1;
    Atomics.store(c, CONTROL.sequence, this.sequence);
    Atomics.notify(c, CONTROL.sequence);
  }

  wait(): void {
    const c = this.control;
    for (let i = 0; i < WAIT_SPINS && Atomics.load(c, CONTROL.done) !== this.sequence; i++);
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const done = Atomics.load(c, CONTROL.done);
      if (done === this.sequence) break;
      const left = deadline - Date.now();
      if (left <= 0 || this.ready === -1) {
        throw new Error(
          `tsgan wasm matMul: the product's second thread did not finish within ${DEADLINE_MS / 1000} s (it has died or hung). ` +
            `Set TSGAN_WASM_THREADS=1 to run on one thread, and report this with the output above.`,
        );
      }
      Atomics.wait(c, CONTROL.done, done, Math.min(left, 1000));
    }
    if (Atomics.load(c, CONTROL.failed) !== 0) {
      throw new Error("tsgan wasm matMul: the product's second thread failed; set TSGAN_WASM_THREADS=1 to run on one thread.");
    }
  }
}

/** The helper threads of a memory: one fewer than the build's threads. */
export interface GemmHelpers {
  /** Runs all of `job`, cut into bands over the helpers and the calling thread. */
  run(job: GemmJob, runBand: (band: Band) => void): void;
  /** Helpers ready now: how many shares of work beside the calling thread's `im2col` can hand out. */
  readonly available: number;
  /** Unrolls `tasks[i]` on helper i (at most `available` of them) while the calling thread runs `own`. */
  im2col(tasks: Im2ColTask[], own: () => void): void;
}

const pools = new WeakMap<WebAssembly.Memory, GemmWorker[]>();

/**
 * Bands of C for `count` threads: across the columns (whole 8-column panels) when the right operand is the
 * larger — each thread then reads only its share of it, and all of the left — else across the rows (4-row tiles).
 */
export function bandsOf(job: GemmJob, count: number): Band[] {
  const byColumns = job.cols > job.rows;
  const unit = byColumns ? 8 : 4, extent = byColumns ? job.cols : job.rows;
  const units = Math.ceil(extent / unit);
  const n = Math.max(1, Math.min(count, units));
  const edge = (b: number) => Math.min(extent, unit * Math.round((units * b) / n));
  return Array.from({ length: n }, (_, b) =>
    byColumns ? { r0: 0, r1: job.rows, c0: edge(b), c1: edge(b + 1) } : { r0: edge(b), r1: edge(b + 1), c0: 0, c1: job.cols });
}

/**
 * The helpers for `memory` (started on first use), or null where there are none to have: a memory that is
 * not shared (the single-threaded build), or a build of one thread.
 */
export function helpersFor(memory: WebAssembly.Memory): GemmHelpers | null {
  const threads = wasmBuild().threads;
  if (threads < 2 || !isSharedMemory(memory)) return null;
  let workers = pools.get(memory);
  if (!workers) {
    try {
      workers = Array.from({ length: threads - 1 }, () => new GemmWorker(memory));
    } catch {
      workers = [];
    }
    pools.set(memory, workers);
  }
  const pool = workers;
  return {
    run(job, runBand) {
      const available = pool.filter((w) => w.ready === 1);
      const [own, ...others] = bandsOf(job, available.length + 1);
      others.forEach((band, i) => available[i].start(job, band));
      try {
        runBand(own);
      } finally {
        for (let i = 0; i < others.length; i++) available[i].wait();
      }
    },
    get available() {
      return pool.filter((w) => w.ready === 1).length;
    },
    im2col(tasks, own) {
      const available = pool.filter((w) => w.ready === 1);
      if (tasks.length > available.length) throw new Error(`tsgan: ${tasks.length} im2col shares for ${available.length} ready helper threads.`);
      tasks.forEach((task, i) => available[i].startIm2col(task));
      try {
        own();
      } finally {
        for (let i = 0; i < tasks.length; i++) available[i].wait();
      }
    },
  };
}

/** How many helper threads of `memory` are started and ready (for tests and reports). */
export function readyHelpers(memory: WebAssembly.Memory): number {
  return (pools.get(memory) ?? []).filter((w) => w.ready === 1).length;
}
