/**
 * The fused cross-entropy on logits (lib/engine/fused-cross-entropy.ts): hand-computed values, the float64
 * formula, the cpu backend's composed form (values, gradients for logits and labels, double backprop), labels
 * as a number, a shared scalar and one per logit, extreme logits, one kernel each way, bad input, and no leaked
 * tensors or heap buffers.
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { useBackend, BackendChoice } from "../../lib/engine/backend";
import { makeRandom } from "../../lib/engine/seed";
import { CROSS_ENTROPY_GRAD_KERNEL, CROSS_ENTROPY_KERNEL, sigmoidCrossEntropy } from "../../lib/engine/fused-cross-entropy";
import { minimaxDiscriminatorLoss, nonSaturatingGeneratorLoss } from "../../lib/losses";
import { assertLeavesNothing } from "./leak-check";

/** log(1 + e^x) in float64 without overflow. */
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
/** The loss by its definition, −[y·log σ(l) + (1 − y)·log(1 − σ(l))] = y·softplus(−l) + (1 − y)·softplus(l). */
const exactLoss = (l: number, y: number) => y * softplus(-l) + (1 - y) * softplus(l);
const exactSigmoid = (l: number) => 1 / (1 + Math.exp(-l));

function logitsWithExtremes(n: number, seed: number): Float32Array {
  const rand = makeRandom(seed);
  const extremes = [0, 50, -50, 1e4, -1e4, 1e-8, -1e-8, 17, -17];
  return Float32Array.from({ length: n }, (_, i) => (i < extremes.length ? extremes[i] : (rand() * 2 - 1) * 8));
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(d <= worst)) worst = d; // NaN-safe
  }
  return worst;
}

type Labels = "zero" | "one" | "smoothed" | "scalar tensor" | "per logit";

function labelsFor(kind: Labels, n: number, seed: number): number | { data: Float32Array; shape: number[] } {
  if (kind === "zero") return 0;
  if (kind === "one") return 1;
  if (kind === "smoothed") return 0.9;
  if (kind === "scalar tensor") return { data: Float32Array.of(0.3), shape: [] };
  const rand = makeRandom(seed + 1);
  return { data: Float32Array.from({ length: n }, () => rand()), shape: [n, 1] };
}

/**
 * Value, ∂/∂logits and ∂/∂labels (a tensor's) of L = Σ c·ce, and ∂/∂logits of the penalty Σ (∂L/∂l)² (double
 * backprop), on `backend`.
 */
async function valuesAndGradients(backend: BackendChoice, logits: Float32Array, labels: ReturnType<typeof labelsFor>): Promise<Float32Array[]> {
  await useBackend(backend);
  return tf.tidy(() => {
    const n = logits.length;
    const l = tf.tensor2d(logits, [n, 1]);
    const c = tf.linspace(-1, 1, n).reshape([n, 1]);
    const y = typeof labels === "number" ? labels : tf.tensor(labels.data, labels.shape);
    const lossOf = (lt: tf.Tensor, yt: tf.Tensor | number) => tf.sum(tf.mul(sigmoidCrossEntropy(yt, lt), c));
    const out: tf.Tensor[] = [sigmoidCrossEntropy(y, l), tf.grad((lt: tf.Tensor) => lossOf(lt, y))(l)];
    if (typeof y !== "number") out.push(tf.grad((yt: tf.Tensor) => lossOf(l, yt))(y));
    out.push(tf.grad((lt: tf.Tensor) => tf.sum(tf.square(tf.grad((inner: tf.Tensor) => lossOf(inner, y))(lt))))(l));
    return out.map((t) => Float32Array.from(t.dataSync()));
  });
}

