/**
 * The global norm (lib/engine/global-norm.ts): the float64 sum of squares by hand, wasm's one kernel against
 * cpu's composed ops for mixed shapes (scalars, tails of 1–3), non-finite values, an empty list, and no leaks.
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../lib/engine/backend";
import { makeRandom } from "../../lib/engine/seed";
import { GLOBAL_NORM_KERNEL, globalNorm, sumOfSquares } from "../../lib/engine/global-norm";
import { assertLeavesNothing } from "./leak-check";

function randomTensors(seed: number, shapes: number[][]): Float32Array[] {
  const rand = makeRandom(seed);
  return shapes.map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => (rand() * 2 - 1) * 3));
}

describe("engine/global-norm", function () {
  this.timeout(30000);
  after(async () => useBackend("wasm"));

  it("sumOfSquares is the float64 sum of squares, for every length modulo 4", () => {
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 1001]) {
      const [x] = randomTensors(n, [[n]]);
      let want = 0;
      for (const v of x) want += v * v;
      assert.ok(Math.abs(sumOfSquares(x) - want) <= 1e-12 * Math.max(1, want), `n ${n}: ${sumOfSquares(x)} vs ${want}`);
    }
    assert.equal(sumOfSquares(Float32Array.of(3, 4)), 25);
  });

  it("on wasm is one kernel equal to cpu's Square + Sum + AddN + Sqrt, and to the float64 norm", async () => {
    const shapes = [[2, 64], [64], [64, 64], [1], [], [3, 5, 7], [1000]];
    const arrays = randomTensors(7, shapes);
    const norms: Record<string, number> = {};
    for (const backend of ["wasm", "cpu"] as const) {
      await useBackend(backend);
      const tensors = arrays.map((a, i) => tf.tensor(a, shapes[i]));
      const profile = await tf.profile(() => {
        norms[backend] = tf.tidy(() => globalNorm(tensors).dataSync()[0]);
      });
      const names = profile.kernels.map((k) => k.name);
      assert.deepEqual(names.filter((k) => k === GLOBAL_NORM_KERNEL), backend === "wasm" ? [GLOBAL_NORM_KERNEL] : []);
      if (backend === "wasm") assert.equal(names.length, 1, `only the one kernel: ${names.join(", ")}`);
      tf.dispose(tensors);
    }
    const exact = Math.sqrt(arrays.reduce((s, a) => s + sumOfSquares(a), 0));
    assert.equal(norms.wasm, Math.fround(exact), "wasm: the float64 norm, rounded once");
    assert.ok(Math.abs(norms.cpu - exact) <= 1e-6 * exact, `cpu ${norms.cpu} vs ${exact}`);
  });

  it("is NaN or Infinity when any element is, and 0 for no tensors", async () => {
    await useBackend("wasm");
    tf.tidy(() => {
      assert.ok(Number.isNaN(globalNorm([tf.ones([5]), tf.tensor1d([1, NaN, 2])]).dataSync()[0]));
      assert.equal(globalNorm([tf.tensor1d([1, -Infinity]), tf.ones([3])]).dataSync()[0], Infinity);
      // Squares beyond float32's range do not overflow a float64 sum: the norm is the true one.
      assert.equal(globalNorm([tf.tensor1d([1e30, 1e30])]).dataSync()[0], Math.fround(Math.SQRT2 * 1e30));
      assert.equal(globalNorm([]).dataSync()[0], 0);
    });
  });

  it("leaves no tensors and no wasm heap buffers behind", async () => {
    await useBackend("wasm");
    const xs = [tf.randomNormal([16, 8]), tf.randomNormal([8])];
    const once = () => tf.tidy(() => globalNorm(xs).dataSync()[0]);
    assertLeavesNothing(once);
    tf.dispose(xs);
  });
});
