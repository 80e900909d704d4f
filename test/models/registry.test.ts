/**
 * The variant registry: every variant builds for every dataset it claims, and trains one step there without
 * leaving a tensor behind; the claims and options it refuses, it refuses with errors that name what it takes.
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { restoreMathRandom, seed } from "../../lib/engine/seed";
import { train } from "../../lib/train/loop";
import { isDenseLayer } from "../../lib/layers/fused-dense";
import type { Batch } from "../../lib/train/types";
import {
  buildVariant, DATASET_NAMES, disposeVariant, GAN_VARIANTS, getDataset, getVariant, supportedDatasets, TRAINING_DATASETS,
  variantNames, variantNetworks,
} from "../../lib/models/registry";

const BATCH = 8;

/** A batch of the dataset's shape: noise in [−1, 1] and labels of its classes (labels only for conditional variants). */
function fakeBatch(dataset: string, conditional: boolean): Batch {
  const info = getDataset(dataset);
  return tf.tidy(() => ({
    x: tf.randomUniform([BATCH, ...info.shape], -1, 1),
    ...(conditional ? { labels: tf.randomUniform([BATCH], 0, info.numClasses, "int32") } : {}),
  })) as Batch;
}

/** A fresh copy of a batch: the loop disposes what the data source gives it. */
function cloneBatch(batch: Batch): Batch {
  return batch.labels ? { x: batch.x.clone(), labels: batch.labels.clone() } : { x: batch.x.clone() };
}

describe("models/registry", function () {
  afterEach(() => restoreMathRandom());

  it("names every variant of lib/models once, each with a paper and a one-line summary", () => {
    assert.deepEqual(variantNames(), [
      "vanilla", "dcgan", "cgan", "acgan", "wgan", "wgan-gp", "sngan", "bigan", "vae-gan", "vae", "feature-matching",
      "pacgan", "mrgan", "mdgan",
    ]);
    for (const v of GAN_VARIANTS) {
      assert.match(v.paper, /\b(19|20)\d\d\b/, `${v.name}: the paper's year`);
      assert.ok(v.summary.length > 10 && !v.summary.includes("\n"), `${v.name}: one line`);
      assert.ok(supportedDatasets(v).length > 0, `${v.name} trains on something`);
    }
    // Conditional variants get labels from every dataset: classes for images, mode indices for points.
    for (const d of DATASET_NAMES) assert.ok(TRAINING_DATASETS[d].numClasses > 1, d);
  });

  for (const variant of GAN_VARIANTS) {
    // mnist-train is mnist's shape (a subset of its rows): one image dataset of each shape is enough here.
    for (const dataset of supportedDatasets(variant).filter((d) => d !== "mnist-train")) {
      it(`${variant.name} on ${dataset}: builds, trains one step, leaks no tensor`, async function () {
        this.timeout(120000);
        const before = tf.memory().numTensors;
        seed(1);
        const gan = buildVariant(variant.name, dataset);
        const batch = fakeBatch(dataset, variant.conditional);
        const result = await train({
          gan, steps: 1, batchSize: BATCH, seed: 1,
          data: () => cloneBatch(batch),
        });
        assert.equal(result.step, 1);
        for (const [player, h] of Object.entries(result.history.players)) {
          assert.ok(Number.isFinite(h.loss[0]), `${player} loss ${h.loss[0]}`);
        }
        // The trained game can draw samples of the data's shape (what `tsgan sample` does).
        const samples = tf.tidy(() => {
          const latent = result.game.latent!(4);
          return result.game.sample!(latent instanceof tf.Tensor ? { z: latent } : latent);
        });
        assert.deepEqual(samples.shape, [4, ...getDataset(dataset).shape]);
        samples.dispose();
        tf.dispose(Object.values(batch) as tf.Tensor[]);
        Object.values(result.optimizers).forEach((o) => o.dispose());
        disposeVariant(gan);
        assert.equal(tf.memory().numTensors, before, `${variant.name} on ${dataset}: tensors left behind`);
      });
    }
  }

  it("refuses a dataset a variant does not train on, naming those it does", () => {
    assert.throws(() => buildVariant("dcgan", "ring"), /variant "dcgan" does not train on "ring" \(2-D points\); it trains on mnist, mnist-train, fashion-mnist\./);
    assert.throws(() => buildVariant("vae", "grid"), /it trains on mnist, mnist-train, fashion-mnist\./);
    assert.throws(() => buildVariant("nope", "mnist"), /unknown variant "nope"; the variants are vanilla, dcgan, .*mdgan\./);
    assert.throws(() => buildVariant("vanilla", "cifar" as never), /unknown dataset "cifar"; the datasets are mnist, mnist-train, fashion-mnist, ring, grid\./);
  });

  it("refuses trunks a variant does not have, and trunks on points", () => {
    assert.throws(() => buildVariant("vanilla", "mnist", { trunk: "conv" }), /"vanilla" has no choice of trunk \(acgan, wgan, wgan-gp, sngan have one\)/);
    assert.throws(() => buildVariant("wgan", "ring", { trunk: "conv" }), /the trunk is a choice for images/);
    assert.throws(() => buildVariant("sngan", "mnist", { trunk: "resnet" }), /no trunk "resnet"; its trunks are conv, mlp/);
    assert.throws(() => buildVariant("vanilla", "ring", { latentDim: 0 }), /latentDim must be a positive integer, got 0/);
  });

  it("builds every point variant's MLPs with the hidden layers asked for, and refuses them on images", () => {
    seed(4);
    const before = tf.memory().numTensors;
    const pointVariants = GAN_VARIANTS.filter((v) => v.kinds.includes("points"));
    assert.ok(pointVariants.length >= 8, "the point variants");
    for (const v of pointVariants) {
      const spec = buildVariant(v.name, "grid", { hiddenSizes: [7, 5, 3] });
      for (const [role, net] of Object.entries(variantNetworks(spec))) {
        const widths = (net as tf.LayersModel).layers.filter(isDenseLayer).map((l) => l.getConfig().units as number);
        // The last three hidden layers are the ones asked for (BiGAN's discriminator first maps x and z by one layer each of the first width).
        assert.deepEqual(widths.slice(-4, -1), [7, 5, 3], `${v.name}'s ${role}: hidden widths ${widths}`);
        assert.ok(widths.slice(0, -4).every((w) => w === 7), `${v.name}'s ${role}: hidden widths ${widths}`);
      }
      disposeVariant(spec);
    }
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => buildVariant("vanilla", "mnist", { hiddenSizes: [64] }), /hiddenSizes sets the MLPs on 2-D points; on "mnist" \(images\) "vanilla" builds its chapter's networks\./);
    assert.throws(() => buildVariant("wgan", "mnist", { hiddenSizes: [64] }), /builds its chapter's networks \(choose them with trunk\)/);
    for (const bad of [[], [64, 0], [2.5]]) {
      assert.throws(() => buildVariant("vanilla", "ring", { hiddenSizes: bad }), /hiddenSizes must be a non-empty list of positive integers/);
    }
  });

  it("builds the other trunk and a chosen latent size", () => {
    seed(2);
    const before = tf.memory().numTensors;
    const spec = buildVariant("wgan", "mnist", { trunk: "conv", latentDim: 16 });
    const g = variantNetworks(spec).generator as tf.LayersModel;
    assert.deepEqual(g.inputs[0].shape, [null, 16]);
    assert.ok(g.layers.some((l) => l.getClassName() === "Conv2D"), "the conv trunk's generator");
    disposeVariant(spec);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(getVariant("pacgan").batchMultiple, 2);
  });
});
