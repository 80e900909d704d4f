import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { useBackend, engineInfo, BackendChoice } from "../../lib/engine/backend";
import { installPerfKernels, uninstallPerfKernels, perfKernelsInstalled } from "../../lib/engine/perf-kernels";

describe("engine/perf-kernels", () => {
  let initial: BackendChoice;
  let wasInstalled = { batchNormGradient: false, reductionGradients: false };
  before(() => {
    initial = engineInfo().choice;
    wasInstalled = perfKernelsInstalled();
  });
  after(async () => {
    // Leave the process as the engine set it up, for the test files that run after this one.
    uninstallPerfKernels();
    if (wasInstalled.batchNormGradient || wasInstalled.reductionGradients) installPerfKernels();
    await useBackend(initial);
  });

  /** Loss through a training-mode batch norm (moments of the batch, as tf.layers does), and its gradients. */
  function batchNormGradients(rank: 2 | 4): Float32Array[] {
    return tf.tidy(() => {
      const shape = rank === 2 ? [16, 6] : [3, 4, 5, 6];
      const x = tf.randomNormal(shape, 1, 2, "float32", 11);
      const gamma = tf.randomNormal([6], 1, 0.5, "float32", 12), beta = tf.randomNormal([6], 0, 1, "float32", 13);
      const w = tf.randomNormal(shape, 0, 1, "float32", 14);
      const f = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const axes = rank === 2 ? [0] : [0, 1, 2];
        const { mean, variance } = tf.moments(xx, axes);
        return tf.sum(tf.mul(tf.batchNorm(xx, mean, variance, b, g, 1e-3), w));
      };
      return tf.grads(f)([x, gamma, beta]).map((t) => t.dataSync() as Float32Array);
    });
  }

  for (const backend of ["cpu", "wasm"] as const) {
    it(`on ${backend}: the FusedBatchNorm gradient without Tile equals tfjs's (ranks 2 and 4)`, async () => {
      await useBackend(backend);
      for (const rank of [2, 4] as const) {
        uninstallPerfKernels();
        const reference = batchNormGradients(rank);
        installPerfKernels();
        const fixed = batchNormGradients(rank);
        reference.forEach((r, i) => {
          // Same operations in the same order: equal to float32 rounding (checked to 1e-6 relative).
          for (let j = 0; j < r.length; j++) {
            assert.ok(Math.abs(fixed[i][j] - r[j]) <= 1e-6 * Math.max(1, Math.abs(r[j])), `rank ${rank} grad ${i}[${j}]: ${fixed[i][j]} vs ${r[j]}`);
          }
        });
        // Sanity: the gradients are not trivially zero.
        assert.ok(reference[0].some((v) => Math.abs(v) > 1e-3));
      }
    });
  }

  it("on wasm: a training step with the fix gives tfjs's gradients and leaks nothing", async () => {
    await useBackend("wasm");
    const run = () =>
      tf.tidy(() => {
        const model = tf.sequential({
          layers: [
            tf.layers.dense({ units: 8, inputShape: [5], kernelInitializer: tf.initializers.randomNormal({ seed: 3 }) }),
            tf.layers.leakyReLU({ alpha: 0.2 }),
            tf.layers.batchNormalization({ momentum: 0.8 }),
            tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.randomNormal({ seed: 4 }) }),
          ],
        });
        const x = tf.randomNormal([12, 5], 0, 1, "float32", 5);
        const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
        const { grads } = tf.variableGrads(() => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
        const out = vars.map((v) => Array.from(grads[v.name].dataSync()));
        model.dispose();
        return out;
      });
    uninstallPerfKernels();
    const reference = run();
    installPerfKernels();
    run(); // burn-in
    const count = tf.memory().numTensors;
    const fixed = run();
    assert.equal(tf.memory().numTensors, count);
    reference.forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(fixed[i][j] - v) <= 1e-6 * Math.max(1, Math.abs(v)), `grad ${i}[${j}]`)));
  });

  /** First and second derivatives through Sum and Mean over several axes, keepDims or not, as flat arrays. */
  function reductionGradients(): Float32Array[] {
    return tf.tidy(() => {
      const x = tf.randomNormal([3, 4, 5], 0.5, 1.5, "float32", 21);
      const w = tf.randomNormal([3, 4, 5], 0, 1, "float32", 22);
      const out: Float32Array[] = [];
      const cases: [string, (t: tf.Tensor) => tf.Tensor][] = [
        ["sum all", (t) => tf.sum(tf.mul(tf.square(t), w))],
        ["sum axis 1", (t) => tf.sum(tf.square(tf.sum(tf.mul(t, w), 1)))],
        ["sum axes 0,2 keepDims", (t) => tf.sum(tf.square(tf.sum(tf.mul(t, w), [0, 2], true)))],
        ["mean all", (t) => tf.mean(tf.square(t))],
        ["mean axis -1", (t) => tf.sum(tf.square(tf.mean(tf.mul(t, w), -1)))],
        ["mean axes 0,1 keepDims", (t) => tf.sum(tf.exp(tf.mean(tf.mul(t, w), [0, 1], true)))],
      ];
      for (const [, f] of cases) {
        out.push(tf.grad(f)(x).dataSync() as Float32Array);
        // Double backprop (a penalty on a gradient, as WGAN-GP's) runs through the reductions' gradients.
        out.push(tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.grad(f)(t))))(x).dataSync() as Float32Array);
      }
      return out;
    });
  }

  for (const backend of ["cpu", "wasm"] as const) {
    it(`on ${backend}: Sum and Mean gradients with OnesLike equal tfjs's bit for bit, first and second order`, async () => {
      await useBackend(backend);
      uninstallPerfKernels();
      assert.equal(perfKernelsInstalled().reductionGradients, false);
      const reference = reductionGradients();
      installPerfKernels();
      assert.equal(perfKernelsInstalled().reductionGradients, true);
      reductionGradients(); // burn-in
      const count = tf.memory().numTensors;
      const fixed = reductionGradients();
      assert.equal(tf.memory().numTensors, count);
      assert.equal(fixed.length, reference.length);
      reference.forEach((r, i) => {
        assert.ok(r.some((v) => Math.abs(v) > 1e-3), `case ${i} is not trivially zero`);
        assert.deepEqual(Array.from(fixed[i]), Array.from(r), `case ${i}`);
      });
    });
  }

  it("the Mean gradient of an int32 tensor is float32, as tfjs's", async () => {
    await useBackend("cpu");
    const g = tf.tidy(() => {
      const x = tf.tensor1d([1, 2, 3, 4], "int32");
      const dy = tf.scalar(2);
      const grad = tf.getGradient("Mean")!.gradFunc(dy, [x], { axis: [0], keepDims: false }) as Record<string, () => tf.Tensor>;
      const dx = grad.x();
      return { dtype: dx.dtype, values: Array.from(dx.dataSync()) };
    });
    assert.equal(g.dtype, "float32");
    assert.deepEqual(g.values, [0.5, 0.5, 0.5, 0.5]);
  });
});
