/**
 * Picks the compute engine under TensorFlow.js: the fastest backend that is installed and works.
 *
 * Order: TensorFlow C library with CUDA (`@tensorflow/tfjs-node-gpu`), WebGPU through Dawn (`webgpu` +
 * `@tensorflow/tfjs-backend-webgpu`, webgpu.ts), TensorFlow C library on the CPU (`@tensorflow/tfjs-node`),
 * WebAssembly with XNNPACK (`@tensorflow/tfjs-backend-wasm`, always installed; its threaded build on every
 * core, wasm-threads.ts), and the pure-JavaScript `cpu` backend as the last resort. `TSGAN_BACKEND` forces one.
 *
 * The native packages are optional peers, not dependencies: their install downloads libtensorflow
 * (hundreds of MB for the CUDA build) and fails without internet, so nobody pays for them by default.
 */
import * as tf from "@tensorflow/tfjs";
import { installSecondOrderGradients } from "./gradients";
import { installCpuKernelFixes, installWasmKernels } from "./wasm-kernels";
import { installPerfKernels } from "./perf-kernels";
import { MAX_WASM_THREADS, parseWasmThreads, registerThreadedWasm, wasmBuild } from "./wasm-threads";

/** What `TSGAN_BACKEND` accepts, fastest first. */
export const BACKEND_CHOICES = ["node-gpu", "webgpu", "node", "wasm", "cpu"] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

interface Candidate {
  choice: BackendChoice;
  /** npm package that provides it; `null` when it ships with @tensorflow/tfjs. */
  pkg: string | null;
  /** The name TensorFlow.js registers the backend under. */
  tfName: string;
  install: string;
}

const CANDIDATES: readonly Candidate[] = [
  {
    choice: "node-gpu",
    pkg: "@tensorflow/tfjs-node-gpu",
    tfName: "tensorflow",
    install: "npm install @tensorflow/tfjs-node-gpu@4.22.0 (Linux x64 with CUDA 11.8 and cuDNN 8; downloads libtensorflow)",
  },
  {
    // Any GPU with a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver, through Dawn (webgpu.ts).
    choice: "webgpu",
    pkg: "@tensorflow/tfjs-backend-webgpu",
    tfName: "webgpu",
    install:
      "npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 (Dawn prebuilt, no download at install; " +
      "needs a GPU whose Vulkan, Metal or D3D12 driver is installed)",
  },
  {
    choice: "node",
    pkg: "@tensorflow/tfjs-node",
    tfName: "tensorflow",
    install: "npm install @tensorflow/tfjs-node@4.22.0 (downloads libtensorflow, needs internet)",
  },
  {
    choice: "wasm",
    pkg: "@tensorflow/tfjs-backend-wasm",
    tfName: "wasm",
    install: "npm install @tensorflow/tfjs-backend-wasm@4.22.0 (a dependency of tsgan: run npm install)",
  },
  { choice: "cpu", pkg: null, tfName: "cpu", install: "npm install @tensorflow/tfjs@4.22.0" },
];

export interface EngineInfo {
  /** The tsgan name of the backend in use (`TSGAN_BACKEND` values). */
  choice: BackendChoice;
  /** The TensorFlow.js backend name (`tf.getBackend()`). */
  tfName: string;
  /** Why each faster backend was passed over, in order. */
  skipped: { choice: BackendChoice; reason: string }[];
  /** True when `TSGAN_BACKEND` chose it. */
  forced: boolean;
}

let engine: Promise<EngineInfo> | null = null;
let current: EngineInfo | null = null;

function isMissingModule(err: unknown, pkg: string): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === "MODULE_NOT_FOUND" && String(e.message).includes(`'${pkg}'`);
}

/** Loads a backend package; returns why it cannot be used, or null when it loaded. */
function loadPackage(c: Candidate): string | null {
  if (c.pkg === null) return null;
  try {
    require(c.pkg);
    return null;
  } catch (err) {
    if (isMissingModule(err, c.pkg)) return `${c.pkg} is not installed`;
    return `${c.pkg} failed to load: ${(err as Error).message.split("\n")[0]}`;
  }
}

/** Makes `c` the active backend and checks it computes; returns why not, or null on success. */
async function activate(c: Candidate, env: NodeJS.ProcessEnv = process.env, wasmThreads?: number): Promise<string | null> {
  if (c.choice === "webgpu") {
    // Dawn and a GPU adapter must exist before tfjs-backend-webgpu is required (it registers only then).
    const noGpu = await (require("./webgpu") as typeof import("./webgpu")).prepareWebGpu();
    if (noGpu) return noGpu;
  }
  const loadError = loadPackage(c);
  if (loadError) return loadError;
  if (c.choice === "wasm") {
    installWasmKernels();
    registerThreadedWasm(wasmThreadsFor(env, wasmThreads)); // both cores (wasm-threads.ts)
  }
  if (c.choice === "cpu") installCpuKernelFixes();
  installPerfKernels();
  let ok = false;
  try {
    ok = await tf.setBackend(c.tfName);
    await tf.ready();
  } catch (err) {
    return `${c.tfName} failed to initialise: ${(err as Error).message}`;
  }
  if (!ok || tf.getBackend() !== c.tfName) return `${c.tfName} failed to initialise`;
  // A backend that registers but computes garbage is worse than a slow one.
  const probe = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
  if (probe !== 11) return `${c.tfName} computed 1*3+2*4 = ${probe}`;
  return null;
}

