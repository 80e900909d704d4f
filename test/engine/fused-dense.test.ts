/**
 * The fused dense op (lib/engine/fused-dense.ts): on wasm against tfjs's own ops on the cpu backend (values,
 * first- and second-order gradients, every activation, with and without bias, sizes that are and are not
 * multiples of 4), bit-identity with the unfused Dense + activation on wasm, finite differences, bad input,
 * and no leaked tensors or heap buffers.
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { useBackend, BackendChoice } from "../../lib/engine/backend";
import { makeRandom } from "../../lib/engine/seed";
import { activationGrad, denseActivation, fusedDenseAvailable, FusedDenseActivation } from "../../lib/engine/fused-dense";
import { assertLeavesNothing } from "./leak-check";

const REL_TOL = 1e-5;

type Arrays = Record<string, { data: Float32Array; shape: number[] }>;

function randomArrays(seed: number, shapes: Record<string, number[]>): Arrays {
  const rand = makeRandom(seed);
  const out: Arrays = {};
  for (const [k, shape] of Object.entries(shapes)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = rand() * 2 - 1;
    out[k] = { data, shape };
  }
  return out;
}

/** Runs `f` on `backend` with the arrays as tensors there; returns its outputs as plain arrays. */
async function runOn(backend: BackendChoice, arrays: Arrays, f: (t: Record<string, tf.Tensor>) => tf.Tensor[]): Promise<Float32Array[]> {
  await useBackend(backend);
  return tf.tidy(() => {
    const t: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(arrays)) t[k] = tf.tensor(v.data, v.shape);
    return f(t).map((o) => Float32Array.from(o.dataSync()));
  });
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= maxDiff)) maxDiff = d; // NaN-safe
  }
  return maxDiff / Math.max(1, maxRef);
}

/** tfjs's own composition, the reference: matMul, add, relu / leakyRelu. */
function reference(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | undefined, activation: FusedDenseActivation, alpha: number): tf.Tensor {
  let z = tf.matMul(x, w);
  if (b) z = tf.add(z, b);
  if (activation === "relu") return tf.relu(z);
  if (activation === "leakyRelu") return tf.leakyRelu(z, alpha);
  return z;
}

/** y, ∂L/∂(x, W, b) for L = Σ y²·c, and ∂/∂(W, b) of the gradient penalty ‖∂L/∂x‖² (double backprop). */
function outputsAndGradients(op: typeof reference, activation: FusedDenseActivation, withBias: boolean) {
  return (t: Record<string, tf.Tensor>): tf.Tensor[] => {
    const alpha = 0.2;
    const loss = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => tf.sum(tf.mul(tf.square(op(x, w, b, activation, alpha)), t.c));
    const y = op(t.x, t.w, withBias ? t.b : undefined, activation, alpha);
    const firstOrder = withBias
      ? tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => loss(x, w, b))([t.x, t.w, t.b])
      : tf.grads((x: tf.Tensor, w: tf.Tensor) => loss(x, w))([t.x, t.w]);
    const penalty = (w: tf.Tensor, b: tf.Tensor) => {
      const dx = tf.grad((x: tf.Tensor) => loss(x, w, withBias ? b : undefined))(t.x);
      return tf.sum(tf.square(dx));
    };
    const secondOrder = withBias ? tf.grads(penalty)([t.w, t.b]) : [tf.grad((w: tf.Tensor) => penalty(w, t.b))(t.w)];
    return [y, ...firstOrder, ...secondOrder];
  };
}

