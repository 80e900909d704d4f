/**
 * The `webgpu` backend: `@tensorflow/tfjs-backend-webgpu` running on Dawn, Chrome's WebGPU implementation,
 * which the `webgpu` npm package ships prebuilt for Node (`dawn.node`, no download at install time).
 *
 * Both packages are optional peers of tsgan: together they are about 150 MB on disk (Dawn for five
 * platforms), and they are only worth it on a machine with a GPU driver Dawn can use (Vulkan on Linux,
 * Metal on macOS, D3D12 on Windows). Without one, Dawn finds no adapter and this backend is skipped with one
 * line saying why.
 *
 * tfjs-backend-webgpu registers itself only if `navigator.gpu` exists when it is first required, and its
 * factory crashes on a missing adapter, so `prepareWebGpu()` must run first: it sets up `navigator.gpu` only
 * once Dawn has produced a real GPU adapter, and leaves the globals untouched otherwise.
 *
 * Even with a GPU, tfjs-backend-webgpu 4.22 cannot `dataSync()` in Node: its synchronous read goes through an
 * `OffscreenCanvas` with a "webgpu" context, which only browsers have ("OffscreenCanvas is not defined").
 * tsgan reads losses, metrics and spectral norms with `dataSync()` (and backend.ts probes with it, outside
 * its try), so the backend is skipped, naming the adapter Dawn found, until that works.
 */
import * as tf from "@tensorflow/tfjs";
import * as fs from "fs";
import * as path from "path";
import { pathToFileURL } from "url";

export const DAWN_PACKAGE = "webgpu";
export const TFJS_WEBGPU_PACKAGE = "@tensorflow/tfjs-backend-webgpu";

/** Dawn answers in well under a second; a driver that hangs must not hang `ready()` with it. */
const ADAPTER_TIMEOUT_MS = 15_000;

/** The parts of WebGPU's `GPU` / `GPUAdapter` this file uses. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: "high-performance" | "low-power" }): Promise<AdapterLike | null>;
}
export interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
}

function resolvable(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** Why the packages cannot be used, or null when both resolve. `webgpu` is not needed if navigator.gpu exists. */
export function missingPackages(needDawn: boolean, isInstalled: (pkg: string) => boolean = resolvable): string | null {
  const missing = [needDawn ? DAWN_PACKAGE : null, TFJS_WEBGPU_PACKAGE].filter((p): p is string => p !== null && !isInstalled(p));
  if (missing.length === 0) return null;
  return `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not installed`;
}

/** A `navigator.gpu` someone set up already (their own Dawn flags, Deno, a test's fake); tsgan uses it as is. */
function existingGpu(): GpuLike | null {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav && nav.gpu ? nav.gpu : null;
}

/**
 * On Linux Dawn's only GPU path is Vulkan, which it reaches by dlopen("libvulkan.so.1"). Without that loader
 * it finds nothing and prints a three-line warning of its own on stderr, so look first: true only when sure
 * it is absent (not in LD_LIBRARY_PATH, beside dawn.node, in the ld.so cache, or in the default dirs).
 */
export function vulkanLoaderAbsent(
  env: NodeJS.ProcessEnv = process.env,
  dawnDir: string | null = null,
  exists: (file: string) => boolean = fs.existsSync,
  readCache: () => string | null = () => readOrNull("/etc/ld.so.cache"),
): boolean {
  const lib = "libvulkan.so.1";
  const dirs = [...(env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean), ...(dawnDir ? [dawnDir] : [])];
  if (dirs.some((d) => exists(path.join(d, lib)))) return false;
  const cache = readCache();
  if (cache === null) return false; // no ld.so cache (NixOS, musl): cannot tell, let Dawn look
  if (cache.includes(lib)) return false;
  const defaults = ["/lib", "/usr/lib", "/lib64", "/usr/lib64", `/lib/${multiarch()}`, `/usr/lib/${multiarch()}`];
  return !defaults.some((d) => exists(path.join(d, lib)));
}

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, "latin1");
  } catch {
    return null;
  }
}

function multiarch(): string {
  return process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
}

/** What to install so that Dawn finds the GPU, per platform; short, it ends a one-line reason. */
function driverHint(platform: NodeJS.Platform = process.platform): string {
  if (platform === "darwin") return "Dawn needs a Metal GPU (macOS 11 or later)";
  if (platform === "win32") return "install the GPU vendor's D3D12 or Vulkan driver";
  return "install the GPU's Vulkan driver; `vulkaninfo --summary` should list the GPU";
}

