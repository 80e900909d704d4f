/**
 * `npm run train-classifier -- --dataset mnist|fashion-mnist [--source embedded|full] [--epochs N]
 *   [--batch-size N] [--seed N] [--out DIR]`
 *
 * Trains the evaluation classifier of lib/metrics/classifier.ts once and stores it in data/classifiers/<name>/
 * (model.json + weights.bin + meta.json). The metrics load that checkpoint and never retrain.
 *
 * Data:
 * - mnist, source 'embedded' (the default when data/mnist/ is absent): the 10,000 digits of the `mnist` package,
 *   8,000 trained on and 2,000 held out (`embeddedMnistSplit`); the held-out accuracy must reach 97 %.
 * - mnist, source 'full' (the default when data/mnist/ holds the IDX files): LeCun's 60,000 train digits, the
 *   10,000 test digits for the accuracy, which must reach 99 %.
 * - fashion-mnist: Fashion-MNIST's train split, accuracy on its test split (reported; ~90 % expected).
 * Exits non-zero, writing nothing, when the required accuracy is not reached.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { ready } from "../lib/engine/backend";
import { seed } from "../lib/engine/seed";
import { loadMnist, packageRoot } from "../lib/data/mnist";
import { fileSystem } from "../lib/io/files";
import {
  CLASSIFIER_NAMES, ClassifierMeta, ClassifierName, EMBEDDED_SPLIT_DESCRIPTION, accuracyOf, buildClassifier,
  classifierDir, classifierOutputs, embeddedMnistSplit, selectRows,
} from "../lib/metrics/classifier";

interface Options {
  dataset: ClassifierName;
  source: "embedded" | "full" | "fashion";
  epochs: number;
  batchSize: number;
  seed: number;
  out: string;
}

const DEFAULT_EPOCHS: Record<string, number> = { embedded: 6, full: 3, fashion: 3 };
/** The accuracy a classifier must reach to be stored (null: report only). */
const REQUIRED_ACCURACY: Record<string, number | null> = { embedded: 0.97, full: 0.99, fashion: null };

function usage(problem: string): never {
  throw new Error(
    `train-classifier: ${problem}\nusage: npm run train-classifier -- --dataset mnist|fashion-mnist ` +
      "[--source embedded|full] [--epochs N] [--batch-size N] [--seed N] [--out DIR]",
  );
}

function parseArgs(argv: string[]): Options {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) usage(`unexpected argument '${a}'.`);
    const eq = a.indexOf("=");
    if (eq > 0) values[a.slice(2, eq)] = a.slice(eq + 1);
    else if (i + 1 < argv.length) values[a.slice(2)] = argv[++i];
    else usage(`${a} needs a value.`);
  }
  const known = ["dataset", "source", "epochs", "batch-size", "seed", "out"];
  for (const k of Object.keys(values)) if (!known.includes(k)) usage(`unknown option --${k}.`);
  const dataset = values.dataset as ClassifierName;
  if (!(CLASSIFIER_NAMES as readonly string[]).includes(dataset)) usage(`--dataset must be one of ${CLASSIFIER_NAMES.join(", ")}.`);
  let source: Options["source"];
  if (dataset === "fashion-mnist") {
    if (values.source !== undefined && values.source !== "fashion") usage("--source applies to mnist only.");
    source = "fashion";
  } else {
    const fullPresent = fs.existsSync(path.join(packageRoot(), "data", "mnist", "train-images-idx3-ubyte.gz"))
      || fs.existsSync(path.join(packageRoot(), "data", "mnist", "train-images-idx3-ubyte"));
    source = (values.source ?? (fullPresent ? "full" : "embedded")) as Options["source"];
    if (source !== "embedded" && source !== "full") usage("--source must be 'embedded' or 'full'.");
  }
  const int = (key: string, fallback: number) => {
    const v = values[key] === undefined ? fallback : Number(values[key]);
    if (!Number.isInteger(v) || v < 0) usage(`--${key} must be a non-negative integer, got '${values[key]}'.`);
    return v;
  };
  return {
    dataset,
    source,
    epochs: int("epochs", DEFAULT_EPOCHS[source]),
    batchSize: int("batch-size", 64),
    seed: int("seed", 1),
    out: values.out ?? classifierDir(dataset),
  };
}

