/**
 * Files on every backend: durable writes, JSON with errors that name the file, and the model.json +
 * weights.bin layout of TensorFlow.js, written with plain `fs` (tfjs-node's `file://` handler does not exist
 * under wasm or cpu). Checkpoints (lib/train/checkpoint.ts) and the stored classifiers
 * (lib/metrics/classifier.ts) are both made of these.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";

/** Writes a file and flushes it to disk before returning, so a later rename never exposes a partial file. */
export function writeFileDurable(file: string, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const fd = fs.openSync(file, "w");
  try {
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Flushes a directory entry (a rename) where the platform allows it. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open directories; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Reads a JSON object, with an error naming the file when it is missing, truncated or not an object. */
export function readJson(file: string, what: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new Error(`${what}: ${file} not found.`);
  const text = fs.readFileSync(file, "utf8");
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object") throw new Error("not a JSON object");
    return value as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${what}: ${file} is not valid JSON (truncated or corrupt?): ${(err as Error).message}`);
  }
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** Bytes that `specs` describe, or null when quantized/string weights make that unknowable up front. */
function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const s of specs) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    if (s.quantization || BYTES_PER_ELEMENT[s.dtype] === undefined) return null;
    total += size * BYTES_PER_ELEMENT[s.dtype];
  }
  return total;
}

/** A model.json (or any JSON with a weights manifest) and the bytes of its weights. */
export interface WeightsFile {
  json: Record<string, unknown>;
  specs: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
  jsonPath: string;
  binPath: string;
}

/** Reads `dir/model.json` and the weight files it names, checking that their sizes agree. */
export function readWeightsDir(dir: string, what: string): WeightsFile {
  const jsonPath = path.join(dir, MODEL_JSON);
  const json = readJson(jsonPath, what);
  const manifest = json.weightsManifest as tf.io.WeightsManifestConfig | undefined;
  if (!Array.isArray(manifest)) throw new Error(`${what}: ${jsonPath} has no weightsManifest; it is not a model.json.`);
  const specs = manifest.flatMap((group) => group.weights);
  const paths = manifest.flatMap((group) => group.paths);
  const buffers: Buffer[] = [];
  let binPath = path.join(dir, WEIGHTS_BIN);
  for (const p of paths) {
    binPath = path.join(dir, p);
    if (!fs.existsSync(binPath)) throw new Error(`${what}: ${binPath} not found (named in ${jsonPath}).`);
    buffers.push(fs.readFileSync(binPath));
  }
  const joined = Buffer.concat(buffers);
  const expected = expectedBytes(specs);
  if (expected !== null && expected !== joined.length) {
    throw new Error(
      `${what}: ${binPath} holds ${joined.length} bytes but ${jsonPath} describes ${expected}; ` +
        "the checkpoint is truncated or corrupt. Resume from an earlier one.",
    );
  }
  const data = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.length) as ArrayBuffer;
  return { json, specs, data, jsonPath, binPath };
}

/** Writes `dir/weights.bin` and then `dir/model.json` (json plus the manifest), each flushed to disk. */
export function writeWeightsDir(
  dir: string, json: Record<string, unknown>, specs: tf.io.WeightsManifestEntry[], data: tf.io.WeightData,
): void {
  fs.mkdirSync(dir, { recursive: true });
  const bytes = new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
  writeFileDurable(path.join(dir, WEIGHTS_BIN), bytes);
  const manifest: tf.io.WeightsManifestConfig = [{ paths: [WEIGHTS_BIN], weights: specs }];
  writeFileDurable(path.join(dir, MODEL_JSON), JSON.stringify({ ...json, weightsManifest: manifest }));
}

/**
 * A `tf.io.IOHandler` that saves to and loads from a directory with plain `fs`: `model.json` and
 * `weights.bin`, the layout of tfjs-node's `file://` handler, so either can read what the other wrote.
 * `await model.save(fileSystem("out/generator"))`, `await tf.loadLayersModel(fileSystem("out/generator"))`.
 */
export function fileSystem(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const json: Record<string, unknown> = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: artifacts.convertedBy ?? null,
      };
      if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
      writeWeightsDir(dir, json, artifacts.weightSpecs ?? [], artifacts.weightData ?? new ArrayBuffer(0));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const { json, specs, data } = readWeightsDir(dir, "fileSystem.load");
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts["modelTopology"],
        format: json.format as string | undefined,
        generatedBy: json.generatedBy as string | undefined,
        convertedBy: (json.convertedBy as string | null | undefined) ?? undefined,
        trainingConfig: json.trainingConfig as tf.io.TrainingConfig | undefined,
        userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts["userDefinedMetadata"],
        weightSpecs: specs,
        weightData: data,
      };
    },
  };
}
