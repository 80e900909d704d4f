import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { loadMnist, packageRoot, DEBIAN_FASHION_MNIST_DIR } from "../../lib/data/mnist";
import {
  CLASSIFIER_FEATURES, accuracyOf, accuracyOfLogits, argmaxRows, buildClassifier, classifierDir, classifierOutputs, embeddedMnistSplit,
  loadClassifier, selectRows, toImageTensor, ClassifierName,
} from "../../lib/metrics/classifier";

describe("metrics/classifier", () => {
  it("the architecture maps [n, 28, 28, 1] to 10 probabilities and 128 features, under 2 MB of weights", () => {
    const model = buildClassifier();
    try {
      assert.deepEqual(model.outputs[0].shape, [null, 10]);
      assert.deepEqual(model.getLayer("features").outputShape, [null, CLASSIFIER_FEATURES]);
      // conv1 3·3·1·16+16, conv2 3·3·16·32+32, features 800·128+128, output 128·10+10.
      assert.equal(model.countParams(), 160 + 4640 + 102528 + 1290);
      const out = classifierOutputs(model, new Float32Array(3 * 784).fill(-1), 2);
      assert.equal(out.count, 3);
      assert.equal(out.features.length, 3 * CLASSIFIER_FEATURES);
      for (let i = 0; i < 3; i++) {
        const row = out.probabilities.subarray(i * 10, i * 10 + 10);
        assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      }
    } finally {
      model.dispose();
    }
  });

  it("the embedded split holds out 2,000 digits, 1/5 of every class, disjoint from the 8,000 trained on", () => {
    const data = loadMnist({ source: "embedded" });
    const { train, heldOut } = embeddedMnistSplit(data.count);
    assert.equal(heldOut.length, 2000);
    assert.equal(train.length, 8000);
    const seen = new Set<number>(train);
    assert.ok(Array.from(heldOut).every((i) => !seen.has(i)));
    for (let d = 0; d < 10; d++) {
      const total = data.labels.filter((y) => y === d).length;
      const held = Array.from(heldOut).filter((i) => data.labels[i] === d).length;
      assert.ok(Math.abs(held - total / 5) <= 1, `digit ${d}: ${held} of ${total}`);
    }
  });

  it("accuracyOf and argmaxRows on a hand example", () => {
    const p = [0.1, 0.9, 0, 0, 0, 0, 0, 0, 0, 0, 0.6, 0.4, 0, 0, 0, 0, 0, 0, 0, 0];
    assert.deepEqual(Array.from(argmaxRows(p)), [1, 0]);
    assert.equal(accuracyOf(p, [1, 1]), 0.5);
  });

  it("accuracyOfLogits: the share of rows whose largest logit is the label (no softmax needed)", () => {
    const logits = tf.tensor2d([[2, -1, 0], [0, 0, 5], [-3, 4, 1], [1, 0, 0]]);
    assert.equal(accuracyOfLogits(logits, [0, 2, 0, 0]), 0.75);
    const ids = tf.tensor1d([0, 2, 1, 0], "int32");
    assert.equal(accuracyOfLogits(logits, ids), 1);
    assert.throws(() => accuracyOfLogits(logits, [0, 1]), /4 rows of logits but 2 labels/);
    tf.dispose([logits, ids]);
  });

  it("toImageTensor accepts the three shapes and a Float32Array, rejects others", () => {
    const shapes: number[][] = [[2, 28, 28, 1], [2, 28, 28], [2, 784]];
    for (const shape of shapes) {
      const t = tf.zeros(shape);
      const x = toImageTensor(t);
      assert.deepEqual(x.shape, [2, 28, 28, 1]);
      tf.dispose([t, x]);
    }
    const x = toImageTensor(new Float32Array(784));
    assert.deepEqual(x.shape, [1, 28, 28, 1]);
    x.dispose();
    const bad = tf.zeros([2, 32, 32, 1]);
    assert.throws(() => toImageTensor(bad), /\[2,32,32,1\]/);
    bad.dispose();
    assert.throws(() => toImageTensor(new Float32Array(100)), /784/);
  });

  it("a missing checkpoint is an error naming the command that builds it; an unknown name too", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-classifier-"));
    try {
      await assert.rejects(loadClassifier("fashion-mnist", empty), /npm run train-classifier -- --dataset fashion-mnist/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
    await assert.rejects(loadClassifier("cifar" as ClassifierName), /unknown classifier 'cifar'/);
  });

  it("the stored MNIST classifier reaches ≥ 97 % on the held-out 2,000, as its meta.json states, without leaks", async () => {
    const classifier = await loadClassifier("mnist");
    try {
      assert.ok(fs.statSync(path.join(classifierDir("mnist"), "weights.bin")).size < 2 * 1024 * 1024);
      const data = loadMnist({ source: classifier.meta.source === "full" ? "full" : "embedded" });
      let heldOut = selectRows(data, embeddedMnistSplit(data.count).heldOut);
      if (classifier.meta.source === "full") heldOut = loadMnist({ source: "full", split: "test" });
      const required = classifier.meta.source === "full" ? 0.99 : 0.97;
      classifier.evaluate(heldOut.images.subarray(0, 10 * 784)); // burn-in
      const before = tf.memory().numTensors;
      const accuracy = accuracyOf(classifier.evaluate(heldOut.images).probabilities, heldOut.labels);
      assert.equal(tf.memory().numTensors, before);
      assert.ok(accuracy >= required, `accuracy ${accuracy}`);
      // Same weights, same images: the stored number is reproduced (to one image, allowing another backend's round-off).
      assert.ok(Math.abs(accuracy - classifier.meta.accuracy) <= 1 / heldOut.labels.length + 1e-12, `measured ${accuracy}, meta ${classifier.meta.accuracy}`);
      assert.match(classifier.meta.command, /train-classifier -- --dataset mnist/);
    } finally {
      classifier.dispose();
    }
  });

  it("the stored Fashion-MNIST classifier reaches ≥ 88 % on the 10,000 test images, as its meta.json states", async function () {
    if (!fs.existsSync(DEBIAN_FASHION_MNIST_DIR) && !fs.existsSync(path.join(packageRoot(), "data", "fashion-mnist"))) {
      // The data is an apt package (dataset-fashion-mnist); CI installs it.
      this.skip();
    }
    const classifier = await loadClassifier("fashion-mnist");
    try {
      assert.ok(fs.statSync(path.join(classifierDir("fashion-mnist"), "weights.bin")).size < 2 * 1024 * 1024);
      const test = loadMnist({ source: "fashion", split: "test" });
      const accuracy = accuracyOf(classifier.evaluate(test.images).probabilities, test.labels);
      assert.ok(accuracy >= 0.88, `accuracy ${accuracy}`);
      assert.ok(Math.abs(accuracy - classifier.meta.accuracy) <= 1 / test.count + 1e-12, `measured ${accuracy}, meta ${classifier.meta.accuracy}`);
    } finally {
      classifier.dispose();
    }
  });
});
