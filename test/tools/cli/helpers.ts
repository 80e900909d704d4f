/** Shared helpers of the command-line tests: the compiled CLI run as a child process, temporary folders, files. */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The project root, found from build/test/tools/cli or test/tools/cli. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return dir;
}

/** The compiled CLI, as package.json's bin names it. */
export const CLI = path.join(projectRoot(), "build", "tools", "cli", "tsgan.js");

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tsgan-${prefix}-`));
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** Called with each chunk of stderr as it comes, and the child (to signal it). */
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
  timeoutMs?: number;
}

/** Runs `node build/tools/cli/tsgan.js ...args` and resolves when it exits (it is killed after timeoutMs). */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? os.tmpdir(),
      env: { ...process.env, TSGAN_DEBUG: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    child.stderr.setEncoding("utf8").on("data", (t: string) => {
      stderr += t;
      options.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Fails with the child's output when it did not exit with `code`. */
export function expectExit(result: CliResult, code: number, what: string): void {
  if (result.code !== code) {
    throw new Error(`${what}: exit ${result.code} (signal ${result.signal}), want ${code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

/** Width and height of a PNG, from its IHDR chunk; throws when the file is not a PNG. */
export function pngSize(file: string): { width: number; height: number } {
  const bytes = fs.readFileSync(file);
  if (bytes.subarray(0, 8).toString("hex") !== "89504e470d0a1a0a") throw new Error(`${file} is not a PNG`);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The step the latest checkpoint of a run folder holds. */
export function checkpointStep(run: string): number {
  return readJson<{ step: number }>(path.join(run, "checkpoints", "latest.json")).step;
}

/**
 * The weights of the latest checkpoint's networks and optimizer slots (each weights.bin), by relative path:
 * what must be equal, bit for bit, between two runs that are the same run. (model.json is left out: it names
 * layers, and names hold counters of the process that built them.)
 */
export function checkpointFiles(run: string): Record<string, Buffer> {
  const latest = readJson<{ checkpoint: string }>(path.join(run, "checkpoints", "latest.json")).checkpoint;
  const root = path.join(run, "checkpoints", latest);
  const out: Record<string, Buffer> = {};
  for (const kind of ["networks", "optimizers"]) {
    for (const name of fs.readdirSync(path.join(root, kind))) {
      out[`${kind}/${name}`] = fs.readFileSync(path.join(root, kind, name, "weights.bin"));
    }
  }
  return out;
}
