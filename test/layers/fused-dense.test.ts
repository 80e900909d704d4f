/**
 * The fusedDense layer (lib/layers/fused-dense.ts): a Dense layer whose activation runs in the same op. Same
 * weights as tf.layers.dense for a seed, the same numbers as dense + leakyReLU (bit for bit on wasm, through a
 * training step of a toy GAN), Dense's own path for what it does not fuse, saving and loading, bad arguments,
 * and a training step that leaves no tensors behind.
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { fusedDense, FusedDense, isDenseLayer } from "../../lib/layers/fused-dense";
import { assertSavesAndLoads } from "./round-trip";
import { seed } from "../../lib/engine/seed";
import { useBackend } from "../../lib/engine/backend";
import { mlp } from "../../lib/models/mlp";

const values = (t: tf.Tensor) => Array.from(t.dataSync());

/** tf.layers.dense + tf.layers.leakyReLU per hidden layer, as lib/models/mlp.ts built its networks before. */
function unfusedMlp(inputSize: number, hidden: number[], outputSize: number, alpha: number): tf.LayersModel {
  const input = tf.input({ shape: [inputSize] });
  let h: tf.SymbolicTensor = input;
  for (const units of hidden) {
    h = tf.layers.dense({ units }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.leakyReLU({ alpha }).apply(h) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: outputSize }).apply(h) as tf.SymbolicTensor });
}

/** Three Adam steps of a non-saturating-style loss on `model`; returns the final weights. */
function train(model: tf.LayersModel, x: tf.Tensor): Float32Array[] {
  const optimizer = tf.train.adam(1e-2, 0.5);
  for (let i = 0; i < 3; i++) {
    optimizer.minimize(() => tf.mean(tf.softplus(tf.neg(model.apply(x, { training: true }) as tf.Tensor))) as tf.Scalar);
  }
  optimizer.dispose();
  return model.getWeights().map((w) => Float32Array.from(w.dataSync()));
}

describe("layers/fused-dense", function () {
  this.timeout(60000);
  after(async () => useBackend("wasm"));

  it("has Dense's weights in Dense's order, initialised alike for a seed", () => {
    seed(3);
    const dense = tf.layers.dense({ units: 4, inputShape: [3] });
    tf.sequential({ layers: [dense] });
    seed(3);
    const fused = fusedDense({ units: 4, inputShape: [3], leakyAlpha: 0.2 });
    tf.sequential({ layers: [fused] });
    assert.deepEqual(fused.getWeights().map((w) => w.shape), [[3, 4], [4]]);
    fused.getWeights().forEach((w, i) => assert.deepEqual(values(w), values(dense.getWeights()[i])));
    assert.ok(fused instanceof FusedDense);
    assert.equal(fused.getClassName(), "TsganFusedDense");
  });

  for (const backend of ["wasm", "cpu"] as const) {
    it(`trains exactly like dense + leakyReLU on ${backend} (three Adam steps of a 2→16→16→1 MLP, bit for bit${backend === "cpu" ? " up to 1e-6" : ""})`, async () => {
      await useBackend(backend);
      const x = tf.randomNormal([32, 2], 0, 1, "float32", 9);
      const reference = unfusedMlp(2, [16, 16], 1, 0.2);
      const fused = mlp({ inputSize: 2, outputSize: 1, hiddenSizes: [16, 16], activation: "leakyRelu", leakyAlpha: 0.2 });
      fused.setWeights(reference.getWeights());
      const expected = train(reference, x);
      const actual = train(fused, x);
      actual.forEach((w, i) => {
        if (backend === "wasm") assert.deepEqual(w, expected[i], `weight ${i} after three steps`);
        else w.forEach((v, j) => assert.ok(Math.abs(v - expected[i][j]) <= 1e-6, `weight ${i}[${j}]: ${v} vs ${expected[i][j]}`));
      });
      reference.dispose();
      fused.dispose();
      x.dispose();
    });
  }

  it("applies activations it does not fuse (tanh) and inputs of rank 3 through Dense's own path", async () => {
    await useBackend("wasm");
    tf.tidy(() => {
      const x = tf.randomNormal([2, 5, 3], 0, 1, "float32", 4);
      const fused = fusedDense({ units: 4, leakyAlpha: 0.1 });
      const tanh = fusedDense({ units: 4, activation: "tanh" });
      const y = fused.apply(x) as tf.Tensor;
      const [w, b] = fused.getWeights();
      const expected = tf.leakyRelu(tf.add(tf.matMul(tf.reshape(x, [10, 3]), w), b), 0.1).reshape([2, 5, 4]);
      assert.ok(tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0] < 1e-6);
      const x2 = tf.randomNormal([6, 3], 0, 1, "float32", 5);
      const t = tanh.apply(x2) as tf.Tensor; // builds the layer: its weights exist from here on
      const [w2, b2] = tanh.getWeights();
      assert.ok(tf.max(tf.abs(tf.sub(t, tf.tanh(tf.add(tf.matMul(x2, w2), b2))))).dataSync()[0] < 1e-6);
    });
  });

  it("a model holding it saves and loads back (registered for serialization, the slope kept)", async () => {
    await useBackend("wasm");
    const model = tf.sequential({ layers: [fusedDense({ units: 3, inputShape: [2], leakyAlpha: 0.3 }), fusedDense({ units: 1 })] });
    const x = tf.randomNormal([4, 2], 0, 1, "float32", 5);
    await assertSavesAndLoads(model, x, (loaded) => {
      assert.equal(loaded.layers[0].getClassName(), "TsganFusedDense");
      assert.equal((loaded.layers[0] as FusedDense).leakyAlpha, 0.3);
    });
    x.dispose();
  });

  it("isDenseLayer finds every dense layer of a tsgan MLP and of tf.layers, and nothing else", () => {
    const net = mlp({ inputSize: 3, outputSize: 1, hiddenSizes: [4, 4], name: "probe" });
    const plain = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] }), tf.layers.leakyReLU(), tf.layers.dense({ units: 1 })] });
    assert.equal(net.layers.filter(isDenseLayer).length, 3);
    assert.deepEqual(plain.layers.map(isDenseLayer), [true, false, true]);
    assert.equal(net.layers.filter((l) => l.getClassName() === "Dense").length < 3, true, "the class-name filter this replaces misses fused layers");
    net.dispose();
    plain.dispose();
  });

  it("refuses a negative slope, or a slope together with another activation", () => {
    assert.throws(() => fusedDense({ units: 2, leakyAlpha: -1 }), /leakyAlpha must be a finite number >= 0, got -1/);
    assert.throws(() => fusedDense({ units: 2, leakyAlpha: 0.2, activation: "tanh" }), /leakyAlpha replaces the activation; leave activation unset \(got "tanh"\)/);
  });

  it("a training step leaves no tensors behind", async () => {
    await useBackend("wasm");
    const model = mlp({ inputSize: 2, outputSize: 1, hiddenSizes: [8, 8] });
    const x = tf.randomNormal([16, 2]);
    const optimizer = tf.train.adam(1e-3);
    const step = () => optimizer.minimize(() => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, before);
    optimizer.dispose(); model.dispose(); x.dispose();
  });
});
