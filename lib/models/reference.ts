/**
 * Reference generators: generators the course trained once, for longer than a lesson's `quick` budget
 * allows, and stored in data/generators/<name>/ the way the judges are stored in data/classifiers/.
 *
 * On two CPU cores a DCGAN needs about an hour to draw digits a classifier can read; a lesson cannot ask a
 * reader to wait that long, but it can show what the chapter's networks reach with real training. So a
 * lesson trains its own short run live (the dynamics, the machinery) and loads the reference for what needs
 * a trained model (recognisable samples, latent walks, memorisation checks). The reference's quality is
 * never stored: the lesson scores it live with the stored classifier.
 *
 * Each directory holds
 *   model.json + weights.bin   the generator (tf.loadLayersModel format) of the run's last checkpoint, its
 *                              weights stored as float16 (tfjs's own `quantization: float16`, decoded on load):
 *                              half the bytes in the repository, and a relative change of at most 2^-11 per weight;
 *   meta.json                  how it was trained: variant, dataset, steps, batch size, seed, seconds, backend,
 *                              and the exact commands that rebuild it (ReferenceGeneratorMeta).
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { fileSystem, MODEL_JSON, readJson, WEIGHTS_BIN, writeFileDurable } from "../io/files";
import { packageRoot } from "../data/mnist";
import { latestCheckpoint, readCheckpointState } from "../train/checkpoint";

export const REFERENCE_GENERATOR_FORMAT = "tsgan-reference-generator";
export const REFERENCE_GENERATOR_VERSION = 1;
const META_JSON = "meta.json";

/** What a reference directory's meta.json holds. */
export interface ReferenceGeneratorMeta {
  format: typeof REFERENCE_GENERATOR_FORMAT;
  version: number;
  name: string;
  /** The registry variant (`tsgan list`) and dataset it was trained as. */
  variant: string;
  dataset: string;
  steps: number;
  batchSize: number;
  seed: number;
  /** Length of z. */
  latentDim: number;
  /** Classes the generator is conditioned on; 0 for an unconditional generator. */
  numClasses: number;
  /** The variant builder's options (registry.ts's VariantOptions). */
  variantOptions: Record<string, unknown>;
  parameters: number;
  /** How weights.bin stores the weights (float16: decoded to float32 on load). */
  precision: "float16" | "float32";
  /** Wall-clock seconds of training, as the run recorded them, and where. */
  trainingSeconds: number | null;
  backend: string;
  /** The commands that rebuild this directory: the training run, then storing its generator. */
  command: string;
  date: string;
  tsganVersion: string;
  tfjsVersion: string;
}

export interface ReferenceGenerator {
  name: string;
  meta: ReferenceGeneratorMeta;
  /** The generator: z ([n, latentDim]) → images, or [z, labels ([n, 1] int32)] → images when conditional. */
  generator: tf.LayersModel;
  conditional: boolean;
  /**
   * `n` samples in inference mode from seeded noise: z ~ N(0, I) from `seed`; for a conditional generator the
   * labels given (one class id per sample), or else drawn uniformly from the same seed. Returns [n, …] images
   * the caller disposes.
   */
  generate(n: number, options?: { seed?: number; labels?: ArrayLike<number> }): tf.Tensor;
  dispose(): void;
}

/** data/generators/ of the installed package (or `root`). */
export function referenceGeneratorDir(name: string, root: string = path.join(packageRoot(), "data", "generators")): string {
  return path.join(root, name);
}

/** The commands that (re)build a reference from a `tsgan train` run: recorded in meta.json, named in errors. */
export function referenceCommand(trainArgs: string, runDir: string, name: string): string {
  return `npx tsgan train ${trainArgs} --out ${runDir} && npm run store-generator -- ${runDir} ${name}`;
}

function checkMeta(meta: Record<string, unknown>, file: string): ReferenceGeneratorMeta {
  const missing = ["name", "variant", "dataset", "steps", "batchSize", "seed", "latentDim", "numClasses", "command"]
    .filter((k) => meta[k] === undefined);
  if (meta.format !== REFERENCE_GENERATOR_FORMAT || missing.length > 0) {
    throw new Error(
      `tsgan.loadReferenceGenerator: ${file} is not a tsgan reference generator's meta.json` +
        (missing.length > 0 ? ` (missing ${missing.join(", ")})` : ` (format ${String(meta.format)})`) +
        "; rebuild the directory with `npm run store-generator -- RUN_DIR NAME`.",
    );
  }
  if (meta.version !== REFERENCE_GENERATOR_VERSION) {
    throw new Error(`tsgan.loadReferenceGenerator: ${file} has version ${String(meta.version)}; this tsgan reads version ${REFERENCE_GENERATOR_VERSION}.`);
  }
  return meta as unknown as ReferenceGeneratorMeta;
}