/** Parses `TSGAN_BACKEND`; throws a message naming the valid choices for anything else. */
export function parseBackendChoice(value: string | undefined): BackendChoice | null {
  if (value === undefined || value.trim() === "" || value.trim() === "auto") return null;
  const v = value.trim().toLowerCase();
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new Error(
    `TSGAN_BACKEND=${value} is not a backend tsgan knows. Valid values: ${BACKEND_CHOICES.join(", ")} ` +
      `(or unset it to pick the fastest installed one).`,
  );
}

/** "2 threads" or "1 thread", with why the threaded build is not in use when it was asked for and failed. */
function wasmThreadsText(): string {
  const b = wasmBuild();
  return `${b.threads} thread${b.threads === 1 ? "" : "s"}${b.fallbackReason ? `, single-threaded because ${b.fallbackReason}` : ""}`;
}

function describe(info: EngineInfo): string {
  const why = info.forced
    ? "forced by TSGAN_BACKEND"
    : info.skipped.length === 0
      ? "the fastest"
      : "skipped " + info.skipped.map((s) => `${s.choice}: ${s.reason}`).join("; ");
  return `tsgan: backend ${info.choice}${info.choice === "wasm" ? ` ${wasmThreadsText()}` : ""} (${why})`;
}

/**
 * The wasm thread count: `TSGAN_WASM_THREADS` when it is set (the user's or CI's explicit choice wins),
 * else the caller's preference, else one per core.
 */
export function wasmThreadsFor(env: NodeJS.ProcessEnv, preferred?: number): number {
  if ((env.TSGAN_WASM_THREADS ?? "").trim() !== "" || preferred === undefined) return parseWasmThreads(env.TSGAN_WASM_THREADS);
  if (!Number.isInteger(preferred) || preferred < 1 || preferred > MAX_WASM_THREADS) {
    throw new Error(`tsgan.ready: wasmThreads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${preferred}; leave it out for one thread per core.`);
  }
  return preferred;
}

async function start(env: NodeJS.ProcessEnv, wasmThreads?: number): Promise<EngineInfo> {
  installSecondOrderGradients();
  const forcedChoice = parseBackendChoice(env.TSGAN_BACKEND);
  let info: EngineInfo | null = null;
  if (forcedChoice) {
    const c = CANDIDATES.find((x) => x.choice === forcedChoice)!;
    const reason = await activate(c, env, wasmThreads);
    if (reason) {
      throw new Error(
        `TSGAN_BACKEND=${forcedChoice} cannot be used: ${reason}. Install it with: ${c.install}; ` +
          `or unset TSGAN_BACKEND to pick the fastest installed backend.`,
      );
    }
    info = { choice: c.choice, tfName: c.tfName, skipped: [], forced: true };
  } else {
    const skipped: EngineInfo["skipped"] = [];
    for (const c of CANDIDATES) {
      const reason = await activate(c, env, wasmThreads);
      if (reason === null) {
        info = { choice: c.choice, tfName: c.tfName, skipped, forced: false };
        break;
      }
      skipped.push({ choice: c.choice, reason });
    }
    if (!info) throw new Error(`tsgan: no TensorFlow.js backend works: ${describe({ choice: "cpu", tfName: "cpu", skipped, forced: false })}`);
  }
  if (!env.TSGAN_QUIET) console.log(describe(info));
  current = info;
  return info;
}

/**
 * Starts the engine once and resolves to what it chose. Every entry point that computes awaits this;
 * a notebook's first cell does too (`await tsgan.ready()`), so the choice is printed where it is seen.
 */
export interface ReadyOptions {
  /** The environment to read `TSGAN_BACKEND`, `TSGAN_WASM_THREADS` and `TSGAN_QUIET` from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * Threads for the wasm backend when `TSGAN_WASM_THREADS` is not set. Default: one per core. Networks of a
   * few thousand weights (the toy lessons) run faster on 1: each kernel is too small to share, and waking
   * the second thread for every kernel costs more than it saves (lesson 04's ring GAN: 1,000 steps in
   * 4.0-4.5 s on one thread, 5.8-6.7 s on two; the bench's toy-gan row, README "Both cores on wasm").
   */
  wasmThreads?: number;
}

export function ready(options: ReadyOptions = {}): Promise<EngineInfo> {
  const env = options.env ?? process.env;
  if (!engine) {
    engine = start(env, options.wasmThreads);
    engine.catch(() => {
      engine = null; // let a corrected environment try again
    });
  } else if (options.wasmThreads !== undefined) {
    // The pool is fixed once the backend has started (a re-run notebook cell lands here): say so, do not fail.
    const asked = wasmThreadsFor(env, options.wasmThreads);
    void engine.then(
      (info) => {
        const running = wasmBuild();
        if (info.choice === "wasm" && running.fallbackReason === null && running.threads !== asked) {
          console.warn(`tsgan: the engine already runs wasm on ${running.threads} thread(s); restart the kernel (or process) for ${asked}.`);
        }
      },
      () => undefined,
    );
  }
  return engine;
}

/** The engine in use; throws if `ready()` has not resolved yet. */
export function engineInfo(): EngineInfo {
  if (!current) throw new Error("tsgan: the engine is not started yet; `await tsgan.ready()` first.");
  return current;
}

/** For tests: switch to a named backend that is already loaded (keeps registered kernels). */
export async function useBackend(choice: BackendChoice): Promise<void> {
  await ready();
  const c = CANDIDATES.find((x) => x.choice === choice)!;
  const reason = await activate(c);
  if (reason) throw new Error(`tsgan: cannot switch to ${choice}: ${reason}`);
  current = { choice, tfName: c.tfName, skipped: [], forced: true };
}
