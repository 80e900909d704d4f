import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { valuesOnPlane } from "../../lib/plots/surface";

describe("plots/surface", () => {
  it("valuesOnPlane: row r at y = axis[r], column c at x = axis[c], over [−extent, extent]², one call of f", () => {
    let calls = 0;
    const before = tf.memory().numTensors;
    const grid = valuesOnPlane((p) => { calls++; return tf.add(tf.slice(p, [0, 0], [-1, 1]), tf.mul(10, tf.slice(p, [0, 1], [-1, 1]))); }, 2, 5);
    assert.equal(calls, 1);
    assert.deepEqual(grid.x, [-2, -1, 0, 1, 2]);
    assert.deepEqual(grid.y, grid.x);
    for (let r = 0; r < 5; r++) for (let c = 0; c < 5; c++) assert.equal(grid.z[r][c], grid.x[c] + 10 * grid.y[r]);
    assert.equal(tf.memory().numTensors, before, "the points and f's tensors are freed");
  });

  it("says what was wrong: extent, side, or f's output size", () => {
    const f = (p: tf.Tensor2D) => tf.sum(p, 1);
    assert.throws(() => valuesOnPlane(f, 0, 4), /extent must be a positive number, got 0/);
    assert.throws(() => valuesOnPlane(f, 1, 1), /side must be an integer ≥ 2, got 1/);
    const before = tf.memory().numTensors;
    assert.throws(() => valuesOnPlane((p) => p, 1, 3), /one value per point \(9\), got shape \[9,2\]/);
    assert.equal(tf.memory().numTensors, before);
  });
});
