#!/usr/bin/env node
// bench/notes/threaded-wasm-probe.js: does tfjs-backend-wasm 4.22's threaded build run under Node?
// Usage (repo root): node bench/notes/threaded-wasm-probe.js single|stock|<threads>
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { performance } = require("perf_hooks");
const tf = require("@tensorflow/tfjs");
const wasmPkg = require("@tensorflow/tfjs-backend-wasm"); // registers the flags, the kernels and the stock 'wasm' factory

const mode = process.argv[2] || "2";
const pkgDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
const OUT = path.join(pkgDir, "wasm-out");
const GLUE = path.join(OUT, "tfjs-backend-wasm-threaded-simd.js");
const WASM = path.join(OUT, "tfjs-backend-wasm-threaded-simd.wasm");

function installThreaded(threads) {
  // The pthread entry script must be a real file: Node's Worker takes a path, not a blob: URL.
  const { wasmWorkerContents } = require(path.join(OUT, "tfjs-backend-wasm-threaded-simd.worker.js"));
  const workerFile = path.join(os.tmpdir(), `tfjs-wasm-4.22.0-pthread-${process.pid}.cjs`);
  fs.writeFileSync(workerFile, wasmWorkerContents.replace(/\n/g, "\\n")); // same escaping as backend_wasm.js:244
  process.on("exit", () => { try { fs.unlinkSync(workerFile); } catch (_) { /* already gone */ } });
  const factory = require(GLUE); // the unbundled Emscripten glue; workers importScripts() this same file

  tf.removeBackend("wasm");
  tf.registerBackend("wasm", async () => {
    const t0 = performance.now();
    const module = await new Promise((resolve, reject) => {
      factory({
        mainScriptUrlOrBlob: GLUE,
        locateFile: (p, prefix) => (p.endsWith(".worker.js") ? workerFile : p.endsWith(".wasm") ? WASM : prefix + p),
        instantiateWasm(info, receive) {
          // backend.cc:77,105 caps threads at emscripten_num_logical_cores()/2 (= 1 on 2 CPUs): report 2*threads.
          const env = Object.assign({}, info.env, { emscripten_num_logical_cores: () => 2 * threads });
          WebAssembly.instantiate(fs.readFileSync(WASM), Object.assign({}, info, { env, wasi_snapshot_preview1: env }))
            .then((r) => receive(r.instance, r.module), reject); // the module is posted to the workers
          return {};
        },
        onAbort: (what) => reject(new Error(`wasm aborted: ${what}`)),
      }).then(resolve, reject);
    });
    module.tfjs = { // as backend_wasm.js:296-313
      init: module.cwrap("init", null, []),
      initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
      getThreadsCount: module.cwrap("get_threads_count", "number", []),
      registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
      disposeData: module.cwrap("dispose_data", null, ["number"]),
      dispose: module.cwrap("dispose", null, []),
    };
    wasmPkg.setThreadsCount(threads);
    const backend = new wasmPkg.BackendWasm(module); // init_with_threads_count(threads): starts threads-1 pthreads
    for (const w of module.PThread.runningWorkers) w.unref(); // spawnThread ref()'d them; don't keep the process alive
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    console.log(`threaded init: ${(performance.now() - t0).toFixed(0)} ms`);
    return backend;
  }, 2);
}

function checksum(f32) { // FNV-1a over the float bits: equal iff bit-identical
  const u = new Uint32Array(f32.buffer, f32.byteOffset, f32.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i], 0x01000193) >>> 0;
  return h.toString(16);
}

function time(label, reps, fn) {
  for (let i = 0; i < 3; i++) fn(); // warm-up (XNNPACK operator creation, packing)
  const c0 = process.cpuUsage(), t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  const wall = (performance.now() - t0) / reps;
  const c = process.cpuUsage(c0), cpu = (c.user + c.system) / 1000 / reps;
  console.log(`${label}: ${wall.toFixed(3)} ms/op wall, ${cpu.toFixed(3)} ms/op CPU (all threads)`);
}

