/**
 * `npm run data`: downloads the full MNIST (LeCun, Cortes & Burges) into data/mnist/, checking each file's size
 * and SHA-256 before it is moved into place (written to a temp file in the same directory, then renamed, so an
 * interrupted download never leaves a half file under the real name). Files already present with the right
 * hash are kept. Without internet it says so and explains how to put the files there by hand.
 *
 * Fashion-MNIST is not downloaded: on Debian/Ubuntu `apt-get install dataset-fashion-mnist` puts it in
 * /usr/share/datasets/fashion-mnist/, which `loadMnist({source: "fashion"})` reads.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

export interface DataFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** The four gzipped MNIST IDX files as published (same bytes on every mirror below). */
export const MNIST_FILES: readonly DataFile[] = Object.freeze([
  { name: "train-images-idx3-ubyte.gz", bytes: 9912422, sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609" },
  { name: "train-labels-idx1-ubyte.gz", bytes: 28881, sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c" },
  { name: "t10k-images-idx3-ubyte.gz", bytes: 1648877, sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6" },
  { name: "t10k-labels-idx1-ubyte.gz", bytes: 4542, sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6" },
]);

/** Mirrors tried in order (TensorFlow's, then PyTorch's; yann.lecun.com itself now often refuses). */
export const MNIST_MIRRORS: readonly string[] = Object.freeze([
  "https://storage.googleapis.com/cvdf-datasets/mnist/",
  "https://ossci-datasets.s3.amazonaws.com/mnist/",
]);

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

/** Throws unless `bytes` are exactly the expected file. */
export function verify(file: DataFile, bytes: Uint8Array, from: string): void {
  if (bytes.length !== file.bytes) {
    throw new Error(`${file.name} from ${from} has ${bytes.length} bytes, expected ${file.bytes}.`);
  }
  const actual = sha256(bytes);
  if (actual !== file.sha256) {
    throw new Error(`${file.name} from ${from} has SHA-256 ${actual}, expected ${file.sha256}.`);
  }
}

/** Writes `bytes` to `target` atomically: a temp file in the same directory, fsync, then rename. */
export function writeAtomic(target: string, bytes: Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // The .tsgan-tmp- prefix is git-ignored, so a download killed mid-write never shows up in `git status`.
  const temp = path.join(path.dirname(target), `.tsgan-tmp-${path.basename(target)}.${process.pid}`);
  try {
    const fd = fs.openSync(temp, "w");
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
}

/** True when `target` already holds the expected bytes. */
export function alreadyPresent(file: DataFile, target: string): boolean {
  if (!fs.existsSync(target) || fs.statSync(target).size !== file.bytes) return false;
  return sha256(fs.readFileSync(target)) === file.sha256;
}

export type Fetcher = (url: string) => Promise<Uint8Array>;

/** Node's global fetch (Node ≥ 18), as bytes; HTTP errors become exceptions. */
export const httpFetch: Fetcher = async (url) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
};

/**
 * Fetches one file from the first mirror that serves the right bytes and writes it atomically to dir.
 * Throws, listing every mirror's failure, when none does.
 */
export async function downloadFile(file: DataFile, dir: string, mirrors: readonly string[], fetcher: Fetcher = httpFetch): Promise<"kept" | "downloaded"> {
  const target = path.join(dir, file.name);
  if (alreadyPresent(file, target)) return "kept";
  const failures: string[] = [];
  for (const mirror of mirrors) {
    const url = mirror + file.name;
    try {
      const bytes = await fetcher(url);
      verify(file, bytes, url);
      writeAtomic(target, bytes);
      return "downloaded";
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      failures.push(`${url}: ${(err as Error).message}${cause?.code ? ` (${cause.code})` : ""}`);
    }
  }
  throw new Error(`could not get ${file.name}:\n  ${failures.join("\n  ")}`);
}

/** Downloads every file; returns the list of failures (empty on success). */
export async function downloadAll(dir: string, files: readonly DataFile[] = MNIST_FILES, mirrors: readonly string[] = MNIST_MIRRORS, fetcher: Fetcher = httpFetch, log: (line: string) => void = console.log): Promise<string[]> {
  const failures: string[] = [];
  for (const file of files) {
    try {
      const outcome = await downloadFile(file, dir, mirrors, fetcher);
      log(`${outcome === "kept" ? "ok (already there)" : "downloaded, SHA-256 ok"}  ${path.join(dir, file.name)}`);
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  return failures;
}

/** How to finish by hand, for the offline case. */
export function manualInstructions(dir: string, files: readonly DataFile[] = MNIST_FILES): string {
  return [
    `Could not download MNIST (offline, behind a proxy, or a mirror served wrong bytes). To install it by hand, copy these files`,
    `(gzipped as below, or gunzipped without .gz) into ${dir}:`,
    ...files.map((f) => `  ${f.name}  ${f.bytes} bytes  sha256 ${f.sha256}`),
    `from any MNIST mirror, e.g. ${MNIST_MIRRORS[0]}. Meanwhile loadMnist() with its default source "embedded" (10,000 digits) needs no download.`,
  ].join("\n");
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, "..", "..");
  const dir = path.join(root, "data", "mnist");
  const failures = await downloadAll(dir);
  if (failures.length > 0) {
    console.error(failures.join("\n"));
    console.error("\n" + manualInstructions(dir));
    process.exitCode = 1;
    return;
  }
  console.log(`MNIST is in ${dir}; load it with loadMnist({ source: "full" }).`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