describe("engine/fused-dense", function () {
  this.timeout(60000);
  after(async () => useBackend("wasm"));

  it("runs as one op on wasm and composes tfjs's ops on cpu", async () => {
    await useBackend("wasm");
    assert.ok(fusedDenseAvailable(), "wasm must have the TsganDense kernel");
    await useBackend("cpu");
    assert.ok(!fusedDenseAvailable());
  });

  for (const activation of ["linear", "relu", "leakyRelu"] as const) {
    for (const withBias of [true, false]) {
      for (const [batch, features, units] of [[7, 5, 3], [64, 32, 16]]) {
        it(`${activation}${withBias ? " + bias" : ""} [${batch}×${features}]·[${features}×${units}]: wasm's fused op = cpu's tfjs ops (value, gradients, double backprop)`, async () => {
          const arrays = randomArrays(batch * 31 + units, { x: [batch, features], w: [features, units], b: [units], c: [batch, units] });
          const expected = await runOn("cpu", arrays, outputsAndGradients(reference, activation, withBias));
          const actual = await runOn("wasm", arrays, outputsAndGradients(denseActivation, activation, withBias));
          assert.equal(actual.length, expected.length);
          const names = ["y", "dL/dx", "dL/dW", ...(withBias ? ["dL/db"] : []), "dPenalty/dW", ...(withBias ? ["dPenalty/db"] : [])];
          actual.forEach((a, i) => {
            const d = maxRelDiff(a, expected[i]);
            assert.ok(d <= REL_TOL, `${names[i]}: max relative |wasm - cpu| = ${d} > ${REL_TOL}`);
          });
        });
      }
    }
  }

  it("is bit-identical on wasm to tfjs's dense + leakyRelu under a tape (value and first-order gradients)", async () => {
    const arrays = randomArrays(5, { x: [100, 64], w: [64, 64], b: [64], c: [100, 64] });
    const unfused = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | undefined, _a: FusedDenseActivation, alpha: number) =>
      tf.leakyRelu(tf.fused.matMul({ a: x, b: w, bias: b }), alpha); // what tf.layers.dense + leakyReLU run
    const expected = await runOn("wasm", arrays, outputsAndGradients(unfused, "leakyRelu", true));
    const actual = await runOn("wasm", arrays, outputsAndGradients(denseActivation, "leakyRelu", true));
    actual.slice(0, 4).forEach((a, i) => assert.deepEqual(a, expected[i], `output ${i} must match bit for bit`));
  });

  it("agrees with central finite differences (float64 on cpu as the reference)", async () => {
    await useBackend("wasm");
    const rand = makeRandom(11);
    const x = Array.from({ length: 4 * 3 }, () => rand() * 2 - 1);
    const w = Array.from({ length: 3 * 2 }, () => rand() * 2 - 1);
    const b = [0.1, -0.2];
    const lossOf = (wv: number[]) => {
      // float64 by hand: Σ leaky(x·W + b)²
      let s = 0;
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 2; j++) {
          let z = b[j];
          for (let k = 0; k < 3; k++) z += x[i * 3 + k] * wv[k * 2 + j];
          const y = z > 0 ? z : 0.2 * z;
          s += y * y;
        }
      }
      return s;
    };
    const analytic = tf.tidy(() =>
      Array.from(tf.grad((wt: tf.Tensor) => tf.sum(tf.square(denseActivation(tf.tensor2d(x, [4, 3]), wt, tf.tensor1d(b), "leakyRelu", 0.2))))(tf.tensor2d(w, [3, 2])).dataSync()),
    );
    const h = 1e-4;
    w.forEach((_, i) => {
      const up = [...w];
      const down = [...w];
      up[i] += h;
      down[i] -= h;
      const numeric = (lossOf(up) - lossOf(down)) / (2 * h);
      assert.ok(Math.abs(analytic[i] - numeric) <= 1e-3 * Math.max(1, Math.abs(numeric)), `dL/dW[${i}]: ${analytic[i]} vs ${numeric}`);
    });
  });

  it("activationGrad on wasm: y > 0 ? dy : slope·dy, every element including a tail of 1–3 (float32 products)", async () => {
    await useBackend("wasm");
    for (const n of [1, 3, 4, 7, 33]) {
      const rand = makeRandom(n);
      const dy = Float32Array.from({ length: n }, () => rand() * 2 - 1);
      const y = Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : rand() * 2 - 1));
      const out = tf.tidy(() => activationGrad(tf.tensor1d(dy), tf.tensor1d(y), 0.2).dataSync());
      const slope = Math.fround(0.2);
      for (let i = 0; i < n; i++) assert.equal(out[i], y[i] > 0 ? dy[i] : Math.fround(slope * dy[i]), `n ${n}, element ${i}`);
    }
  });

  it("leaves no tensors and no wasm heap buffers behind (forward, backward, double backprop)", async () => {
    await useBackend("wasm");
    const x = tf.randomNormal([16, 8]);
    const w = tf.randomNormal([8, 4]);
    const b = tf.randomNormal([4]);
    const step = () =>
      tf.tidy(() => {
        const penalty = (wt: tf.Tensor) => tf.sum(tf.square(tf.grad((xt: tf.Tensor) => tf.sum(denseActivation(xt, wt, b, "relu")))(x)));
        return tf.grad(penalty)(w).dataSync();
      });
    assertLeavesNothing(step);
    tf.dispose([x, w, b]);
  });

  it("refuses bad input with the fix in the message", async () => {
    await useBackend("wasm");
    tf.tidy(() => {
      const x = tf.zeros([2, 3]);
      assert.throws(() => denseActivation(tf.zeros([2, 3, 1]), tf.zeros([3, 4])), /must be matrices.*reshape x/);
      assert.throws(() => denseActivation(x, tf.zeros([4, 2])), /x has 3 features but the kernel expects 4/);
      assert.throws(() => denseActivation(x, tf.zeros([3, 2]), tf.zeros([3])), /bias must have shape \[2\]/);
      assert.throws(() => denseActivation(x, tf.zeros([3, 2]), undefined, "tanh" as FusedDenseActivation), /apply others after a linear one/);
      assert.throws(() => denseActivation(x, tf.zeros([3, 2]), undefined, "leakyRelu", -0.1), /slope must be a finite number >= 0/);
    });
  });
});
