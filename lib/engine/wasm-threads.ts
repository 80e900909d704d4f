/**
 * Both cores for the wasm backend in Node: tfjs-backend-wasm's threaded-SIMD build (XNNPACK with a pthread
 * pool), which tfjs 4.22 never uses under Node.
 *
 * Why tfjs does not: its `WASM_HAS_MULTITHREAD_SUPPORT` flag returns false under Node (tensorflow/tfjs#3830),
 * and forcing it fails because `init()` hands Emscripten the pthread worker as a browser `blob:` URL
 * (Node's worker_threads take a file path: ERR_WORKER_PATH) and the main script as a Blob of the *bundled*
 * factory, which cannot run on its own in a worker. The Emscripten glue it ships
 * (`wasm-out/tfjs-backend-wasm-threaded-simd.js`, Emscripten 3.1.28, built without `-s ENVIRONMENT=`) does
 * support Node's worker_threads. So tsgan calls that glue itself with three file paths — the worker script
 * (written once to a file), the glue as the workers' main script, the `.wasm` — and wraps the module in the
 * exported `BackendWasm`, under the same backend name: every stock and tsgan wasm kernel binds to it as usual.
 * node_modules is not patched. The research, the probe and its numbers: bench/notes/threaded-wasm.md.
 *
 * One more catch: the C++ side caps the pool at emscripten_num_logical_cores() / 2 (backend.cc), i.e. one
 * thread on a 2-core machine; the `instantiateWasm` hook reports 2·n cores so that n threads are allowed.
 *
 * The thread count: `TSGAN_WASM_THREADS` = a number, or `auto` (the default: the machine's logical cores,
 * at most 8, the glue's pre-spawned pool). `1` keeps tfjs's own single-threaded SIMD build. With n > 1 the
 * threaded build's shared heap is what matters: tsgan's matrix products and convolutions run on n threads
 * there (wasm-gemm-thread.ts), while XNNPACK's own pool is kept at one thread (see threadedBackend).
 * Any failure of the threaded path falls back to the stock factory, and the reason is kept for `describe`.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";

/** The glue pre-spawns this many workers (PTHREAD_POOL_SIZE=8); threads beyond them would deadlock at start. */
export const MAX_WASM_THREADS = 8;
/** The package version whose glue, worker protocol and cwrap names this file was written and tested against. */
const TESTED_WASM_VERSION = "4.22.0";

/** Parses `TSGAN_WASM_THREADS`; throws a message naming the valid values for anything else. */
export function parseWasmThreads(value: string | undefined, cores = os.cpus().length): number {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "" || v === "auto") return Math.max(1, Math.min(cores, MAX_WASM_THREADS));
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(
      `TSGAN_WASM_THREADS=${value} is not a thread count tsgan can use: give an integer from 1 to ${MAX_WASM_THREADS}, ` +
        `or "auto" (the machine's cores, here ${cores}), or unset it.`,
    );
  }
  return n;
}

/** What the wasm backend in use was built from, for `describe()` and the benchmark's header. */
export interface WasmBuild {
  threads: number;
  /** Why the threaded build is not in use when more than one thread was asked for; null otherwise. */
  fallbackReason: string | null;
}

let build: WasmBuild = { threads: 1, fallbackReason: null };
/** Set once tsgan's factory is registered: a later call (another activate, a test's own loader) keeps it. */
let registered = false;

/** The wasm build the registered factory made (threads 1 until a threaded backend initialised). */
export function wasmBuild(): WasmBuild {
  return build;
}

/** The subset of the Emscripten module object tsgan reaches into. */
interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => unknown;
  PThread?: { runningWorkers: { unref(): void }[] };
  wasmMemory?: WebAssembly.Memory;
  tfjs?: unknown;
}

function packageDir(): string {
  return path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
}

/**
 * Writes the pthread entry script where Node's Worker can load it: a file named by its content's hash in the
 * temp folder, written under a temporary name and renamed, so concurrent processes never read half a file.
 */
function workerScriptFile(outDir: string): string {
  const { wasmWorkerContents } = require(path.join(outDir, "tfjs-backend-wasm-threaded-simd.worker.js")) as { wasmWorkerContents: string };
  // The package stores the script in a template literal, which turned its "\n" escapes into newlines;
  // tfjs's own loader undoes that the same way (backend_wasm.js, locateFile).
  const text = wasmWorkerContents.replace(/\n/g, "\\n");
  const hash = crypto.createHash("sha256").update(text).digest("hex").slice(0, 12);
  // .cjs: the script uses CommonJS `require` and `__filename`, whatever package.json lies near the temp folder.
  const file = path.join(os.tmpdir(), `tsgan-tfjs-wasm-pthread-${hash}.cjs`);
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, text);
    fs.renameSync(partial, file);
  }
  return file;
}

/** The threads of XNNPACK's pool in the threaded build (see threadedBackend). */
const XNNPACK_THREADS = 1;