/** The stored references (directory names under data/generators/). */
export function listReferenceGenerators(root: string = path.join(packageRoot(), "data", "generators")): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, META_JSON))).sort();
}

/**
 * Loads a stored reference generator (never trains one). `dir` overrides data/generators/<name>/. A missing
 * or incomplete directory is an error naming the stored ones and how to build one.
 */
export async function loadReferenceGenerator(name: string, dir?: string): Promise<ReferenceGenerator> {
  if (typeof name !== "string" || name === "" || /[\\/]/.test(name)) {
    throw new Error(`tsgan.loadReferenceGenerator: name must be a directory name under data/generators/, got ${JSON.stringify(name)}.`);
  }
  const where = dir ?? referenceGeneratorDir(name);
  const missing = [MODEL_JSON, WEIGHTS_BIN, META_JSON].filter((f) => !fs.existsSync(path.join(where, f)));
  if (missing.length > 0) {
    const stored = listReferenceGenerators();
    throw new Error(
      `tsgan.loadReferenceGenerator: no reference generator '${name}' in ${where} (missing ${missing.join(", ")}); ` +
        `the stored ones are ${stored.length > 0 ? stored.join(", ") : "none"}. data/generators/README.md gives the command that builds each.`,
    );
  }
  const file = path.join(where, META_JSON);
  const meta = checkMeta(readJson(file, "tsgan.loadReferenceGenerator"), file);
  const generator = await tf.loadLayersModel(fileSystem(where));
  const conditional = meta.numClasses > 0;
  const inputs = generator.inputs;
  if (inputs.length !== (conditional ? 2 : 1) || inputs[0].shape[1] !== meta.latentDim) {
    generator.dispose();
    throw new Error(
      `tsgan.loadReferenceGenerator: ${where}/model.json does not match its meta.json (inputs ` +
        `${inputs.map((i) => `[${i.shape}]`).join(", ")}; meta: latentDim ${meta.latentDim}, numClasses ${meta.numClasses}).`,
    );
  }
  return {
    name,
    meta,
    generator,
    conditional,
    generate: (n, options = {}) => generateFrom(generator, meta, n, options),
    dispose: () => generator.dispose(),
  };
}

function generateFrom(generator: tf.LayersModel, meta: ReferenceGeneratorMeta, n: number, options: { seed?: number; labels?: ArrayLike<number> }): tf.Tensor {
  if (!Number.isInteger(n) || n < 1) throw new Error(`ReferenceGenerator.generate: n must be a positive integer, got ${n}.`);
  const seed = options.seed ?? 0;
  const conditional = meta.numClasses > 0;
  if (options.labels !== undefined) {
    if (!conditional) throw new Error(`ReferenceGenerator.generate: '${meta.name}' is unconditional; leave out labels.`);
    if (options.labels.length !== n) throw new Error(`ReferenceGenerator.generate: ${options.labels.length} labels for ${n} samples.`);
    for (const l of Array.from(options.labels)) {
      if (!Number.isInteger(l) || l < 0 || l >= meta.numClasses) {
        throw new Error(`ReferenceGenerator.generate: labels must be class ids in [0, ${meta.numClasses}), got ${l}.`);
      }
    }
  }
  return tf.tidy(() => {
    const z = tf.randomNormal([n, meta.latentDim], 0, 1, "float32", seed);
    if (!conditional) return generator.apply(z, { training: false }) as tf.Tensor;
    const labels = options.labels !== undefined
      ? tf.tensor2d(Int32Array.from(options.labels), [n, 1], "int32")
      : tf.randomUniformInt([n, 1], 0, meta.numClasses, seed + 1);
    return generator.apply([z, labels], { training: false }) as tf.Tensor;
  });
}

