/**
 * `node build/bench/webgpu-matmul.js [--sizes 256,1024,2048,4096] [--seconds 1.5]`: what tfjs's WebGPU backend on
 * Dawn would give tsgan on a real GPU, beside tsgan's wasm engine on the same machine (issue 12, part 6).
 *
 * 1. What tsgan's `ready()` says about `webgpu` (the one-line reason it is skipped, or that it is used).
 * 2. Square float32 matMul GFLOP/s on wasm, then on webgpu with asynchronous reads (`await data()`), two ways:
 *    one read per product (what a training loop that reads a loss each step would see) and ten products per
 *    read (the GPU's own throughput, the read's latency spread over ten).
 * 3. Whether `dataSync()` works on webgpu in Node (tsgan reads losses with it), with the error if not, and
 *    the largest relative difference between webgpu's and wasm's product on the same inputs.
 * Prints a table last. Needs `webgpu` and `@tensorflow/tfjs-backend-webgpu` installed (README, "WebGPU").
 */
import * as tf from "@tensorflow/tfjs";
import { performance } from "perf_hooks";
import { ready } from "../lib/engine/backend";
import { installDawnForAsyncReads, TFJS_WEBGPU_PACKAGE } from "../lib/engine/webgpu";

interface Options { sizes: number[]; seconds: number }

function parse(argv: string[]): Options {
  const o: Options = { sizes: [256, 1024, 2048, 4096], seconds: 1.5 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === "--sizes" && v) { o.sizes = v.split(",").map(Number); i++; }
    else if (argv[i] === "--seconds" && v) { o.seconds = Number(v); i++; }
    else throw new Error(`webgpu-matmul: unknown option ${argv[i]}; options: --sizes 256,1024 --seconds 1.5`);
  }
  if (o.sizes.some((n) => !Number.isInteger(n) || n < 1) || !(o.seconds > 0)) {
    throw new Error("webgpu-matmul: --sizes takes positive integers, --seconds a positive number");
  }
  return o;
}

/** GFLOP/s of n×n·n×n products, `perRead` products queued before each `await data()`. */
async function matMulRate(a: tf.Tensor2D, b: tf.Tensor2D, perRead: number, seconds: number): Promise<number> {
  const n = a.shape[0];
  const round = async () => {
    const cs = Array.from({ length: perRead }, () => tf.matMul(a, b));
    await cs[cs.length - 1].data(); // an in-order queue: the last one done means all are
    cs.forEach((c) => c.dispose());
  };
  await round(); // shader compilation, buffer pools
  let products = 0;
  const t0 = performance.now();
  while (products < 2 * perRead || performance.now() - t0 < seconds * 1000) {
    await round();
    products += perRead;
  }
  return (2 * n ** 3 * products) / ((performance.now() - t0) / 1000) / 1e9;
}

function inputs(n: number): [tf.Tensor2D, tf.Tensor2D] {
  return [tf.randomUniform([n, n], -1, 1, "float32", n) as tf.Tensor2D, tf.randomUniform([n, n], -1, 1, "float32", n + 1) as tf.Tensor2D];
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const info = await ready();
  const skipped = info.skipped.find((s) => s.choice === "webgpu");
  const webgpuLine = skipped ? `webgpu skipped: ${skipped.reason}` : info.choice === "webgpu" ? "webgpu: in use" : "webgpu: not tried";
  console.log(`tsgan ready(): ${info.choice}; ${webgpuLine}`);
  const rows: string[][] = [];
  const reference = new Map<number, Float32Array>();
  for (const n of o.sizes) {
    const [a, b] = inputs(n);
    reference.set(n, (await tf.matMul(a, b).data()) as Float32Array);
    rows.push([`${info.choice} (tsgan)`, String(n), (await matMulRate(a, b, 1, o.seconds)).toFixed(1), "—"]);
    console.log(rows[rows.length - 1].join("  "));
    tf.dispose([a, b]);
  }
  const dawn = await installDawnForAsyncReads();
  if ("reason" in dawn) {
    console.log(`webgpu: ${dawn.reason}; nothing to measure there`);
  } else {
    require(TFJS_WEBGPU_PACKAGE);
    if (!(await tf.setBackend("webgpu"))) throw new Error(`webgpu: Dawn found ${dawn.adapter} but the backend did not initialise`);
    console.log(`webgpu: Dawn adapter ${dawn.adapter}`);
    try {
      const v = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
      console.log(`webgpu dataSync(): works (${v})`);
    } catch (err) {
      console.log(`webgpu dataSync(): fails: ${String((err as Error).message).split("\n")[0]}`);
    }
    for (const n of o.sizes) {
      const [a, b] = inputs(n); // same seeds as on wasm: the same numbers
      const got = (await tf.matMul(a, b).data()) as Float32Array;
      const want = reference.get(n)!;
      let diff = 0, norm = 0;
      for (let i = 0; i < want.length; i++) { diff = Math.max(diff, Math.abs(got[i] - want[i])); norm = Math.max(norm, Math.abs(want[i])); }
      const relative = (diff / norm).toExponential(1);
      rows.push(["webgpu, 1 product per read", String(n), (await matMulRate(a, b, 1, o.seconds)).toFixed(1), relative]);
      rows.push(["webgpu, 10 products per read", String(n), (await matMulRate(a, b, 10, o.seconds)).toFixed(1), relative]);
      console.log(rows.slice(-2).map((r) => r.join("  ")).join("\n"));
      tf.dispose([a, b]);
    }
  }
  console.log("\n| backend | n | GFLOP/s | max |Δ| / max |wasm| |\n| --- | --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
