import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { featureMatchingLoss } from "../../lib/losses";

const values = (t: tf.Tensor) => Array.from(t.dataSync());

function close(actual: number, expected: number, what: string, tol = 1e-5): void {
  assert.ok(Math.abs(actual - expected) <= tol * (1 + Math.abs(expected)), `${what}: got ${actual}, expected ${expected}`);
}

describe("losses/featureMatchingLoss (Salimans et al. 2016, section 3.1)", () => {
  it("is the mean over features of the squared difference of the batch means, computed by hand", () => {
    // real means [2, 3] (rows [1, 2], [3, 4]); fake means [1, 5] (rows [0, 5], [2, 5], [1, 5]: batches may differ).
    // Squared differences [1, 4] → their mean 2.5 (the paper's ‖·‖₂² would be 5: 2 features × 2.5).
    const real = tf.tensor2d([[1, 2], [3, 4]]), fake = tf.tensor2d([[0, 5], [2, 5], [1, 5]]);
    close(featureMatchingLoss(real, fake).dataSync()[0], 2.5, "2 features");
    // Feature maps [n, 2, 1, 1]: the same numbers through the non-batch axes.
    close(featureMatchingLoss(real.reshape([2, 2, 1, 1]), fake.reshape([3, 2, 1, 1])).dataSync()[0], 2.5, "feature maps");
    const loss = featureMatchingLoss(real, fake);
    assert.equal(loss.rank, 0);
    tf.dispose([real, fake, loss]);
  });

  it("is zero when the batch means are equal, even for different samples", () => {
    const real = tf.tensor2d([[1, -1], [-1, 1]]), fake = tf.tensor2d([[0, 0], [2, 2], [-2, -2]]);
    assert.equal(featureMatchingLoss(real, fake).dataSync()[0], 0);
    assert.equal(featureMatchingLoss(real, real).dataSync()[0], 0);
    tf.dispose([real, fake]);
  });

  it("its gradient with respect to the fake features matches central differences (and is 2(μ_f − μ_r)/(F·m) per row)", () => {
    const real = tf.randomNormal([5, 3], 0, 1, "float32", 1), fake0 = tf.randomNormal([4, 3], 1, 2, "float32", 2);
    const analytic = values(tf.grad((f: tf.Tensor) => featureMatchingLoss(real, f))(fake0));
    const base = values(fake0);
    const h = 1e-2;
    base.forEach((_, k) => {
      const at = (d: number) => { const v = [...base]; v[k] += d; return tf.tidy(() => featureMatchingLoss(real, tf.tensor2d(v, [4, 3])).dataSync()[0]); };
      const numeric = (at(h) - at(-h)) / (2 * h);
      assert.ok(Math.abs(analytic[k] - numeric) < 1e-2 * (1 + Math.abs(numeric)), `entry ${k}: ${analytic[k]} vs ${numeric}`);
    });
    const gap = values(tf.sub(tf.mean(fake0, 0), tf.mean(real, 0)));
    analytic.forEach((g, k) => close(g, (2 * gap[k % 3]) / (3 * 4), `closed form, entry ${k}`, 1e-4));
    tf.dispose([real, fake0]);
  });

  it("says what is wrong with features of different shapes", () => {
    assert.throws(
      () => featureMatchingLoss(tf.zeros([2, 3]), tf.zeros([2, 4])),
      /same shape after the batch axis, got \[2,3\] and \[2,4\]; take both from the same layer of D/,
    );
  });
});
