import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { kernelMultiplyAdds, kernelWork, stepWork, type KernelRecord } from "../../lib/metrics/step-work";
import { nextSeed, seed } from "../../lib/engine/seed";
import { denseActivation } from "../../lib/engine/fused-dense";
import { sgd } from "../../lib/engine/optimizers";
import { normalLatent, type GanSpec } from "../../lib/train/gan-spec";
import { type Network } from "../../lib/train/types";

/** The kernel records of `f`, as tf.profile gives them. */
async function recordsOf(f: () => tf.TensorContainer): Promise<KernelRecord[]> {
  const profile = await tf.profile(() => { const out = f(); tf.dispose(out); });
  return profile.kernels as unknown as KernelRecord[];
}

/** Multiply-adds of a stride-1 "same" convolution counted tap by tap, as the definition says: one per
 * (output element, filter tap, input channel), padding taps included (the kernels compute them too). */
function convTaps(n: number, h: number, w: number, kh: number, kw: number, cin: number, cout: number): number {
  let count = 0;
  for (let i = 0; i < n * h * w * cout; i++) for (let t = 0; t < kh * kw; t++) for (let c = 0; c < cin; c++) count++;
  return count;
}

/** y = x·w + b: one matrix product of [b, in] by [in, 1] per call. */
function affine(inputs: number): Network & { dispose(): void } {
  const w = tf.variable(tf.randomNormal([inputs, 1], 0, 0.1, "float32", nextSeed()));
  const b = tf.variable(tf.zeros([1]));
  return { apply: (x) => tf.add(tf.matMul(x as tf.Tensor, w), b), trainableWeights: [w, b], dispose: () => tf.dispose([w, b]) };
}

describe("metrics/step-work", () => {
  it("counts a matrix product's multiply-adds as m·k·n, transposed or fused, and skips the …__op records", async () => {
    const a = tf.ones([3, 4]), b = tf.ones([4, 5]), bias = tf.zeros([5]);
    const plain = kernelWork(await recordsOf(() => tf.matMul(a, b)));
    assert.equal(plain.multiplyAdds, 3 * 4 * 5);
    assert.equal(plain.kernelCalls, 1);
    assert.equal(kernelWork(await recordsOf(() => tf.matMul(b, a, true, true))).multiplyAdds, 5 * 4 * 3);
    assert.equal(kernelWork(await recordsOf(() => tf.matMul(tf.ones([2, 3, 4]), tf.ones([2, 4, 5])))).multiplyAdds, 2 * 3 * 4 * 5);
    const fused = await recordsOf(() => tf.fused.matMul({ a, b, bias, activation: "relu" }));
    assert.equal(kernelWork(fused).multiplyAdds, 3 * 4 * 5);
    assert.equal(kernelWork(await recordsOf(() => denseActivation(a, b, bias, "leakyRelu", 0.2))).multiplyAdds, 3 * 4 * 5);
    // Backward: dx = dy·Wᵀ and dW = xᵀ·dy, each as many multiply-adds as the forward product.
    const backward = kernelWork(await recordsOf(() => tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.matMul(x, w)))([a, b])));
    assert.equal(backward.multiplyAdds, 3 * 3 * 4 * 5);
    tf.dispose([a, b, bias]);
  });

  it("counts a convolution and both its gradients tap by tap", async () => {
    const x = tf.ones([2, 5, 5, 3]), filter = tf.ones([3, 3, 3, 4]);
    const taps = convTaps(2, 5, 5, 3, 3, 3, 4);
    assert.equal(kernelWork(await recordsOf(() => tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, "same"))).multiplyAdds, taps);
    const records = await recordsOf(() => tf.grads((xx: tf.Tensor, ff: tf.Tensor) =>
      tf.sum(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 1, "same")))([x, filter]));
    const byName = (name: string) => records.filter((r) => r.name === name).map(kernelMultiplyAdds);
    assert.deepEqual(byName("Conv2DBackpropInput"), [taps]);
    assert.deepEqual(byName("Conv2DBackpropFilter"), [taps]);
    assert.equal(kernelMultiplyAdds({ name: "Relu", inputShapes: [[2, 3]], outputShapes: [[2, 3]] }), 0);
    tf.dispose([x, filter]);
  });

  it("a training step of two affine players does the multiply-adds counted by hand, k discriminator updates apart", async () => {
    // Batch b, latent size z, G: z → 1, D: 1 → 1 (one product each per call).
    // D update: G(z) off the tape (b·z), D(x) and D(G(z)) (b each), ∂/∂w_D of both (b each)   = b·z + 4b.
    // G update: G(z) (b·z), D(G(z)) (b), ∂/∂G(z) through D (b), ∂/∂w_G (b·z); no ∂/∂w_D   = 2b·z + 2b.
    const b = 8, z = 3;
    const work = async (k: number) => {
      seed(7);
      const generator = affine(z), discriminator = affine(1);
      const gan: GanSpec = {
        generator, discriminator, latent: normalLatent(z), objective: "minimax", discriminatorSteps: k,
        optimizers: { generator: () => sgd(0.01), discriminator: () => sgd(0.01) },
      };
      const before = tf.memory().numTensors;
      const counted = await stepWork({ gan, data: (n) => tf.randomNormal([n, 1], 0, 1, "float32", nextSeed()), batchSize: b, seed: 1 });
      assert.equal(tf.memory().numTensors, before, "stepWork leaves no tensor behind but the networks' own");
      generator.dispose(); discriminator.dispose();
      return counted;
    };
    const one = await work(1), two = await work(2);
    assert.equal(one.multiplyAdds, (b * z + 4 * b) + (2 * b * z + 2 * b));
    assert.equal(two.multiplyAdds - one.multiplyAdds, b * z + 4 * b);
    assert.ok(two.kernelCalls > one.kernelCalls);
    assert.deepEqual(await work(2), two, "the same run counts the same");
    // Without a warm-up the first step is counted alone (the optimizers' slots are made then: more calls, the
    // same arithmetic).
    seed(7);
    const g = affine(z), d = affine(1);
    const first = await stepWork(
      { gan: { generator: g, discriminator: d, latent: normalLatent(z), objective: "minimax", optimizers: { generator: () => sgd(0.01), discriminator: () => sgd(0.01) } },
        data: (n) => tf.randomNormal([n, 1], 0, 1, "float32", nextSeed()), batchSize: b, seed: 1 },
      { warmupSteps: 0, countedSteps: 1 });
    g.dispose(); d.dispose();
    assert.equal(first.multiplyAdds, one.multiplyAdds);
    assert.ok(first.kernelCalls >= one.kernelCalls);
  });

  it("says what was wrong with its options", async () => {
    const gan = {} as GanSpec;
    await assert.rejects(stepWork({ gan, data: () => tf.zeros([1]) }, { countedSteps: 0 }), /countedSteps must be an integer ≥ 1/);
    await assert.rejects(stepWork({ gan, data: () => tf.zeros([1]) }, { warmupSteps: -1 }), /warmupSteps must be an integer ≥ 0/);
    await assert.rejects(stepWork({ gan, data: () => tf.zeros([1]), resumeFrom: "x" }), /leave out resumeFrom/);
  });
});
