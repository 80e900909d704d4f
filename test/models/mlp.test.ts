import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { seed, restoreMathRandom } from "../../lib/engine/seed";
import { mlp, mlpGenerator, mlpDiscriminator, mlpGanSpec } from "../../lib/models/mlp";
import { vanillaGanSpec } from "../../lib/models/vanilla-gan";
import { dcganSpec } from "../../lib/models/dcgan";
import { gameFromSpec } from "../../lib/train/gan-spec";
import { adam } from "../../lib/engine/optimizers";

describe("models/mlp", () => {
  afterEach(() => restoreMathRandom());

  it("builds generators and discriminators with the stated shapes and parameter counts", () => {
    seed(1);
    const g = mlpGenerator({ latentSize: 3, dataSize: 2, hiddenSizes: [5, 4] });
    const d = mlpDiscriminator({ dataSize: 2, hiddenSizes: [6] });
    tf.tidy(() => {
      assert.deepEqual((g.predict(tf.zeros([7, 3])) as tf.Tensor).shape, [7, 2]);
      assert.deepEqual((d.predict(tf.zeros([7, 2])) as tf.Tensor).shape, [7, 1]);
    });
    assert.equal(g.countParams(), 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2);
    assert.equal(d.countParams(), 2 * 6 + 6 + 6 * 1 + 1);
    const cond = mlpDiscriminator({ dataSize: 2, conditionSize: 3, hiddenSizes: [4] });
    assert.equal(cond.inputs.length, 2);
    assert.equal(cond.countParams(), (2 + 3) * 4 + 4 + 4 + 1);
    tf.tidy(() => {
      assert.deepEqual((cond.predict([tf.zeros([4, 2]), tf.zeros([4, 3])]) as tf.Tensor).shape, [4, 1]);
    });
    [g, d, cond].forEach((m) => m.dispose());
  });

  it("computes Dense → LeakyReLU(0.2) → Dense, checked by hand", () => {
    const net = mlp({ inputSize: 2, outputSize: 1, hiddenSizes: [2], activation: "leakyRelu" });
    // W1 = [[1, -1], [2, 0.5]], b1 = [0, -1]; W2 = [[1], [3]], b2 = [0.5].
    net.setWeights([tf.tensor2d([[1, -1], [2, 0.5]]), tf.tensor1d([0, -1]), tf.tensor2d([[1], [3]]), tf.tensor1d([0.5])]);
    // x = [1, -2]: h = x·W1 + b1 = [1 - 4, -1 - 1 - 1] = [-3, -3]; leaky: [-0.6, -0.6]; y = -0.6 + 3·(-0.6) + 0.5 = -1.9.
    // x = [2, 1]:  h = [2 + 2, -2 + 0.5 - 1] = [4, -2.5]; leaky: [4, -0.5]; y = 4 - 1.5 + 0.5 = 3.
    const y = tf.tidy(() => Array.from((net.predict(tf.tensor2d([[1, -2], [2, 1]])) as tf.Tensor).dataSync()));
    assert.ok(Math.abs(y[0] - -1.9) < 1e-6, `${y[0]}`);
    assert.ok(Math.abs(y[1] - 3) < 1e-6, `${y[1]}`);
    net.dispose();
  });

  it("applies the output activation when asked (tanh for data scaled to [-1, 1])", () => {
    const net = mlpGenerator({ latentSize: 1, dataSize: 1, hiddenSizes: [1], activation: "linear", outputActivation: "tanh" });
    net.setWeights([tf.tensor2d([[2]]), tf.tensor1d([0]), tf.tensor2d([[1]]), tf.tensor1d([0.5])]);
    const y = tf.tidy(() => (net.predict(tf.tensor2d([[1]])) as tf.Tensor).dataSync()[0]);
    assert.ok(Math.abs(y - Math.tanh(2.5)) < 1e-6, `${y}`);
    net.dispose();
  });

  it("is reproducible under seed()", () => {
    const weights = () => {
      const m = mlpDiscriminator();
      const w = m.getWeights().map((t) => Array.from(t.dataSync()));
      m.dispose();
      return w;
    };
    seed(3);
    const a = weights();
    seed(3);
    assert.deepEqual(weights(), a);
  });

  it("rejects sizes that are not positive integers", () => {
    assert.throws(() => mlp({ inputSize: 0, outputSize: 1 }), /inputSize must be a positive integer, got 0/);
    assert.throws(() => mlp({ inputSize: 2, outputSize: 1, hiddenSizes: [4, 2.5] }), /hiddenSizes\[1\] must be a positive integer/);
    assert.throws(() => mlpGenerator({ conditionSize: -1 }), /conditionSize must be a non-negative integer/);
  });

  it("mlpGanSpec, vanillaGanSpec and dcganSpec carry their variant's defaults, each overridable", () => {
    seed(4);
    const toy = mlpGanSpec({ latentSize: 3, dataSize: 2, hiddenSizes: [8] });
    const z = toy.latent(5) as tf.Tensor;
    assert.deepEqual(z.shape, [5, 3]);
    assert.deepEqual((toy.generator.apply(z) as tf.Tensor).shape, [5, 2]);
    assert.equal(toy.objective, "non-saturating");
    // The defaults: Adam(2e-4, β1 0.5) for each player (a factory, so every run gets fresh state), k = 1.
    const game = gameFromSpec(toy);
    const made = game.players.map((p) => (p.optimizer as () => tf.Optimizer)());
    assert.deepEqual(made.map((o) => o.getConfig()), [0, 1].map(() => ({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-7 })));
    assert.deepEqual(game.players.map((p) => p.updates), [1, undefined]);
    const mine = adam(1e-3);
    const custom = gameFromSpec(mlpGanSpec({ objective: "hinge", discriminatorSteps: 5, optimizers: { discriminator: mine } }));
    assert.equal(custom.players[0].optimizer, mine);
    assert.equal(custom.players[0].updates, 5);
    const vanilla = vanillaGanSpec({ latentDim: 16 });
    assert.deepEqual((vanilla.latent(2) as tf.Tensor).shape, [2, 16]);
    assert.equal((vanilla.generator as tf.LayersModel).name.startsWith("vanilla_generator"), true);
    const dcgan = dcganSpec({ latentDim: 8, upsampling: "transposed" });
    assert.equal((dcgan.generator as tf.LayersModel).name.startsWith("dcgan_transposed_generator"), true);
    for (const spec of [toy, vanilla, dcgan]) [spec.generator, spec.discriminator].forEach((n) => (n as tf.LayersModel).dispose?.());
    const customNets = custom.networks;
    Object.values(customNets).forEach((n) => (n as tf.LayersModel).dispose());
    [...made, mine].forEach((o) => o.dispose());
    tf.dispose(z);
  });
});