/** Instantiates the threaded module with `threads` pthreads allowed; rejects on any loading error. */
function loadThreadedModule(threads: number): Promise<EmscriptenModule> {
  const outDir = path.join(packageDir(), "wasm-out");
  const glue = path.join(outDir, "tfjs-backend-wasm-threaded-simd.js");
  const binary = path.join(outDir, "tfjs-backend-wasm-threaded-simd.wasm");
  const workerFile = workerScriptFile(outDir);
  const factory = require(glue) as (config: object) => Promise<EmscriptenModule>;
  return new Promise((resolve, reject) => {
    factory({
      // The workers importScripts() this file: the unbundled glue defines the factory as a global there.
      mainScriptUrlOrBlob: glue,
      locateFile: (p: string, prefix: string) => (p.endsWith(".worker.js") ? workerFile : p.endsWith(".wasm") ? binary : prefix + p),
      instantiateWasm(imports: { env: Record<string, unknown> }, receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) {
        // backend.cc: num_cores = emscripten_num_logical_cores() / 2 caps the pool; report 2·threads cores.
        const env = { ...imports.env, emscripten_num_logical_cores: () => 2 * threads };
        WebAssembly.instantiate(fs.readFileSync(binary), { ...imports, env, wasi_snapshot_preview1: env })
          .then((r) => receive(r.instance, r.module), reject); // the module itself is posted to every worker
        return {};
      },
      onAbort: (what: unknown) => reject(new Error(`the threaded wasm module aborted: ${String(what)}`)),
    }).then(resolve, reject);
  });
}

type BackendFactory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

/** Builds a BackendWasm on the threaded module (the cwraps are those of tfjs's own init()). */
async function threadedBackend(threads: number): Promise<tf.KernelBackend> {
  const wasmPkg = require("@tensorflow/tfjs-backend-wasm");
  const module = await loadThreadedModule(threads);
  module.tfjs = {
    init: module.cwrap("init", null, []),
    initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: module.cwrap("get_threads_count", "number", []),
    registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: module.cwrap("dispose_data", null, ["number"]),
    dispose: module.cwrap("dispose", null, []),
  };
  // XNNPACK's own pool keeps one thread. Its workers spin for a while after every op they help with, and on
  // 2 cores they then took the core from tsgan's product threads (wasm-gemm-thread.ts), which now do the
  // heavy work — products and convolutions; what stays on XNNPACK is elementwise and memory-bound. Measured
  // (vanilla GAN step, 2 cores): 47 ms with XNNPACK at 2 threads, 37 ms at 1.
  wasmPkg.setThreadsCount(XNNPACK_THREADS);
  const backend = new wasmPkg.BackendWasm(module) as tf.KernelBackend;
  // A worker running a pthread is ref()'d by the glue; unref so that a finished script or kernel exits.
  for (const w of module.PThread?.runningWorkers ?? []) w.unref();
  const got = (module.tfjs as { getThreadsCount(): number }).getThreadsCount();
  if (got !== XNNPACK_THREADS) throw new Error(`the threaded wasm module started ${got} XNNPACK threads, not ${XNNPACK_THREADS}`);
  if (!(module.wasmMemory instanceof WebAssembly.Memory)) throw new Error("the threaded wasm module exposes no memory");
  return backend;
}

/**
 * Registers the `wasm` backend factory so that it builds the threaded backend with `threads` threads,
 * falling back to tfjs's own single-threaded factory on any failure. Call after loading
 * `@tensorflow/tfjs-backend-wasm` and before `tf.setBackend("wasm")`; with threads = 1, or once the wasm
 * backend exists, it does nothing. `load` builds the threaded backend (tests replace it to exercise the fallback).
 */
export function registerThreadedWasm(threads: number, load: (threads: number) => Promise<tf.KernelBackend> = threadedBackend): void {
  if (threads <= 1 || registered || tf.engine().registry.wasm) return;
  const stock = tf.findBackendFactory("wasm") as BackendFactory | null;
  if (!stock) throw new Error("tsgan: load @tensorflow/tfjs-backend-wasm before registering its threaded build.");
  const version = (require("@tensorflow/tfjs-backend-wasm/package.json") as { version: string }).version;
  const factory: BackendFactory = async () => {
    if (version !== TESTED_WASM_VERSION) {
      build = { threads: 1, fallbackReason: `tfjs-backend-wasm ${version} is not the tested ${TESTED_WASM_VERSION}` };
      return stock();
    }
    try {
      const backend = await load(threads);
      build = { threads, fallbackReason: null };
      // Read by code that reports the build (tfjs's own flag; false under Node by default).
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
      return backend;
    } catch (err) {
      build = { threads: 1, fallbackReason: `the threaded build failed to load: ${(err as Error).message.split("\n")[0]}` };
      return stock();
    }
  };
  tf.removeBackend("wasm");
  registered = true;
  tf.registerBackend("wasm", factory, 2); // tfjs-backend-wasm's own name and priority (WASM_PRIORITY)
}
