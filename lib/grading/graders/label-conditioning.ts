/**
 * Assignment 6, label conditioning: Mirza & Osindero 2014, "Conditional Generative Adversarial Nets"
 * (arXiv:1411.1784). The student writes how a class label enters a network, as layers:
 *
 *   conditionOnLabel(features [batch, width], label [batch, 1] int32 class ids, numClasses) → [batch, k]
 *
 * with either form of lib/models/cgan.ts: the paper's one-hot code concatenated to the features
 * (k = width + numClasses), or the book chapter's learned embedding multiplied into them (k = width), or any
 * other join whose output is a [batch, k] feature vector. The grader plugs it into a conditional generator
 * built the way `conditionalGenerator` builds one (z and the label joined, then an ordinary MLP trunk of
 * input size k) and trains it with the library's `cganSpec` and `train()`.
 *
 * Why layers and not a tensor function: the join must live inside the generator so that its weights (an
 * embedding) train with it, save with it and run on the [batch, 1] id column the library's hooks feed; a
 * function of tensors could not be trained by `train()`. Layers are checked by building small models on
 * symbolic inputs and running them.
 *
 * The label is a class id: a join that uses it as a NUMBER (features × y, or y appended as a value) makes
 * the output an affine function of y, so class 2 is "twice" class 1. A one-hot code or an embedding is not
 * affine in the id; the grader checks that, which neither the shapes nor the label-dependence can show.
 */
import * as tf from "@tensorflow/tfjs";
import { makeRandom } from "../../engine/seed";
import { adam } from "../../engine/optimizers";
import { cganSpec, conditionOnLabel as libraryConditionOnLabel } from "../../models/cgan";
import { mlp } from "../../models/mlp";
import { train } from "../../train/loop";
import type { Batch } from "../../train/types";
import { CaseFailure, callSubmission, expectFinite, fail, GradeCase, Grader, aFunction } from "../core";

/** The student's function. */
export type ConditionOnLabel = (features: tf.SymbolicTensor, label: tf.SymbolicTensor, numClasses: number) => tf.SymbolicTensor;

// ---------------------------------------------------------------------------------------------------------
// Building models on the submission
// ---------------------------------------------------------------------------------------------------------

const FORM_HINT = "return the tf.SymbolicTensor that your last layer's apply(...) gives, of shape [null, k]";

/**
 * The submission's join as a model [features [width], label [1] int32] → [k], with k read from the symbolic
 * output (a rank-2 shape with a known width, as a Dense trunk needs).
 */
async function joinModel(fn: ConditionOnLabel, width: number, numClasses: number): Promise<tf.LayersModel> {
  const features = tf.input({ shape: [width], name: "grading_features" });
  const label = tf.input({ shape: [1], dtype: "int32", name: "grading_label" });
  const joined = await callSubmission(`conditionOnLabel(features [null, ${width}], label [null, 1], ${numClasses})`, () => fn(features, label, numClasses));
  checkJoined(joined, width, numClasses);
  try {
    return tf.model({ inputs: [features, label], outputs: joined, name: "grading_join" });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    fail(`a model from [features, label] to your output could not be built (${message.split("\n")[0]}): build the output from the two inputs you are given`);
  }
}

/** Fails unless `joined` is a symbolic [null, k] tensor with k known; returns k. */
function checkJoined(joined: unknown, width: number, numClasses: number): number {
  const where = `conditionOnLabel(features [null, ${width}], label [null, 1], ${numClasses})`;
  if (!(joined instanceof tf.SymbolicTensor)) {
    const got = joined instanceof tf.Tensor ? "a concrete tf.Tensor" : joined === null ? "null" : typeof joined;
    fail(`${where} returned ${got}; ${FORM_HINT}`);
  }
  const shape = joined.shape;
  if (shape.length !== 2 || shape[0] !== null || typeof shape[1] !== "number") {
    fail(`${where} returned a symbolic tensor of shape [${shape.map((d) => (d === null ? "null" : d))}]; the generator's next layer is a Dense layer, so ${FORM_HINT} (flatten the embedding's [null, 1, k] output)`);
  }
  return shape[1];
}

/** Runs a join model on concrete features and id columns (inference mode); returns the values and shape. */
function runJoin(model: tf.LayersModel, features: tf.Tensor2D, ids: number[]): { values: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const labels = tf.tensor2d(ids, [ids.length, 1], "int32");
    // A model reloaded from a join that ignores the label has lost the unused label input.
    const out = model.predict(model.inputs.length === 1 ? features : [features, labels]);
    if (!(out instanceof tf.Tensor)) fail("the model built on your output returned several tensors; return one");
    return { values: out.dataSync() as Float32Array, shape: out.shape };
  });
}