/** What `storeReferenceGenerator` needs to know of the run beyond its checkpoint. */
export interface StoreReferenceOptions {
  name: string;
  variant: string;
  dataset: string;
  batchSize: number;
  variantOptions: Record<string, unknown>;
  latentDim: number;
  numClasses: number;
  trainingSeconds: number | null;
  backend: string;
  command: string;
  tsganVersion: string;
  /** How the weights are stored (default float16: half the size; float32 keeps the checkpoint's bits). */
  precision?: "float16" | "float32";
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The IEEE 754 half-precision bits nearest to `value` (round to nearest, ties to even; subnormals kept).
 * A finite value beyond the half range (±65504) is an error rather than a silent infinity.
 */
export function float16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const e = exponent - 127 + 15;
  let half: number;
  if (e <= 0) {
    if (e < -10) return sign; // below half of the smallest subnormal: ±0
    mantissa |= 0x800000;
    const shift = 14 - e;
    half = mantissa >> shift;
    const rest = mantissa & ((1 << shift) - 1), halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
  } else {
    half = (e << 10) | (mantissa >> 13);
    const rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++; // a carry into the exponent is right
  }
  if ((half & 0x7fff) >= 0x7c00) throw new Error(`float16Bits: ${value} is outside the float16 range (±65504).`);
  return sign | half;
}

/** weights.bin (float32, in manifest order) as float16, and the manifest that tells tfjs to decode it. */
function toFloat16(modelJson: ModelJson, weights: Buffer): { modelJson: ModelJson; weights: Uint8Array } {
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  if (specs.some((w) => w.dtype !== "float32" || w.quantization !== undefined)) {
    throw new Error("storeReferenceGenerator: float16 storage needs plain float32 weights; store with precision 'float32'.");
  }
  const values = new Float32Array(weights.buffer, weights.byteOffset, weights.byteLength / 4);
  const halves = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) halves[i] = float16Bits(values[i]);
  const manifest = modelJson.weightsManifest.map((g) => ({
    ...g, weights: g.weights.map((w) => ({ ...w, quantization: { dtype: "float16" as const } })),
  }));
  return { modelJson: { ...modelJson, weightsManifest: manifest }, weights: new Uint8Array(halves.buffer) };
}

interface ModelJson {
  weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string; quantization?: unknown }> }>;
  [key: string]: unknown;
}

/**
 * Copies the generator of the latest checkpoint in `checkpointDir` into `outDir` with its meta.json.
 * Model files first, meta.json last (written durably), so an interrupted store is never loaded as whole.
 */
export function storeReferenceGenerator(checkpointDir: string, outDir: string, options: StoreReferenceOptions): ReferenceGeneratorMeta {
  const checkpoint = latestCheckpoint(checkpointDir);
  const state = readCheckpointState(checkpoint);
  const source = path.join(checkpoint, "networks", "generator");
  for (const f of [MODEL_JSON, WEIGHTS_BIN]) {
    if (!fs.existsSync(path.join(source, f))) throw new Error(`storeReferenceGenerator: ${source} has no ${f}; is ${checkpointDir} a GAN run's checkpoints?`);
  }
  const original = JSON.parse(fs.readFileSync(path.join(source, MODEL_JSON), "utf8")) as ModelJson;
  const weights = fs.readFileSync(path.join(source, WEIGHTS_BIN));
  const parameters = original.weightsManifest.flatMap((g) => g.weights).reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  const precision = options.precision ?? "float16";
  const stored = precision === "float16" ? toFloat16(original, weights) : { modelJson: original, weights };
  fs.mkdirSync(outDir, { recursive: true });
  fs.rmSync(path.join(outDir, META_JSON), { force: true });
  writeFileDurable(path.join(outDir, MODEL_JSON), JSON.stringify(stored.modelJson));
  writeFileDurable(path.join(outDir, WEIGHTS_BIN), stored.weights);
  const meta: ReferenceGeneratorMeta = {
    format: REFERENCE_GENERATOR_FORMAT,
    version: REFERENCE_GENERATOR_VERSION,
    name: options.name,
    variant: options.variant,
    dataset: options.dataset,
    steps: state.step,
    batchSize: options.batchSize,
    seed: state.seed,
    latentDim: options.latentDim,
    numClasses: options.numClasses,
    variantOptions: options.variantOptions,
    parameters,
    precision,
    trainingSeconds: options.trainingSeconds,
    backend: options.backend,
    command: options.command,
    date: new Date().toISOString(),
    tsganVersion: options.tsganVersion,
    tfjsVersion: tf.version.tfjs,
  };
  writeFileDurable(path.join(outDir, META_JSON), JSON.stringify(meta, null, 2) + "\n");
  return meta;
}
