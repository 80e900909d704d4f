import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../lib/engine/seed";
import { adam, sgd } from "../../lib/engine/optimizers";
import { featureMatchingLoss } from "../../lib/losses";
import { minibatchDiscrimination } from "../../lib/layers/minibatch-discrimination";
import { normalLatent } from "../../lib/train/gan-spec";
import { train } from "../../lib/train/loop";
import type { Network } from "../../lib/train/types";
import { mlpDiscriminator, mlpGenerator } from "../../lib/models/mlp";
import { featureMatchingGame } from "../../lib/models/feature-matching";

/** D for 2-D data returning [logit, features]; with `minibatch`, Salimans et al.'s layer before the output. */
function twoHeadDiscriminator(minibatch: boolean): tf.LayersModel {
  const x = tf.input({ shape: [2] });
  let h = tf.layers.leakyReLU({ alpha: 0.2 }).apply(tf.layers.dense({ units: 16 }).apply(x)) as tf.SymbolicTensor;
  const features = h;
  if (minibatch) h = minibatchDiscrimination({ kernels: 5, kernelDims: 3 }).apply(h) as tf.SymbolicTensor;
  const logit = tf.layers.dense({ units: 1 }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: [logit, features] });
}

describe("models/feature-matching (Salimans et al. 2016, section 3.1)", () => {
  it("the generator's only term is the feature-matching loss, equal to its value computed directly", async () => {
    seed(1);
    // A generator that ignores z (a fixed batch plus 0·Σz): its features, and so the term, have a hand value.
    const fixed = tf.tensor2d([[0.5, -1], [2, 0], [-1, 1], [0, 0.3]]);
    const w = tf.variable(tf.scalar(0));
    const generator: Network = { trainableWeights: [w], apply: (z) => tf.tidy(() => fixed.add(tf.sum(z as tf.Tensor).mul(w))) };
    const discriminator = twoHeadDiscriminator(false);
    const real = tf.tensor2d([[1, 1], [0, -2], [3, 0.5], [-1, -1]]);
    const game = featureMatchingGame({ generator, discriminator, latent: normalLatent(3), optimizers: { generator: sgd(0), discriminator: sgd(0) } });
    const { history } = await train({ gan: game, data: () => real.clone(), steps: 1, batchSize: 4, seed: 1 });
    assert.deepEqual(Object.keys(history.players.generator.terms), ["featureMatching"]);
    assert.deepEqual(Object.keys(history.players.discriminator.terms), ["adversarial"], "D is the plain GAN's");
    const want = tf.tidy(() => featureMatchingLoss((discriminator.apply(real) as tf.Tensor[])[1], (discriminator.apply(fixed) as tf.Tensor[])[1]).dataSync()[0]);
    assert.ok(Math.abs(history.players.generator.terms.featureMatching[0] - want) < 1e-6, `${history.players.generator.terms.featureMatching[0]} vs ${want}`);
    tf.dispose([fixed, w, real]);
    discriminator.dispose();
  });

  it("trains with a minibatch-discrimination discriminator without a tensor leak per step", async function () {
    this.timeout(60000);
    seed(2);
    const game = featureMatchingGame({
      generator: mlpGenerator({ latentSize: 2, dataSize: 2, hiddenSizes: [16] }), discriminator: twoHeadDiscriminator(true),
      latent: normalLatent(2), optimizers: { generator: adam(1e-3, 0.5), discriminator: adam(1e-3, 0.5) },
    });
    const counts: number[] = [];
    const { history } = await train({
      gan: game, data: (n: number) => tf.randomNormal([n, 2]), steps: 30, batchSize: 32, seed: 2,
      callbacks: [{ onStepEnd: () => { counts.push(tf.memory().numTensors); } }],
    });
    assert.deepEqual(counts.slice(1), Array(counts.length - 1).fill(counts[0]), "numTensors per step");
    assert.ok(history.players.generator.terms.featureMatching.every(Number.isFinite));
    Object.values(game.networks).forEach((n) => (n as tf.LayersModel).dispose());
  });

  it("refuses a discriminator without a features output, saying what to return", async () => {
    const game = featureMatchingGame({ generator: mlpGenerator({ latentSize: 2, dataSize: 2 }), discriminator: mlpDiscriminator({ dataSize: 2 }), latent: normalLatent(2) });
    await assert.rejects(train({ gan: game, data: (n: number) => tf.randomNormal([n, 2]), steps: 1, batchSize: 8 }), /must return \[logit, features\]/);
    Object.values(game.networks).forEach((n) => (n as tf.LayersModel).dispose());
  });
});