/** Seeded standard normal features [n, width] (Box–Muller on a makeRandom stream). */
function seededFeatures(n: number, width: number, seed: number): tf.Tensor2D {
  const rng = makeRandom(seed);
  const values = Float32Array.from({ length: n * width }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
  return tf.tensor2d(values, [n, width]);
}

/** Rows `i` of a row-major [n, k] array. */
const row = (values: Float32Array, k: number, i: number) => values.subarray(i * k, (i + 1) * k);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Builds the join model, runs `body`, disposes the model. */
async function withJoin<T>(fn: ConditionOnLabel, width: number, numClasses: number, body: (model: tf.LayersModel) => T | Promise<T>): Promise<T> {
  const model = await joinModel(fn, width, numClasses);
  try {
    return await body(model);
  } finally {
    model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------
// The training case: a conditional GAN on a ring of Gaussians, one class per mode
// ---------------------------------------------------------------------------------------------------------

/** The toy problem: `modes` Gaussians on a circle of radius 1, σ = 0.05; class k is mode k. */
export const RING = { modes: 4, radius: 1, std: 0.05, latentDim: 6, hidden: 32 };
/** Steps of the training case (measured: 3 s on two idle cores, up to 9 s under load). */
export const TRAINING_STEPS = 300;
/**
 * The share of samples that must land nearest the mode of their asked class. Measured at 300 steps over
 * seeds 1–4: the paper's one-hot concatenation 1.000 every time, the chapter's embedding product 0.846–0.903;
 * a generator that ignores the label 0.248–0.260 (chance is 1 / modes = 0.25: its samples do not depend on
 * what was asked). Multiplying the features by the raw id, which the id case catches, still reaches
 * 0.715–0.776: it uses the label, badly, and this case is not the one that shows it. At the grader's own
 * seed: one-hot 1.000, embedding product 0.860, label ignored 0.262, raw id multiplied 0.722.
 */
export const REQUIRED_ACCURACY = 0.5;

function modeCentre(k: number): [number, number] {
  const angle = (2 * Math.PI * k) / RING.modes;
  return [RING.radius * Math.cos(angle), RING.radius * Math.sin(angle)];
}

/** Labelled real batches: uniform classes, x = centre of its class's mode + σ·N(0, I) (tsgan's seeded stream via tf). */
function ringBatches(rng: () => number): (n: number) => Batch {
  return (n: number) => {
    const ids = new Int32Array(n);
    const x = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const k = Math.min(RING.modes - 1, Math.floor(rng() * RING.modes));
      ids[i] = k;
      const [cx, cy] = modeCentre(k);
      const r = Math.sqrt(-2 * Math.log(1 - rng()));
      const t = 2 * Math.PI * rng();
      x[2 * i] = cx + RING.std * r * Math.cos(t);
      x[2 * i + 1] = cy + RING.std * r * Math.sin(t);
    }
    return { x: tf.tensor2d(x, [n, 2]), labels: tf.tensor1d(ids, "int32") };
  };
}

/**
 * G(z | y) built as `conditionalGenerator` builds one, with the submission as the join: z [latentDim] and
 * label [1] → join → the library's MLP trunk (input size k → hidden → hidden → 2).
 */
export function toyConditionalGenerator(join: ConditionOnLabel): tf.LayersModel {
  const z = tf.input({ shape: [RING.latentDim], name: "grading_g_z" });
  const label = tf.input({ shape: [1], dtype: "int32", name: "grading_g_label" });
  const joined = join(z, label, RING.modes);
  const k = checkJoined(joined, RING.latentDim, RING.modes);
  const trunk = mlp({ inputSize: k, outputSize: 2, hiddenSizes: [RING.hidden, RING.hidden], name: "grading_g_trunk" });
  return tf.model({ inputs: [z, label], outputs: trunk.apply(joined) as tf.SymbolicTensor, name: "grading_generator" });
}

/** D(x | y): the library's one-hot concatenation (not the submission: only G is graded) and an MLP. */
function toyConditionalDiscriminator(): tf.LayersModel {
  const x = tf.input({ shape: [2], name: "grading_d_x" });
  const label = tf.input({ shape: [1], dtype: "int32", name: "grading_d_label" });
  const joined = libraryConditionOnLabel(x, label, RING.modes, "concatenate", "grading_d");
  const trunk = mlp({ inputSize: 2 + RING.modes, outputSize: 1, hiddenSizes: [RING.hidden, RING.hidden], name: "grading_d_trunk" });
  return tf.model({ inputs: [x, label], outputs: trunk.apply(joined) as tf.SymbolicTensor, name: "grading_discriminator" });
}

/**
 * Trains the conditional GAN (the library's `cganSpec` and `train()`, Adam 2e-3 with β1 0.5, batch 64) and
 * asks G for `perClass` samples of each class: the share that lands nearest the asked mode, overall and per
 * class. Disposes everything it made.
 */
export async function trainToyCgan(join: ConditionOnLabel, steps: number, runSeed = 6, perClass = 250): Promise<{ accuracy: number; perClass: number[] }> {
  let generator: tf.LayersModel | undefined;
  let discriminator: tf.LayersModel | undefined;
  let optimizers: tf.Optimizer[] = [];
  try {
    generator = toyConditionalGenerator(join);
    discriminator = toyConditionalDiscriminator();
    const gan = cganSpec({
      generator, discriminator, latentDim: RING.latentDim, numClasses: RING.modes,
      optimizers: { generator: () => adam(2e-3, 0.5), discriminator: () => adam(2e-3, 0.5) },
    });
    const result = await train({ gan, data: ringBatches(makeRandom(runSeed)), steps, batchSize: 64, seed: runSeed });
    optimizers = Object.values(result.optimizers);
    const g = generator;
    const hits = Array.from({ length: RING.modes }, (_, k) => {
      const xy = tf.tidy(() => {
        const z = tf.randomNormal([perClass, RING.latentDim], 0, 1, "float32", runSeed + 1000 + k);
        return (g.predict([z, tf.fill([perClass, 1], k, "int32")]) as tf.Tensor).dataSync();
      });
      let nearest = 0;
      for (let i = 0; i < perClass; i++) {
        const d2 = (c: number) => {
          const [cx, cy] = modeCentre(c);
          return (xy[2 * i] - cx) ** 2 + (xy[2 * i + 1] - cy) ** 2;
        };
        let best = 0;
        for (let c = 1; c < RING.modes; c++) if (d2(c) < d2(best)) best = c;
        if (best === k) nearest++;
      }
      return nearest / perClass;
    });
    return { accuracy: hits.reduce((a, b) => a + b, 0) / RING.modes, perClass: hits };
  } finally {
    optimizers.forEach((o) => o.dispose());
    generator?.dispose();
    discriminator?.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------------------

const cases: GradeCase<ConditionOnLabel>[] = [
  {
    name: "shape: [batch, k] for batch sizes 1, 5 and 32, with 3 and with 10 classes (features of width 6)",
    async run(fn) {
      for (const numClasses of [3, 10]) {
        await withJoin(fn, 6, numClasses, (model) => {
          const k = model.outputs[0].shape[1] as number;
          for (const batch of [1, 5, 32]) {
            const features = seededFeatures(batch, 6, batch);
            try {
              const ids = Array.from({ length: batch }, (_, i) => i % numClasses);
              const out = runJoin(model, features, ids);
              if (!tf.util.arraysEqual(out.shape, [batch, k])) {
                fail(`for ${batch} examples and ${numClasses} classes the output has shape [${out.shape}], expected [${batch}, ${k}] (one row per example)`);
              }
              expectFinite(out.values, `output for ${batch} examples, ${numClasses} classes (ids 0 … ${Math.min(batch, numClasses) - 1})`, "every id in [0, numClasses) must be a valid row of your code");
            } finally {
              features.dispose();
            }
          }
        });
      }
    },
  },
  {
    name: "the label matters: the same features with each of 5 classes give 5 different outputs",
    async run(fn) {
      await withJoin(fn, 6, 5, (model) => {
        const features = tf.tidy(() => tf.tile(seededFeatures(1, 6, 31), [5, 1]) as tf.Tensor2D);
        try {
          const { values } = runJoin(model, features, [0, 1, 2, 3, 4]);
          const k = values.length / 5;
          for (let a = 0; a < 5; a++) {
            for (let b = a + 1; b < 5; b++) {
              const gap = maxAbsDiff(row(values, k, a), row(values, k, b));
              if (!(gap > 1e-5)) {
                fail(`classes ${a} and ${b} give the same output (largest difference ${gap.toExponential(1)}): the output must depend on the label, or the generator cannot be asked for a class`);
              }
            }
          }
        } finally {
          features.dispose();
        }
      });
    },
  },
  {
    name: "the features matter: for every one of 5 classes, different features give different outputs",
    async run(fn) {
      await withJoin(fn, 6, 5, (model) => {
        const features = seededFeatures(10, 6, 32);
        try {
          // Rows 2c and 2c + 1: two feature vectors with class c.
          const { values } = runJoin(model, features, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
          const k = values.length / 10;
          for (let c = 0; c < 5; c++) {
            const gap = maxAbsDiff(row(values, k, 2 * c), row(values, k, 2 * c + 1));
            if (!(gap > 1e-5)) {
              fail(`with class ${c}, two different feature vectors give the same output (largest difference ${gap.toExponential(1)}): the noise z must still reach the generator for every class`);
            }
          }
        } finally {
          features.dispose();
        }
      });
    },
  },
  {
    name: "the label is a class id, not a number: the output is not an affine function of the id (class 2 is not \"twice\" class 1)",
    async run(fn) {
      await withJoin(fn, 6, 7, (model) => {
        // Three feature vectors, each with ids 0 … 3: for an affine use of y, out(y + 1) − out(y) is the same for every y.
        const base = seededFeatures(3, 6, 33);
        const features = tf.tidy(() => tf.reshape(tf.tile(base, [1, 4]), [12, 6]) as tf.Tensor2D);
        try {
          const { values } = runJoin(model, features, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
          const k = values.length / 12;
          let scale = 0;
          for (const v of values) scale = Math.max(scale, Math.abs(v));
          let curvature = 0;
          let change = 0;
          for (let f = 0; f < 3; f++) {
            const out = (y: number) => row(values, k, 4 * f + y);
            for (let y = 0; y < 3; y++) change = Math.max(change, maxAbsDiff(out(y + 1), out(y)));
            for (let y = 0; y < 2; y++) {
              for (let j = 0; j < k; j++) {
                curvature = Math.max(curvature, Math.abs(out(y + 2)[j] - 2 * out(y + 1)[j] + out(y)[j]));
              }
            }
          }
          if (!(change > 1e-5)) fail("the output does not change with the label at all");
          if (!(curvature > 1e-3 * scale)) {
            fail(
              `out(y + 1) − out(y) is the same for ids 0 → 1 → 2 → 3 (largest second difference ${curvature.toExponential(1)}, output scale ${scale.toFixed(3)}): ` +
                "the id is used as a number; a class id is a name, so give each class its own code (a one-hot row or a learned embedding)",
            );
          }
        } finally {
          tf.dispose([base, features]);
        }
      });
    },
  },
  {
    name: "a model built on it saves and loads back with the same outputs (tf.io, as checkpoints do)",
    async run(fn) {
      await withJoin(fn, 6, 4, async (model) => {
        let saved: tf.io.ModelArtifacts | undefined;
        try {
          await model.save(tf.io.withSaveHandler(async (artifacts) => {
            saved = artifacts;
            return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
          }));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          fail(`saving a model with your layers threw ${message.split("\n")[0]}: a layer class of your own needs getConfig() and tf.serialization.registerClass`);
        }
        let loaded: tf.LayersModel;
        try {
          loaded = await tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          fail(`loading the saved model threw ${message.split("\n")[0]}: a layer class of your own must be registered with tf.serialization.registerClass`);
        }
        const features = seededFeatures(4, 6, 34);
        try {
          const before = runJoin(model, features, [0, 1, 2, 3]);
          const after = runJoin(loaded, features, [0, 1, 2, 3]);
          const gap = maxAbsDiff(before.values, after.values);
          if (!(gap <= 1e-6)) fail(`the reloaded model's outputs differ by up to ${gap.toExponential(1)}: every weight your join uses must be a layer weight (created with the layer), not a tensor captured from outside`);
        } finally {
          features.dispose();
          loaded.dispose();
        }
      });
    },
  },
  {
    name: `training (cganSpec + train(), ${TRAINING_STEPS} steps): on 4 Gaussians with class k = mode k, asked for class k, at least ${100 * REQUIRED_ACCURACY} % of the samples land nearest mode k (chance: ${100 / RING.modes} %)`,
    points: 3,
    async run(fn) {
      let result: { accuracy: number; perClass: number[] };
      try {
        result = await trainToyCgan(fn, TRAINING_STEPS);
      } catch (error) {
        if (error instanceof CaseFailure) throw error;
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        fail(`building or training the conditional generator threw ${message.split("\n")[0]} (your join gets z [null, ${RING.latentDim}] and the label [null, 1] with ${RING.modes} classes)`);
      }
      const perClass = result.perClass.map((a) => `${(100 * a).toFixed(0)} %`).join(", ");
      if (!(result.accuracy >= REQUIRED_ACCURACY)) {
        fail(
          `${(100 * result.accuracy).toFixed(1)} % of the samples landed nearest the asked mode (per class ${perClass}); ` +
            `a generator that ignores the label gets ${100 / RING.modes} %: the trunk must be able to tell every class from your output`,
        );
      }
    },
  },
];

export const labelConditioningGrader: Grader<ConditionOnLabel> = {
  id: "label-conditioning",
  title: "Assignment 6: conditioning a generator on a class label",
  expects: "a function conditionOnLabel(features, label, numClasses) returning a tf.SymbolicTensor",
  validate: aFunction(),
  cases,
};
