import { strict as assert } from "assert";
import { nearestCentroidAccuracy, nearestNeighbourAccuracy } from "../../lib/metrics/probes";

describe("metrics/probes", () => {
  // Two labelled clusters on a line: class 0 at 0 and 1, class 1 at 10 and 30 (mean 20).
  const labelled = [0, 1, 10, 30], labels = [0, 0, 1, 1];

  it("1-NN takes the label of the nearest labelled row (hand cases)", () => {
    // 4 → nearest is 1 (class 0); 8 → 10 (class 1); 25 → 30 (class 1).
    assert.equal(nearestNeighbourAccuracy(labelled, labels, [4, 8, 25], [0, 1, 1], 1), 1);
    assert.equal(nearestNeighbourAccuracy(labelled, labels, [4, 8, 25], [1, 1, 1], 1), 2 / 3);
  });

  it("nearest class mean differs from 1-NN where the hand cases say so", () => {
    // Means 0.5 and 20: 8 is nearer 0.5 (7.5) than 20 (12), so class 0, unlike 1-NN.
    assert.equal(nearestCentroidAccuracy(labelled, labels, [4, 8, 25], [0, 1, 1], 1), 2 / 3);
    assert.equal(nearestCentroidAccuracy(labelled, labels, [4, 8, 25], [0, 0, 1], 1), 1);
    // In two dimensions.
    assert.equal(nearestCentroidAccuracy([0, 0, 0, 2, 5, 5], [3, 3, 7], [0, 1, 5, 4], [3, 7], 2), 1);
  });

  it("bad shapes are named", () => {
    assert.throws(() => nearestNeighbourAccuracy([1, 2, 3], [0, 1], [1], [0], 1), /labelled set has 3 numbers, but 2 labels × 1 features need 2/);
    assert.throws(() => nearestCentroidAccuracy([1], [0], [1, 2], [0], 2), /dim|labelled set/);
    assert.throws(() => nearestNeighbourAccuracy([1], [0], [], [], 1), /test set is empty/);
  });
});
