import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { useBackend, engineInfo, BackendChoice } from "../../lib/engine/backend";
import { installPerfKernels, uninstallPerfKernels, perfKernelsInstalled } from "../../lib/engine/perf-kernels";

describe("engine/perf-kernels", () => {
  let initial: BackendChoice;
  let wasInstalled = { batchNormGradient: false };
  before(() => {
    initial = engineInfo().choice;
    wasInstalled = perfKernelsInstalled();
  });
  after(async () => {
    // Leave the process as the engine set it up, for the test files that run after this one.
    uninstallPerfKernels();
    if (wasInstalled.batchNormGradient) installPerfKernels();
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
});