describe("engine/fused-cross-entropy", function () {
  this.timeout(60000);
  after(async () => useBackend("wasm"));

  it("is one kernel forward and one backward on wasm, the composed ops on cpu", async () => {
    for (const backend of ["wasm", "cpu"] as const) {
      await useBackend(backend);
      const profile = await tf.profile(() => {
        tf.tidy(() => {
          const l = tf.tensor2d([[0.5], [-2]]);
          tf.grad((lt: tf.Tensor) => tf.sum(sigmoidCrossEntropy(1, lt)))(l).dataSync();
        });
      });
      const names = profile.kernels.map((k) => k.name);
      const fused = names.filter((k) => k === CROSS_ENTROPY_KERNEL || k === CROSS_ENTROPY_GRAD_KERNEL);
      if (backend === "wasm") {
        assert.deepEqual(fused, [CROSS_ENTROPY_KERNEL, CROSS_ENTROPY_GRAD_KERNEL]);
        assert.ok(!names.includes("Log1p"), `no composed ops on wasm: ${names.join(", ")}`);
      } else {
        assert.deepEqual(fused, []);
        assert.ok(names.includes("Log1p"));
      }
    }
  });

  it("gives the hand-computed values: log 2 at l = 0, and l + log(1 + e^−l) for y = 0", async () => {
    await useBackend("wasm");
    const out = tf.tidy(() => sigmoidCrossEntropy(0, tf.tensor1d([0, 2, -3])).dataSync());
    assert.ok(Math.abs(out[0] - Math.LN2) < 1e-7);
    assert.ok(Math.abs(out[1] - (2 + Math.log(1 + Math.exp(-2)))) < 1e-6, `${out[1]}`); // 2.126928
    assert.ok(Math.abs(out[2] - Math.log(1 + Math.exp(-3))) < 1e-7, `${out[2]}`); // 0.048587
    const one = tf.tidy(() => sigmoidCrossEntropy(1, tf.tensor1d([0, 2])).dataSync());
    assert.ok(Math.abs(one[0] - Math.LN2) < 1e-7);
    assert.ok(Math.abs(one[1] - Math.log(1 + Math.exp(-2))) < 1e-7);
  });

  for (const kind of ["zero", "one", "smoothed", "scalar tensor", "per logit"] as const) {
    for (const n of [9, 64]) {
      it(`labels ${kind}, ${n} logits (with ±50, ±1e4): wasm = the float64 definition, and = cpu's composed ops (values, gradients, double backprop)`, async () => {
        const logits = logitsWithExtremes(n, n * 7);
        const labels = labelsFor(kind, n, n);
        const wasm = await valuesAndGradients("wasm", logits, labels);
        const cpu = await valuesAndGradients("cpu", logits, labels);
        // The label as the kernel sees it: a float32 tensor (0.9 is 0.89999998).
        const y = (i: number) => (typeof labels === "number" ? Math.fround(labels) : labels.data.length === 1 ? labels.data[0] : labels.data[i]);
        const c = (i: number) => -1 + (2 * i) / (n - 1);
        // The loss and ∂L/∂l = c·(σ(l) − y) against float64, to float32 rounding.
        for (let i = 0; i < n; i++) {
          const want = exactLoss(logits[i], y(i));
          assert.ok(Math.abs(wasm[0][i] - want) <= 2e-7 * Math.max(1, Math.abs(want)), `loss[${i}] (l ${logits[i]}): ${wasm[0][i]} vs ${want}`);
          const grad = c(i) * (exactSigmoid(logits[i]) - y(i));
          assert.ok(Math.abs(wasm[1][i] - grad) <= 1e-6, `dL/dl[${i}] (l ${logits[i]}): ${wasm[1][i]} vs ${grad}`);
        }
        assert.equal(wasm.length, cpu.length);
        wasm.forEach((w, k) => {
          assert.ok(w.every(Number.isFinite), `output ${k} must be finite`);
          const d = maxRelDiff(w, cpu[k]);
          assert.ok(d <= 1e-5, `output ${k}: max relative |wasm − cpu| = ${d}`);
        });
      });
    }
  }

  it("agrees with central finite differences of the float64 loss, for logits and for labels", async () => {
    await useBackend("wasm");
    const logits = [-3.1, -0.4, 0.2, 2.5];
    const labels = [0.1, 0.9, 0.5, 0];
    const [dl, dy] = tf.tidy(() => {
      const l = tf.tensor1d(logits);
      const y = tf.tensor1d(labels);
      const f = (lt: tf.Tensor, yt: tf.Tensor) => tf.sum(tf.square(sigmoidCrossEntropy(yt, lt)));
      return [tf.grad((lt: tf.Tensor) => f(lt, y))(l).dataSync(), tf.grad((yt: tf.Tensor) => f(l, yt))(y).dataSync()];
    });
    const total = (ls: number[], ys: number[]) => ls.reduce((s, l, i) => s + exactLoss(l, ys[i]) ** 2, 0);
    const h = 1e-5;
    for (let i = 0; i < 4; i++) {
      const shifted = (xs: number[], by: number) => xs.map((v, j) => (j === i ? v + by : v));
      const numericL = (total(shifted(logits, h), labels) - total(shifted(logits, -h), labels)) / (2 * h);
      const numericY = (total(logits, shifted(labels, h)) - total(logits, shifted(labels, -h))) / (2 * h);
      assert.ok(Math.abs(dl[i] - numericL) <= 1e-5 * Math.max(1, Math.abs(numericL)), `∂/∂l[${i}]: ${dl[i]} vs ${numericL}`);
      assert.ok(Math.abs(dy[i] - numericY) <= 1e-5 * Math.max(1, Math.abs(numericY)), `∂/∂y[${i}]: ${dy[i]} vs ${numericY}`);
    }
  });

  it("keeps the GAN losses equal to cpu's (minimax discriminator with label smoothing, non-saturating generator)", async () => {
    const logits = logitsWithExtremes(32, 3);
    const run = async (backend: BackendChoice) => {
      await useBackend(backend);
      return tf.tidy(() => {
        const real = tf.tensor2d(logits.slice(0, 16), [16, 1]);
        const fake = tf.tensor2d(logits.slice(16), [16, 1]);
        const d = tf.grads((r: tf.Tensor, f: tf.Tensor) => minimaxDiscriminatorLoss(r, f, { labelSmoothing: 0.1 }) as tf.Scalar);
        const g = tf.valueAndGrad((f: tf.Tensor) => nonSaturatingGeneratorLoss(f) as tf.Scalar);
        const [dr, df] = d([real, fake]);
        const { value, grad } = g(fake);
        return [minimaxDiscriminatorLoss(real, fake, { labelSmoothing: 0.1 }), dr, df, value, grad].map((t) => Float32Array.from(t.dataSync()));
      });
    };
    const wasm = await run("wasm");
    const cpu = await run("cpu");
    wasm.forEach((w, k) => assert.ok(maxRelDiff(w, cpu[k]) <= 1e-6, `output ${k}: ${maxRelDiff(w, cpu[k])}`));
  });

  it("falls back to the composed form for labels it does not broadcast itself, with tfjs's result", async () => {
    await useBackend("wasm");
    const [fusedOut, composedOut] = tf.tidy(() => {
      const l = tf.tensor2d([[1, -1, 2], [0.5, 0, -3]]);
      const rowLabels = tf.tensor2d([[1, 0, 0.5]]); // [1, 3] against [2, 3]: broadcast by tfjs
      const full = tf.tile(rowLabels, [2, 1]);
      return [sigmoidCrossEntropy(rowLabels, l).dataSync(), sigmoidCrossEntropy(full, l).dataSync()];
    });
    assert.ok(maxRelDiff(Float32Array.from(fusedOut), Float32Array.from(composedOut)) <= 1e-6);
  });

  it("refuses labels that fit no logit count, naming both shapes", async () => {
    await useBackend("wasm");
    tf.tidy(() => {
      assert.throws(
        () => tf.engine().runKernel(CROSS_ENTROPY_KERNEL, { logits: tf.zeros([4, 1]), labels: tf.zeros([3]) }),
        /labels \[3\] must be one value or one per logit \(logits \[4,1\]\)/,
      );
      assert.throws(
        () => tf.engine().runKernel(CROSS_ENTROPY_GRAD_KERNEL, { dy: tf.zeros([3]), logits: tf.zeros([4]), labels: tf.zeros([]) }),
        /dy \[3\] must have the logits' shape \[4\]/,
      );
    });
  });

  it("leaves no tensors and no wasm heap buffers behind (forward, backward, double backprop)", async () => {
    await useBackend("wasm");
    const l = tf.randomNormal([16, 1]);
    const y = tf.randomUniform([16, 1]);
    const step = () =>
      tf.tidy(() => {
        const penalty = (lt: tf.Tensor) => tf.sum(tf.square(tf.grad((inner: tf.Tensor) => tf.mean(sigmoidCrossEntropy(y, inner)))(lt)));
        return [tf.grad(penalty)(l).dataSync(), tf.grad((yt: tf.Tensor) => tf.mean(sigmoidCrossEntropy(yt, l)))(y).dataSync(), sigmoidCrossEntropy(0.9, l).dataSync()];
      });
    assertLeavesNothing(step);
    tf.dispose([l, y]);
  });
});
