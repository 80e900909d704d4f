/**
 * Shared by the CGAN and ACGAN tests: train a conditional GAN briefly on the embedded MNIST, then ask the
 * stored classifier how often each digit drawn on demand is the digit that was asked for.
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { generateEachClass } from "../../lib/models/cgan";
import { loadMnist, mnistTensors } from "../../lib/data/mnist";
import { argmaxRows, loadClassifier } from "../../lib/metrics/classifier";
import { askedClassAccuracy } from "../../lib/metrics/quality";
import { train } from "../../lib/train/loop";
import { shuffledBatches } from "../../lib/train/batches";
import type { GanSpec } from "../../lib/train/gan-spec";

export interface ConditioningRun {
  gan: GanSpec;
  optimizers: { generator: tf.Optimizer; discriminator: tf.Optimizer };
  steps: number;
  seed: number;
}

/**
 * Trains `run` (batch 64), draws 100 samples per digit and asserts that most samples (> 0.5) are read as the
 * asked digit and that at least 8 of the 10 digits are above chance (0.1). Disposes what it made, not the GAN.
 */
export async function assertDrawsAskedDigits(run: ConditioningRun): Promise<void> {
  const classifier = await loadClassifier("mnist");
  const { x, labels } = mnistTensors(loadMnist({ source: "embedded" }));
  try {
    await train({
      gan: run.gan, data: shuffledBatches(x, labels, { seed: run.seed }), steps: run.steps, batchSize: 64,
      optimizers: run.optimizers, seed: run.seed,
    });
    const { images, asked } = generateEachClass(run.gan.generator as tf.LayersModel, 100);
    const predicted = argmaxRows(classifier.evaluate(images).probabilities);
    images.dispose();
    const { perClass, overall, classesAboveChance } = askedClassAccuracy(predicted, asked);
    const perDigit = perClass.map((v) => v.toFixed(2)).join(" ");
    assert.ok(overall > 0.5, `share classified as asked: ${overall.toFixed(3)}; per digit ${perDigit}`);
    assert.ok(classesAboveChance >= 8, `only ${classesAboveChance} digits above chance; per digit ${perDigit}`);
  } finally {
    tf.dispose([x, labels]);
    classifier.dispose();
  }
}
