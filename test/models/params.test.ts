import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { parameterCount, trainableParameterCount } from "../../lib/models/params";

describe("models/params", () => {
  it("the hand counts agree with tfjs's countParams() layer by layer", () => {
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 10, outputDim: 6, inputLength: 1 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 16 }),
        tf.layers.reshape({ targetShape: [2, 2, 4] }),
        tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: "same" }),
        tf.layers.batchNormalization(),
        tf.layers.conv2dTranspose({ filters: 2, kernelSize: 5, strides: 2, padding: "same" }),
      ],
    });
    const byHand = [
      parameterCount.embedding(10, 6), 0, parameterCount.dense(6, 16), 0, parameterCount.conv2d(3, 4, 5),
      parameterCount.batchNorm(5), parameterCount.conv2d(5, 5, 2),
    ];
    assert.deepEqual(model.layers.map((l) => l.countParams()), byHand);
    // Batch norm's moving mean and variance are weights but not trainable.
    assert.equal(trainableParameterCount(model), model.countParams() - 2 * 5);
    model.dispose();
  });
});
