import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { activationGradientNorms } from "../../lib/metrics/gradients";

describe("metrics/gradients", () => {
  it("a linear chain: the gradient w.r.t. each layer's output is the product of the later weights, by hand", () => {
    // Three Dense(1) layers without bias, weights 2, 3, 0.5: h1 = 2x, h2 = 3h1, h3 = 0.5h2; loss = mean(h3).
    // ∂loss/∂h3 = 1/n per example, ∂/∂h2 = 0.5/n, ∂/∂h1 = 1.5/n; over n examples the norm is |·|·√n/n.
    const model = tf.sequential({
      layers: [2, 3, 0.5].map((w, i) => tf.layers.dense({
        units: 1, useBias: false, kernelInitializer: tf.initializers.constant({ value: w }), ...(i === 0 ? { inputShape: [1] } : {}),
      })),
    });
    const x = tf.tensor2d([[1], [-2], [0.5], [3]]);
    const norms = activationGradientNorms(model, [x], ([out]) => tf.mean(out) as tf.Scalar);
    const n = 4;
    [1.5, 0.5, 1].forEach((want, k) => assert.ok(Math.abs(norms[k] - (want * Math.sqrt(n)) / n) < 1e-6, `layer ${k + 1}: ${norms[k]}`));
    // Two batches (a critic's real and fake): the norm covers both.
    const two = activationGradientNorms(model, [x, x], ([a, b]) => tf.sub(tf.mean(b), tf.mean(a)) as tf.Scalar);
    assert.ok(Math.abs(two[2] - Math.SQRT2 * (Math.sqrt(n) / n)) < 1e-6);
    const before = tf.memory().numTensors;
    activationGradientNorms(model, [x], ([out]) => tf.mean(out) as tf.Scalar);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(x);
    model.dispose();
    assert.throws(() => activationGradientNorms({} as tf.Sequential, [], () => tf.scalar(0)), /expects a tf.Sequential/);
  });
});