/** A CPU rasterizer behind WebGPU (lavapipe, llvmpipe, SwiftShader) is not what a GPU backend is for. */
export function softwareAdapterName(adapter: AdapterLike): string | null {
  const i = adapter.info ?? {};
  const name = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(" ").trim();
  if (i.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader/i.test(name)) return name || "fallback adapter";
  return null;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
    timer.unref(); // a pending probe must not keep Node alive
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Asks for a GPU adapter the way tfjs-backend-webgpu will; returns why there is none to use, or null. */
export async function adapterReason(
  gpu: GpuLike,
  platform: NodeJS.Platform = process.platform,
  timeoutMs = ADAPTER_TIMEOUT_MS,
  found: (name: string) => void = () => {},
): Promise<string | null> {
  let adapter: AdapterLike | null | "timeout";
  try {
    adapter = await withTimeout(gpu.requestAdapter({ powerPreference: "high-performance" }), timeoutMs);
  } catch (err) {
    return `Dawn failed to look for a GPU adapter: ${String((err as Error).message ?? err).split("\n")[0]}`;
  }
  if (adapter === "timeout") return `Dawn did not answer requestAdapter() within ${timeoutMs / 1000} s`;
  if (!adapter) return `no GPU adapter (Dawn found none; ${driverHint(platform)})`;
  const software = softwareAdapterName(adapter);
  if (software) return `only a software adapter (${software}), not a GPU; ${driverHint(platform)}`;
  found(adapterName(adapter));
  return null;
}

function adapterName(adapter: AdapterLike): string {
  const i = adapter.info ?? {};
  return i.description || [i.vendor, i.architecture, i.device].filter(Boolean).join(" ") || "a GPU adapter";
}

/**
 * `import()` kept as a real dynamic import: `webgpu` is an ES module, and TypeScript's CommonJS output
 * would turn `import()` into `require()`, which cannot load ES modules before Node 20.19.
 */
const importEsm = new Function("url", "return import(url)") as (url: string) => Promise<unknown>;

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

async function loadDawn(): Promise<DawnModule> {
  return (await importEsm(pathToFileURL(require.resolve(DAWN_PACKAGE)).href)) as DawnModule;
}

/** Defines the WebGPU globals tfjs-backend-webgpu expects (GPUBufferUsage, GPUMapMode, ...) and navigator.gpu. */
function installGlobals(dawn: DawnModule, gpu: GpuLike): void {
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(dawn.globals)) if (!(name in g)) g[name] = value;
  const nav = g.navigator as object | undefined;
  // Node 21+ has a read-only global `navigator` without `gpu`: add the property to it rather than replace it.
  if (nav && typeof nav === "object") Object.defineProperty(nav, "gpu", { value: gpu, configurable: true, writable: true });
  else Object.defineProperty(g, "navigator", { value: { gpu }, configurable: true, writable: true });
}

type Found = { reason: string } | { name: string; install: () => void };

/** Finds a GPU adapter through an existing navigator.gpu or a new Dawn instance, touching no globals yet. */
async function findAdapter(): Promise<Found> {
  const given = existingGpu();
  const missing = missingPackages(given === null);
  if (missing) return { reason: missing };
  let name = "a GPU adapter";
  if (given) {
    const reason = await adapterReason(given, process.platform, ADAPTER_TIMEOUT_MS, (n) => (name = n));
    return reason ? { reason } : { name, install: () => {} };
  }
  const dawnDir = path.join(path.dirname(require.resolve(DAWN_PACKAGE)), "dist", `${process.platform}-${process.arch}`);
  if (process.platform === "linux" && vulkanLoaderAbsent(process.env, dawnDir)) {
    return { reason: `no GPU adapter (no Vulkan loader libvulkan.so.1 for Dawn; ${driverHint("linux")})` };
  }
  let dawn: DawnModule;
  let gpu: GpuLike;
  try {
    dawn = await loadDawn();
    gpu = dawn.create([]);
  } catch (err) {
    return { reason: `${DAWN_PACKAGE} failed to load: ${String((err as Error).message ?? err).split("\n")[0]}` };
  }
  const reason = await adapterReason(gpu, process.platform, ADAPTER_TIMEOUT_MS, (n) => (name = n));
  // On failure nothing was made global, so the Dawn instance goes with `gpu` and cannot keep Node alive.
  return reason ? { reason } : { name, install: () => installGlobals(dawn, gpu) };
}

function hasOffscreenCanvas(): boolean {
  return typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === "function";
}

/** The reason when Dawn has a GPU but tfjs-backend-webgpu's dataSync() cannot work. */
export function cannotReadSync(adapter: string, detail: string): string {
  return `Dawn found ${adapter}, but tfjs-backend-webgpu 4.22 cannot dataSync() in Node (${detail}) and tsgan reads with it`;
}

/** Something defines OffscreenCanvas: try a real read, inside a try (backend.ts's probe is outside one). */
async function syncReadProbe(adapter: string): Promise<string | null> {
  try {
    require(TFJS_WEBGPU_PACKAGE);
    if (!(await tf.setBackend("webgpu"))) return `Dawn found ${adapter}, but webgpu failed to initialise`;
    // A matMul, because tfjs-backend-webgpu runs small element-wise ops on the CPU, which would read fine.
    const probe = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
    return probe === 11 ? null : `webgpu computed 1*3+2*4 = ${probe}`;
  } catch (err) {
    tf.removeBackend("webgpu"); // frees its GPUDevice; the next candidate sets its own backend
    return cannotReadSync(adapter, String((err as Error).message ?? err).split("\n")[0]);
  }
}

/**
 * Gets Dawn and a GPU adapter ready for tfjs-backend-webgpu; returns why the webgpu backend cannot be used
 * (one line, printed after "webgpu: "), or null when `require("@tensorflow/tfjs-backend-webgpu")` may follow.
 */
export async function prepareWebGpu(): Promise<string | null> {
  const found = await findAdapter();
  if ("reason" in found) return found.reason;
  if (!hasOffscreenCanvas()) return cannotReadSync(found.name, "it needs OffscreenCanvas");
  found.install(); // navigator.gpu before tfjs-backend-webgpu is first required, or it does not register
  return syncReadProbe(found.name);
}

/**
 * For measurement only (bench/webgpu-matmul.ts): finds Dawn's GPU adapter and sets up navigator.gpu even though
 * tsgan cannot train on it (no dataSync() in Node), so that tfjs-backend-webgpu can be timed with `await data()`.
 * Returns the adapter's name, or why there is none. `ready()` never calls this.
 */
export async function installDawnForAsyncReads(): Promise<{ adapter: string } | { reason: string }> {
  const found = await findAdapter();
  if ("reason" in found) return { reason: found.reason };
  found.install();
  return { adapter: found.name };
}
