import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { MAX_WASM_THREADS, parseWasmThreads, wasmBuild } from "../../lib/engine/wasm-threads";
import { ready, wasmThreadsFor } from "../../lib/engine/backend";

const CHILD = path.resolve(__dirname, "../fixtures/engine/wasm-threads-child.js");

interface ChildResult {
  choice: string; threads: number; fallbackReason: string | null; shared: boolean; simdLoops: boolean; gemm: boolean;
  products: string; mlp: string; dcgan: string; leaked: number;
}

/** Runs the child under TSGAN_WASM_THREADS=threads; a process that does not end by itself is killed (status null). */
function runChild(threads: string, args: string[] = []): { status: number | null; out: string; err: string; result: ChildResult | null } {
  const r = spawnSync(process.execPath, [CHILD, ...args], {
    env: { ...process.env, TSGAN_WASM_THREADS: threads, TSGAN_BACKEND: "wasm", TSGAN_QUIET: "" },
    encoding: "utf8",
    timeout: 120_000,
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  return { status: r.status, out: r.stdout, err: r.stderr, result: line ? (JSON.parse(line) as ChildResult) : null };
}

describe("engine/wasm-threads", function () {
  this.timeout(300_000);

  it("parses TSGAN_WASM_THREADS: a count from 1 to 8, or auto / unset for the machine's cores", () => {
    assert.equal(parseWasmThreads(undefined, 2), 2);
    assert.equal(parseWasmThreads("", 4), 4);
    assert.equal(parseWasmThreads(" AUTO ", 1), 1);
    assert.equal(parseWasmThreads("auto", 64), MAX_WASM_THREADS); // the glue pre-spawns 8 workers
    assert.equal(parseWasmThreads("1"), 1);
    assert.equal(parseWasmThreads("3"), 3);
    for (const bad of ["0", "9", "1.5", "two", "-2"]) {
      assert.throws(() => parseWasmThreads(bad, 2), new RegExp(`TSGAN_WASM_THREADS=${bad.replace(".", "\\.")} is not a thread count.*integer from 1 to 8.*"auto" \\(the machine's cores, here 2\\)`));
    }
  });

  it("2 threads give the 1-thread build's numbers bit for bit (products, conv gradients, fused Adam, training), and the process exits by itself", () => {
    const one = runChild("1");
    const two = runChild("2");
    for (const [name, r] of [["1", one], ["2", two]] as const) {
      assert.equal(r.status, 0, `TSGAN_WASM_THREADS=${name}: status ${r.status} (null: killed, it did not exit)\n${r.out}\n${r.err}`);
      assert.ok(r.result, r.out);
      assert.equal(r.result.choice, "wasm");
      assert.equal(r.result.fallbackReason, null, r.result.fallbackReason ?? "");
      assert.equal(r.result.leaked, 0);
      assert.equal(r.result.simdLoops, true, "the fused optimizers' SIMD loops did not bind to the heap");
      assert.equal(r.result.gemm, true, "tsgan's matrix product did not bind to the heap");
    }
    assert.equal(one.result!.threads, 1);
    assert.equal(one.result!.shared, false); // tfjs's own single-threaded SIMD build
    assert.match(one.out, /tsgan: backend wasm 1 thread \(/);
    assert.equal(two.result!.threads, 2);
    assert.equal(two.result!.shared, true); // the threaded build's heap is a SharedArrayBuffer
    assert.match(two.out, /tsgan: backend wasm 2 threads \(/);
    assert.equal(two.result!.products, one.result!.products, "matMul / conv2d / conv gradients differ between builds");
    assert.equal(two.result!.mlp, one.result!.mlp, "5 MLP GAN steps differ between builds");
    assert.equal(two.result!.dcgan, one.result!.dcgan, "2 DCGAN steps differ between builds");
  });

  it("falls back to the single-threaded build, saying why, when the threaded build fails to load", () => {
    const r = runChild("2", ["fail"]);
    assert.equal(r.status, 0, `${r.out}\n${r.err}`);
    assert.equal(r.result!.threads, 1);
    assert.equal(r.result!.shared, false);
    assert.match(r.result!.fallbackReason!, /the threaded build failed to load: a loader made to fail/);
    assert.match(r.out, /tsgan: backend wasm 1 thread, single-threaded because the threaded build failed to load: a loader made to fail/);
  });

  it("a bad TSGAN_WASM_THREADS stops ready() with the valid values", () => {
    const r = runChild("lots");
    assert.notEqual(r.status, 0);
    assert.match(r.err, /TSGAN_WASM_THREADS=lots is not a thread count tsgan can use: give an integer from 1 to 8/);
  });

  it("ready({ wasmThreads }) sets the count when TSGAN_WASM_THREADS is unset, and the variable wins when set", () => {
    const preferred = runChild("", ["prefer1"]);
    assert.equal(preferred.status, 0, `${preferred.out}\n${preferred.err}`);
    assert.equal(preferred.result!.threads, 1);
    assert.match(preferred.out, /tsgan: backend wasm 1 thread \(/);
    const overridden = runChild("2", ["prefer1"]);
    assert.equal(overridden.status, 0, `${overridden.out}\n${overridden.err}`);
    assert.equal(overridden.result!.threads, 2);
    assert.equal(overridden.result!.fallbackReason, null);
  });

  it("ready({ wasmThreads }) once the engine runs: warns that the count is fixed, only when it differs", async () => {
    const info = await ready();
    const running = wasmBuild();
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
    try {
      await ready({ env: {}, wasmThreads: running.threads });
      await new Promise((r) => setImmediate(r)); // the check runs once the engine's promise settles
      assert.deepEqual(warnings, [], "the same count must not warn");
      const other = running.threads === 1 ? 2 : 1;
      await ready({ env: {}, wasmThreads: other });
      await new Promise((r) => setImmediate(r));
      if (info.choice === "wasm" && running.fallbackReason === null) {
        assert.deepEqual(warnings, [`tsgan: the engine already runs wasm on ${running.threads} thread(s); restart the kernel (or process) for ${other}.`]);
      } else {
        assert.deepEqual(warnings, [], "no pool to resize: no warning");
      }
    } finally {
      console.warn = warn;
    }
  });

  it("wasmThreadsFor: the variable, else the preference (checked), else one per core", () => {
    assert.equal(wasmThreadsFor({}, 1), 1);
    assert.equal(wasmThreadsFor({ TSGAN_WASM_THREADS: "" }, 3), 3);
    assert.equal(wasmThreadsFor({ TSGAN_WASM_THREADS: "2" }, 1), 2);
    assert.equal(wasmThreadsFor({}), parseWasmThreads(undefined));
    for (const bad of [0, 1.5, 9, NaN]) {
      assert.throws(() => wasmThreadsFor({}, bad), /tsgan.ready: wasmThreads must be an integer from 1 to 8, got .*; leave it out for one thread per core/);
    }
  });

  it(`auto uses the machine's cores (${os.cpus().length} here, at most 8)`, () => {
    const r = runChild("auto");
    assert.equal(r.status, 0, `${r.out}\n${r.err}`);
    assert.equal(r.result!.threads, Math.min(os.cpus().length, MAX_WASM_THREADS));
  });
});