interface Split {
  train: { images: Float32Array; labels: Uint8Array };
  evaluation: { images: Float32Array; labels: Uint8Array };
  description: string;
}

function loadSplit(source: Options["source"]): Split {
  if (source === "embedded") {
    const all = loadMnist({ source: "embedded" });
    const { train, heldOut } = embeddedMnistSplit(all.count);
    return { train: selectRows(all, train), evaluation: selectRows(all, heldOut), description: EMBEDDED_SPLIT_DESCRIPTION };
  }
  const train = loadMnist({ source, split: "train" });
  const test = loadMnist({ source, split: "test" });
  const name = source === "full" ? "MNIST" : "Fashion-MNIST";
  return {
    train, evaluation: test,
    description: `${name}: trained on the ${train.count} train images, accuracy on the ${test.count} test images`,
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const engine = await ready();
  seed(options.seed);
  const split = loadSplit(options.source);
  const trainCount = split.train.labels.length;
  console.log(`train-classifier: ${options.dataset} (${split.description}); backend ${engine.choice}; ` +
    `${options.epochs} epochs of batch ${options.batchSize}, seed ${options.seed}`);

  const model = buildClassifier();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  const x = tf.tensor4d(split.train.images, [trainCount, 28, 28, 1]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(split.train.labels), "int32"), 10).toFloat());
  const started = Date.now();
  await model.fit(x, y, {
    epochs: options.epochs,
    batchSize: options.batchSize,
    shuffle: true, // tf.util.shuffle draws from Math.random, which seed() made deterministic
    verbose: 0,
    callbacks: {
      onEpochEnd: async (epoch, logs) => {
        console.log(`  epoch ${epoch + 1}/${options.epochs}: loss ${logs?.loss.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      },
    },
  });
  const trainingSeconds = (Date.now() - started) / 1000;
  tf.dispose([x, y]);

  const accuracy = accuracyOf(classifierOutputs(model, split.evaluation.images).probabilities, split.evaluation.labels);
  console.log(`train-classifier: accuracy ${(accuracy * 100).toFixed(2)} % on ${split.evaluation.labels.length} images, ${trainingSeconds.toFixed(0)} s`);
  const required = REQUIRED_ACCURACY[options.source];
  if (required !== null && accuracy < required) {
    throw new Error(`train-classifier: accuracy ${(accuracy * 100).toFixed(2)} % is below the required ${required * 100} %; nothing stored. Train longer (--epochs).`);
  }

  const command = `npm run train-classifier -- --dataset ${options.dataset}` +
    (options.dataset === "mnist" ? ` --source ${options.source}` : "") +
    ` --epochs ${options.epochs} --batch-size ${options.batchSize} --seed ${options.seed}`;
  const meta: ClassifierMeta = {
    name: options.dataset,
    source: options.source,
    split: split.description,
    trainExamples: trainCount,
    evaluationExamples: split.evaluation.labels.length,
    accuracy,
    epochs: options.epochs,
    batchSize: options.batchSize,
    seed: options.seed,
    backend: engine.choice,
    command: `TSGAN_BACKEND=${engine.choice} ${command}`,
    trainingSeconds: Math.round(trainingSeconds),
    date: new Date().toISOString(),
    tfjsVersion: tf.version.tfjs,
  };
  // Model first, meta last: loadClassifier needs all three files, so an interrupted save is never taken as whole.
  fs.mkdirSync(options.out, { recursive: true });
  fs.rmSync(path.join(options.out, "meta.json"), { force: true });
  await model.save(fileSystem(options.out));
  fs.writeFileSync(path.join(options.out, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
  const bytes = fs.statSync(path.join(options.out, "weights.bin")).size;
  console.log(`train-classifier: stored ${options.out} (weights ${(bytes / 1024).toFixed(0)} KiB)`);
  model.dispose();
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