async function main() {
  if (mode === "stock") tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  else if (mode !== "single") installThreaded(Number(mode));

  const ok = await tf.setBackend("wasm");
  if (!ok || tf.getBackend() !== "wasm") {
    console.log(`mode ${mode}: wasm did not initialise (tfjs's warning above says why)`);
    process.exitCode = 2;
    return;
  }
  const be = tf.backend();
  const m = be.wasm;
  console.log({
    mode, threads: wasmPkg.getThreadsCount(), cpus: os.cpus().length,
    shared: m.HEAPU8.buffer instanceof SharedArrayBuffer,
    asmMemory: !!(m.asm && m.asm.memory), wasmMemory: m.wasmMemory instanceof WebAssembly.Memory,
    workers: m.PThread ? m.PThread.unusedWorkers.length + m.PThread.runningWorkers.length : 0,
  });

  // 1. Correctness: a 256×256 product against a float64 JS reference, and a checksum to compare across modes.
  const n = 256;
  const A = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i));
  const B = Float32Array.from({ length: n * n }, (_, i) => Math.cos(0.7 * i));
  const C = tf.tidy(() => tf.matMul(tf.tensor2d(A, [n, n]), tf.tensor2d(B, [n, n])).dataSync());
  let err = 0;
  for (let i = 0; i < n; i += 17) for (let j = 0; j < n; j += 13) {
    let s = 0;
    for (let k = 0; k < n; k++) s += A[i * n + k] * B[k * n + j];
    err = Math.max(err, Math.abs(s - C[i * n + j]));
  }
  const x = tf.tensor4d(Float32Array.from({ length: 8 * 14 * 14 * 64 }, (_, i) => Math.sin(0.3 * i)), [8, 14, 14, 64]);
  const w = tf.tensor4d(Float32Array.from({ length: 5 * 5 * 64 * 128 }, (_, i) => Math.cos(0.1 * i) / 40), [5, 5, 64, 128]);
  const conv = tf.tidy(() => tf.conv2d(x, w, 2, "same").dataSync());
  console.log(`matMul max|err| ${err.toExponential(2)}; checksums matMul ${checksum(C)} conv ${checksum(conv)}; ` +
    `dataSync result shared? ${C.buffer instanceof SharedArrayBuffer}`);

  // 2. Speed: wall and process CPU (which includes every pthread's spinning).
  for (const [M, K, N, reps] of [[512, 512, 512, 40], [64, 784, 256, 300], [64, 256, 1, 2000]]) {
    const a = tf.randomNormal([M, K]), b = tf.randomNormal([K, N]);
    time(`matMul ${M}x${K}x${N}`, reps, () => tf.tidy(() => { tf.matMul(a, b).dataSync(); }));
    tf.dispose([a, b]);
  }
  time("conv2d [8,14,14,64]*[5,5,64,128] s2", 20, () => tf.tidy(() => { tf.conv2d(x, w, 2, "same").dataSync(); }));
  tf.dispose([x, w]);

  // 3. What tsgan's kernels meet on shared memory.
  const t = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]);
  const v = be.typedArrayFromHeap(t);
  console.log({
    viewShared: v.buffer instanceof SharedArrayBuffer,
    sliceShared: v.slice(0, 4).buffer instanceof SharedArrayBuffer,
    subarrayShared: v.subarray(0, 4).buffer instanceof SharedArrayBuffer,
    isF32: v instanceof Float32Array, isView: ArrayBuffer.isView(v),
  });
  try {
    new TextDecoder().decode(new Uint8Array(m.HEAPU8.buffer, 0, 16));
    console.log("TextDecoder.decode on a heap view: ok");
  } catch (e) {
    console.log(`TextDecoder.decode on a heap view throws: ${e.message}`);
  }

  // 4. The memory import perf-simd.ts needs: flags 0 (today's, unshared) vs flags 3 (shared, max 65536).
  const mem = (m.asm && m.asm.memory) || m.wasmMemory;
  const importOnly = (flags) => new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, flags === 3 ? 0x12 : 0x0f, 1,
    3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2, flags, 1, ...(flags === 3 ? [0x80, 0x80, 0x04] : [])]);
  for (const flags of [0, 3]) {
    try {
      new WebAssembly.Instance(new WebAssembly.Module(importOnly(flags)), { env: { memory: mem } });
      console.log(`memory import flags ${flags}: links`);
    } catch (e) {
      console.log(`memory import flags ${flags}: ${e.message}`);
    }
  }
  try {
    const { simdLoopsFor } = require("../build/lib/engine/perf-simd");
    console.log(`tsgan simdLoopsFor(memory): ${simdLoopsFor(mem) ? "SIMD loops" : "null (JS fallback)"}`);
  } catch (_) {
    console.log("build/lib/engine/perf-simd.js not built; skipped");
  }

  // 5. Heap growth: a 256 MB tensor grows the memory; HEAP views must follow, old views behave as documented.
  const before = m.HEAPU8.buffer.byteLength;
  const big = tf.zeros([64 * 1024 * 1024]);
  const bigSum = big.sum().dataSync()[0];
  console.log({ heapBefore: before, heapAfter: m.HEAPU8.buffer.byteLength, bigSum,
    bigView: be.typedArrayFromHeap(big).length, oldViewLength: v.length, oldView0: v[0] });
  tf.dispose([big, t]);

  console.log("done: the process should now exit by itself");
}

main().catch((e) => { console.error(e); process.exit(1); });
