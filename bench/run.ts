/**
 * `npm run bench`: training steps per second of the book chapter's GANs on the active tsgan backend, side by
 * side with the same networks, batch, optimisers and step in PyTorch (bench/torch_gan.py) when a Python
 * with torch is found.
 *
 *   npm run bench -- --models vanilla,dcgan,cgan,acgan --seconds 20 [--rounds 3] [--torch-threads 1,2]
 *                    [--batch 64] [--no-torch] [--python PATH] [--out out/bench.json]
 *
 * A step is one step (round) of the course's one training loop (`train` in lib/train): one discriminator update
 * and one generator update with the loop's default Adam(2e-4, β1 0.5) — for WGAN-GP and SN-GAN five critic
 * updates and one generator update with their own optimizers; for the games of three networks, BiGAN and
 * VAE-GAN, one update of each of their players in the game's order with the game's own optimizers — including
 * what the loop does around them (gradient norms, reading the losses back, history). Real images are random
 * tensors uniform in [-1, 1] of MNIST's shape (28×28×1), not MNIST itself: speed does not depend on the
 * pixel values, and the benchmark then needs no data files. Two rows are on 2-D points (random, uniform in
 * [-1, 1]²) with the batch of their own setting, whatever `--batch` says: `toy-gan`, lesson 04's ring/grid GAN
 * (mlpGanSpec, 2→64→64→2 and 2→64→64→1, LeakyReLU, batch 100, Adam(1e-3, β1 0.5)), and `wgan-gp-toy`, the
 * reference gan_toy.py's WGAN-GP (ReLU MLPs 2→512→512→512→2 and →1, batch 256, λ 0.1, 5 critic updates,
 * Adam(1e-4, 0.5, 0.9)). Warm-up steps (kernel compilation, optimiser
 * slot creation) are excluded on both sides; then steps run for `--seconds` (one measurement's budget).
 *
 * Interleaved rounds: for each of `--rounds` rounds and each model, tsgan is measured, then PyTorch at each
 * `--torch-threads` count, each in a fresh Python process — tsgan, PyTorch 1, PyTorch 2, tsgan, … — so
 * a slow spell of the machine falls on both sides. The table gives per side the median steps/s over the
 * rounds and their min–max, and the ratio of the medians, tsgan over PyTorch's best thread count (named).
 * tsgan runs on the threads its wasm build was loaded with (TSGAN_WASM_THREADS, default the machine's cores;
 * lib/engine/wasm-threads.ts), named in the table; to compare thread counts, run the bench once per value.
 * The JSON also has each measurement's CPU time over wall time (about 1 for one busy thread; idle pthreads
 * spin a while after each kernel, so the threaded build shows more CPU than it uses for work).
 *
 * PyTorch's process alone gets its own environment: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed (where
 * they are set they pin OpenBLAS's kernel choice to another CPU model; they stay as they are for tsgan,
 * the tests and CI), and OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS set to the thread count
 * (torch.set_num_threads alone leaves OpenBLAS's own pthread pool at one thread per core). torch_gan.py
 * reports the BLAS it then runs (OpenBLAS's corename, config and thread count, torch's build), printed under
 * the table. Leaked tensors per step = growth of tf.memory().numTensors over the timed steps divided by
 * their number; it must be 0 in every round (exit code 1 otherwise). `--out` keeps every round's numbers.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { ready } from "../lib/engine/backend";
import { wasmBuild } from "../lib/engine/wasm-threads";
import { seed } from "../lib/engine/seed";
import { train } from "../lib/train/loop";
import { isGame, type GanSpec } from "../lib/train/gan-spec";
import { trainableVariables, type Game, type Network } from "../lib/train/types";
import { DEFAULT_MODELS, MODELS, benchBatches } from "./models";
import { tableMarkdown } from "../lib/plots/table";

/** The real batch of a row: its own (the toy rows), else `--batch`. */
function batchOf(name: string, opts: Options): number {
  return MODELS[name].batch ?? opts.batch;
}

/** " (toy-gan 100, wgan-gp-toy 256)": the chosen rows that keep their own batch, or "". */
function ownBatches(opts: Options): string {
  const own = opts.models.filter((m) => MODELS[m].batch !== undefined);
  return own.length ? ` (${own.map((m) => `${m} ${MODELS[m].batch}`).join(", ")})` : "";
}

const DEFAULT_TORCH_THREADS = [1, 2];
const DEFAULT_ROUNDS = 3;
/** Removed from the PyTorch process's environment only: they pin OpenBLAS's kernels and cache size. */
const BLAS_OVERRIDES = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"] as const;
/** Set to the thread count in the PyTorch process's environment (read when each library loads). */
const THREAD_VARIABLES = ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] as const;

interface Options {
  models: string[];
  seconds: number;
  rounds: number;
  batch: number;
  torch: boolean;
  python: string | null;
  torchThreads: number[];
  out: string;
}

const USAGE =
  "npm run bench -- [--models " + Object.keys(MODELS).join(",") + "] [--seconds 20] [--rounds 3] [--torch-threads 1,2] " +
  "[--batch 64 (the toy rows keep their own)] [--no-torch] [--python PATH] [--out out/bench.json]";

function parseArgs(argv: string[]): Options {
  const o: Options = {
    models: [...DEFAULT_MODELS], seconds: 20, rounds: DEFAULT_ROUNDS, batch: 64, torch: true, python: null,
    torchThreads: [...DEFAULT_TORCH_THREADS], out: "out/bench.json",
  };
  const value = (i: number, flag: string): string => {
    if (i >= argv.length) throw new Error(`bench: ${flag} needs a value.`);
    return argv[i];
  };
  const positive = (s: string, flag: string, integer: boolean): number => {
    const n = Number(s);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new Error(`bench: ${flag} must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(s)}.`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const next = (): string => (inline !== undefined ? inline : value(++i, flag));
    switch (flag) {
      case "--models": o.models = next().split(",").map((s) => s.trim()).filter(Boolean); break;
      case "--seconds": o.seconds = positive(next(), flag, false); break;
      case "--rounds": o.rounds = positive(next(), flag, true); break;
      case "--batch": o.batch = positive(next(), flag, true); break;
      case "--no-torch": o.torch = false; break;
      case "--python": o.python = next(); break;
      case "--torch-threads": {
        const counts = next().split(",").map((s) => s.trim()).filter(Boolean).map((s) => positive(s, flag, true));
        if (counts.length === 0) throw new Error(`bench: ${flag} needs one or more thread counts, e.g. 1,2.`);
        o.torchThreads = [...new Set(counts)];
        break;
      }
      case "--out": o.out = next(); break;
      case "--help": case "-h":
        console.log(USAGE);
        process.exit(0);
      default:
        throw new Error(`bench: unknown option ${argv[i]}. Options: --models, --seconds, --rounds, --torch-threads, --batch, --no-torch, --python, --out.`);
    }
  }
  const unknown = o.models.filter((m) => !(m in MODELS));
  if (unknown.length > 0 || o.models.length === 0) {
    throw new Error(`bench: unknown model(s) ${JSON.stringify(unknown)}; choose from ${Object.keys(MODELS).join(", ")}.`);
  }
  return o;
}

/** One timed measurement of one model on tsgan (one round). */
export interface TsganResult {
  stepsPerSecond: number | null;
  steps: number;
  /** Wall time of the timed steps. */
  seconds: number | null;
  /** The process's CPU time (all threads) over the timed steps' wall time: about 1 for one busy thread. */
  cpuPerWall: number | null;
  warmupSteps: number;
  leakedTensorsPerStep: number | null;
  /**
   * Trainable parameters per network, under the game's network names: `generator` and `discriminator` for a
   * GanSpec; `encoder`, `generator`, `discriminator` for BiGAN; `encoder`, `decoder`, `discriminator` for VAE-GAN.
   */
  params: Record<string, number>;
  /** Each player's loss in the last timed step, by player name. */
  lastLosses: Record<string, number> | null;
  error: string | null;
}

/** A GanSpec's or a Game's networks by name (a GanSpec's are its generator and discriminator). */
function networksOf(gan: GanSpec | Game): Record<string, Network> {
  return isGame(gan) ? gan.networks : { generator: gan.generator, discriminator: gan.discriminator };
}

function trainableCount(network: Network, name: string): number {
  return trainableVariables(network, `network "${name}"`).reduce((n, v) => n + v.size, 0);
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Times `train()` on one model on the active backend. Never throws: a failure is reported in `error`.
 * A callback counts steps: the first ones (at least one, and min(3 s, a tenth of the budget)) are warm-up
 * (kernel compilation, optimiser slots); then the budget is timed, at least 2 steps, and the callback stops
 * the loop. The loop reads the losses back every step, which keeps the timing honest on asynchronous
 * backends (webgl, CUDA) too.
 */
async function benchTsgan(name: string, opts: Options): Promise<TsganResult> {
  seed(1234);
  const model = MODELS[name];
  const gan = model.gan();
  const networks = networksOf(gan);
  const result: TsganResult = {
    stepsPerSecond: null,
    steps: 0,
    seconds: null,
    cpuPerWall: null,
    warmupSteps: 0,
    leakedTensorsPerStep: null,
    params: Object.fromEntries(Object.entries(networks).map(([n, net]) => [n, trainableCount(net, n)])),
    lastLosses: null,
    error: null,
  };
  const batch = batchOf(name, opts);
  const real = benchBatches(model, batch);
  const data = real.data;
  const warmupMs = Math.min(3000, opts.seconds * 100);
  let w0 = 0;
  let t0 = 0;
  let cpu0 = 0;
  let tensorsBefore = 0;
  let timing = false;
  let optimizers: tf.Optimizer[] = [];
  try {
    const run = await train({
      gan, data, steps: Number.MAX_SAFE_INTEGER, batchSize: batch, historyEvery: 1_000_000,
      callbacks: [{
        onTrainBegin: () => { w0 = performance.now(); },
        onStepEnd: (log, state) => {
          const now = performance.now();
          if (!timing) {
            result.warmupSteps++;
            if (now - w0 >= warmupMs) {
              timing = true;
              tensorsBefore = tf.memory().numTensors;
              cpu0 = cpuMs();
              t0 = performance.now();
            }
            return;
          }
          result.steps++;
          result.lastLosses = Object.fromEntries(Object.entries(log.players).map(([player, p]) => [player, p.loss]));
          if (result.steps >= 2 && now - t0 >= opts.seconds * 1000) {
            result.seconds = (now - t0) / 1000;
            result.stepsPerSecond = result.steps / result.seconds;
            result.cpuPerWall = (cpuMs() - cpu0) / (now - t0);
            result.leakedTensorsPerStep = (tf.memory().numTensors - tensorsBefore) / result.steps;
            state.stop();
          }
        },
      }],
    });
    optimizers = Object.values(run.optimizers);
  } catch (err) {
    result.error = ((err as Error).message || String(err)).split("\n")[0];
  } finally {
    optimizers.forEach((o) => o.dispose());
    real.dispose();
    // Every benchmarked network is a tf.LayersModel.
    for (const net of Object.values(networks)) (net as unknown as tf.LayersModel).dispose();
  }
  return result;
}

/** One model's figures in one torch_gan.py run. */
interface TorchMeasurement {
  steps_per_s: number | null;
  steps: number;
  seconds?: number;
  cpu_per_wall?: number;
  params: Record<string, number> | null;
  error: string | null;
}

/** torch_gan.py's report (its last stdout line), plus the interpreter that ran it. */
interface TorchReport {
  python: string;
  torch: string;
  threads: number;
  interop_threads: number;
  blas: { library: string | null; corename: string | null; config: string | null; num_threads: number | null; parallel: string | number | null };
  threadpoolctl: unknown[] | null;
  torch_build: { blas_info: string | null; lapack_info: string | null; cpu_capability: string | null; parallel_backend: string | null };
  /** The child's own view of OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE and the thread variables (null = unset). */
  env: Record<string, string | null>;
  results: Record<string, TorchMeasurement>;
}

/**
 * The PyTorch process's environment: this process's, less OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, with the
 * OpenBLAS, OpenMP and MKL thread counts set to `threads`. Nothing else (tsgan, tests, CI) is changed.
 */
function torchEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const v of BLAS_OVERRIDES) delete env[v];
  for (const v of THREAD_VARIABLES) env[v] = String(threads);
  return env;
}

/** The first interpreter that can import torch (in PyTorch's environment): `python3` on PATH, then Debian's `/usr/bin/python3`. */
function findTorchPython(explicit: string | null): { python: string | null; tried: string[] } {
  const candidates = explicit ? [explicit] : ["python3", "/usr/bin/python3"];
  for (const py of candidates) {
    const r = spawnSync(py, ["-c", "import torch"], { stdio: "ignore", timeout: 60000, env: torchEnv(1) });
    if (r.status === 0) return { python: py, tried: candidates };
  }
  return { python: null, tried: candidates };
}

/** One fresh torch_gan.py process: one model at one thread count. Never throws. */
function runTorch(python: string, model: string, threads: number, opts: Options): TorchReport | { error: string } {
  const script = path.resolve(__dirname, "..", "..", "bench", "torch_gan.py");
  const args = [script, "--models", model, "--seconds", String(opts.seconds), "--batch", String(batchOf(model, opts)), "--threads", String(threads)];
  const r = spawnSync(python, args, {
    encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: torchEnv(threads), timeout: (opts.seconds + 180) * 1000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const lastLine = (r.stdout || "").trim().split("\n").pop() || "";
  if (r.status !== 0) {
    const why = (r.stderr || String(r.error ?? "")).trim().split("\n").slice(-3).join(" | ");
    return { error: `${path.basename(script)} --threads ${threads} exited with ${r.status ?? r.signal}: ${why.slice(0, 300)}` };
  }
  try {
    return { python, ...JSON.parse(lastLine) } as TorchReport;
  } catch {
    return { error: `could not parse the PyTorch output: ${lastLine.slice(0, 200)}` };
  }
}

function cpuModel(): string {
  try {
    const line = fs.readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
    if (line) return line.split(":").slice(1).join(":").trim();
  } catch {
    /* not Linux: fall back to Node's view */
  }
  return os.cpus()[0]?.model ?? "unknown CPU";
}

/** The x86 vector extensions that decide OpenBLAS's kernels, as /proc/cpuinfo lists them (null elsewhere). */
function cpuSimd(): string | null {
  try {
    const line = fs.readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags"));
    if (!line) return null;
    const flags = new Set(line.split(":")[1].trim().split(/\s+/));
    const shown = ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16"].filter((f) => flags.has(f));
    return shown.join(" ") + (flags.has("avx512f") ? "" : " (no AVX-512)");
  } catch {
    return null;
  }
}

/** tsgan's compute threads on this backend: on wasm, the build lib/engine/wasm-threads.ts loaded. */
function tsganThreads(backend: string): string {
  if (backend === "cpu") return "1";
  if (backend !== "wasm") return "the backend's own";
  return String(wasmBuild().threads);
}

function fmt(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined ? "—" : x.toFixed(digits);
}

interface Summary { median: number | null; min: number | null; max: number | null; ok: number; of: number }

/** Median and min–max of the rounds that produced a number; `ok` of `of` rounds did. */
function summarize(values: (number | null)[]): Summary {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  const n = v.length;
  const median = n === 0 ? null : n % 2 === 1 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return { median, min: n ? v[0] : null, max: n ? v[n - 1] : null, ok: n, of: values.length };
}

/** "13.18 (12.90–13.50)", "13.18" for one round; "[2 of 3 rounds]" when some failed; the first error when all did. */
function summaryCell(s: Summary, firstError: string | null): string {
  if (s.median === null) return firstError ? `error: ${firstError.slice(0, 80)}` : "—";
  const spread = s.ok > 1 ? ` (${fmt(s.min)}–${fmt(s.max)})` : "";
  return fmt(s.median) + spread + (s.ok < s.of ? ` [${s.ok} of ${s.of} rounds]` : "");
}

const threadsLabel = (n: number) => `${n} thread${n === 1 ? "" : "s"}`;

interface TorchRound {
  round: number;
  steps_per_s: number | null;
  steps: number;
  seconds: number | null;
  cpu_per_wall: number | null;
  /** What the child's OpenBLAS said: its kernel and its thread count. */
  openblas_corename: string | null;
  openblas_threads: number | null;
  error: string | null;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const engine = await ready();
  const backend = engine.choice;
  const tfjsVersion = tf.version.tfjs;
  const tsThreads = tsganThreads(backend);
  console.log(
    `bench: models ${opts.models.join(", ")}; batch ${opts.batch}${ownBatches(opts)}; ~${opts.seconds} s per measurement; ${opts.rounds} round(s), ` +
      `interleaved tsgan / PyTorch${opts.torch ? ` (${opts.torchThreads.map(threadsLabel).join(", ")})` : ""}; ` +
      `real data: random [-1, 1] tensors of MNIST shape${opts.models.some((m) => MODELS[m].dataShape) ? " (toy rows: random 2-D points in [-1, 1]²)" : ""}`,
  );

  let python: string | null = null;
  let torchNote = "";
  if (!opts.torch) {
    torchNote = "PyTorch skipped (--no-torch)";
  } else {
    const found = findTorchPython(opts.python);
    python = found.python;
    if (!python) torchNote = `PyTorch was not found (tried ${found.tried.join(", ")}: none can import torch)`;
    else console.log(`PyTorch via ${python}, a fresh process per (round, model, thread count)`);
  }
  if (torchNote) console.log(torchNote);
  const threadCounts = python ? opts.torchThreads : [];

  const tsganRounds: Record<string, TsganResult[]> = Object.fromEntries(opts.models.map((m) => [m, []]));
  const torchRounds: Record<string, Record<number, TorchRound[]>> =
    Object.fromEntries(opts.models.map((m) => [m, Object.fromEntries(threadCounts.map((n) => [n, []]))]));
  const torchParams: Record<string, Record<string, number> | null> = Object.fromEntries(opts.models.map((m) => [m, null]));
  let firstReport: TorchReport | null = null;
  const corenames = new Set<string>();
  const warnings: string[] = [];

  for (let round = 1; round <= opts.rounds; round++) {
    console.log(`round ${round}/${opts.rounds}`);
    for (const name of opts.models) {
      process.stdout.write(`  ${name}: tsgan (${backend}) `);
      const r = await benchTsgan(name, opts);
      tsganRounds[name].push(r);
      process.stdout.write(r.error ? `failed: ${r.error}` : `${fmt(r.stepsPerSecond)} steps/s (${r.steps} steps, cpu/wall ${fmt(r.cpuPerWall)})`);
      for (const n of threadCounts) {
        const t = runTorch(python!, name, n, opts);
        let entry: TorchRound;
        if ("error" in t) {
          entry = { round, steps_per_s: null, steps: 0, seconds: null, cpu_per_wall: null, openblas_corename: null, openblas_threads: null, error: t.error };
        } else {
          firstReport ??= t;
          if (t.blas?.corename) corenames.add(t.blas.corename);
          const m = t.results[name];
          entry = {
            round, steps_per_s: m?.steps_per_s ?? null, steps: m?.steps ?? 0, seconds: m?.seconds ?? null, cpu_per_wall: m?.cpu_per_wall ?? null,
            openblas_corename: t.blas?.corename ?? null, openblas_threads: t.blas?.num_threads ?? null, error: m ? m.error : `no result for ${name}`,
          };
          if (m?.params) torchParams[name] ??= m.params;
          // The child must have run as told: no CPU-model override, and OpenBLAS at the requested thread count.
          for (const v of BLAS_OVERRIDES) if (t.env?.[v] != null) warnings.push(`PyTorch's process still had ${v}=${t.env[v]}`);
          if (t.blas?.num_threads != null && t.blas.num_threads !== n) {
            warnings.push(`${name} round ${round}: asked PyTorch for ${threadsLabel(n)}, its OpenBLAS reports ${t.blas.num_threads}`);
          }
        }
        torchRounds[name][n].push(entry);
        process.stdout.write(entry.error
          ? `; PyTorch ${threadsLabel(n)} failed: ${entry.error.slice(0, 200)}`
          : `; PyTorch ${threadsLabel(n)} ${fmt(entry.steps_per_s)} (cpu/wall ${fmt(entry.cpu_per_wall)})`);
      }
      process.stdout.write("\n");
    }
  }
  const allTorchFailed = python !== null && firstReport === null;
  if (allTorchFailed) torchNote = "PyTorch failed in every measurement (see the errors above)";

  const showTorch = threadCounts.length > 0;
  const header = [
    "model",
    `tsgan steps/s (${backend}, ${tsThreads === "1" ? "1 thread" : `${tsThreads} threads`}): median (min–max)`,
    ...(showTorch ? threadCounts.map((n) => `PyTorch ${threadsLabel(n)}: median (min–max)`) : []),
    ...(showTorch ? ["ratio tsgan / best PyTorch (which)"] : []),
    "leaked tensors/step",
  ];
  const rows: string[][] = [];
  const jsonRows = opts.models.map((name) => {
    const ts = tsganRounds[name];
    const tsSummary = summarize(ts.map((r) => r.stepsPerSecond));
    const tsError = ts.find((r) => r.error)?.error ?? null;
    const leaks = ts.map((r) => r.leakedTensorsPerStep).filter((x): x is number => x !== null);
    const leaked = leaks.length ? leaks.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a)) : null;
    const torchByThreads = Object.fromEntries(threadCounts.map((n) => {
      const rs = torchRounds[name][n];
      return [String(n), { ...summarize(rs.map((r) => r.steps_per_s)), rounds: rs }];
    }));
    let best: number | null = null;
    for (const n of threadCounts) {
      const m = torchByThreads[String(n)].median;
      if (m !== null && (best === null || m > torchByThreads[String(best)].median!)) best = n;
    }
    const bestMedian = best === null ? null : torchByThreads[String(best)].median;
    const ratio = tsSummary.median !== null && bestMedian ? tsSummary.median / bestMedian : null;
    const torchError = showTorch && best === null
      ? threadCounts.map((n) => torchRounds[name][n].find((r) => r.error)?.error).find(Boolean) ?? null
      : null;
    rows.push([
      name,
      summaryCell(tsSummary, tsError),
      ...threadCounts.map((n) => {
        const s = torchByThreads[String(n)];
        return summaryCell(s, s.rounds.find((r) => r.error)?.error ?? null);
      }),
      ...(showTorch ? [ratio === null ? "—" : `${ratio.toFixed(2)}× (${threadsLabel(best!)})`] : []),
      leaked === null ? "—" : String(leaked),
    ]);
    return {
      model: name,
      backend,
      batch: batchOf(name, opts),
      // Medians over the rounds (min and max beside them); every round's figures are in tsgan_rounds.
      tsgan_steps_per_s: tsSummary.median,
      tsgan_steps_per_s_min: tsSummary.min,
      tsgan_steps_per_s_max: tsSummary.max,
      tsgan_threads: tsThreads,
      tsgan_steps: ts.reduce((n, r) => n + r.steps, 0),
      tsgan_last_losses: ts[ts.length - 1]?.lastLosses ?? null,
      tsgan_error: tsError,
      tsgan_rounds: ts.map((r, i) => ({
        round: i + 1, steps_per_s: r.stepsPerSecond, steps: r.steps, seconds: r.seconds, warmup_steps: r.warmupSteps,
        cpu_per_wall: r.cpuPerWall, leaked_tensors_per_step: r.leakedTensorsPerStep, error: r.error,
      })),
      // Best thread count's median, and per thread count its median, min, max and rounds.
      torch_steps_per_s: bestMedian,
      torch_threads: best,
      torch_error: torchError,
      torch: showTorch ? torchByThreads : null,
      ratio,
      leaked_tensors_per_step: leaked,
      trainable_params: { tsgan: ts[0]?.params ?? {}, torch: torchParams[name] },
    };
  });

  const removed = Object.fromEntries(BLAS_OVERRIDES.map((v) => [v, process.env[v] ?? null]));
  const blas = firstReport?.blas ?? null;
  const build = firstReport?.torch_build ?? null;
  const machine = {
    cpu: cpuModel(),
    cpu_simd: cpuSimd(),
    cores: os.cpus().length,
    node: process.version,
    tfjs: tfjsVersion,
    backend,
    tsgan_threads: tsThreads,
    torch: firstReport ? firstReport.torch : null,
    python,
    torch_threads: threadCounts,
    torch_interop_threads: firstReport?.interop_threads ?? null,
    torch_blas: blas,
    torch_blas_corenames: [...corenames],
    torch_threadpoolctl: firstReport?.threadpoolctl ?? null,
    torch_build: build,
    /** The parent's values of the variables removed for PyTorch only (null: they were not set here). */
    torch_env_removed: removed,
    /** What PyTorch's process reported for them and for the thread variables (first measurement). */
    torch_env_seen: firstReport?.env ?? null,
  };

  console.log("");
  console.log(tableMarkdown({ columns: header, rows }));
  const fallback = backend === "wasm" ? wasmBuild().fallbackReason : null;
  const tsNote = backend !== "wasm" ? ""
    : fallback ? ` (single-threaded: ${fallback})`
    : tsThreads === "1" ? " (tfjs-backend-wasm's single-threaded build; TSGAN_WASM_THREADS=1)"
    : " (tfjs-backend-wasm's threaded-SIMD build, TSGAN_WASM_THREADS)";
  console.log(
    `\nmachine: ${machine.cpu}${machine.cpu_simd ? ` [${machine.cpu_simd}]` : ""}, ${machine.cores} cores; Node ${machine.node}; ` +
      `TensorFlow.js ${machine.tfjs} on ${backend}, ${tsThreads === "1" ? "1 thread" : `${tsThreads} threads`}${tsNote}` +
      (firstReport ? `; PyTorch ${firstReport.torch} via ${python}` : `; ${torchNote}`),
  );
  if (firstReport) {
    const setVars = BLAS_OVERRIDES.filter((v) => removed[v] !== null);
    console.log(
      `PyTorch BLAS: ` +
        (blas?.corename
          ? `OpenBLAS core ${[...corenames].join(" / ")} (${blas.config}; ${blas.parallel ?? "?"}, ${blas.library})`
          : "no OpenBLAS in the process (see torch_threadpoolctl in the JSON)") +
        `; torch built with BLAS_INFO=${build?.blas_info ?? "?"}, CPU capability ${build?.cpu_capability ?? "?"}, ${build?.parallel_backend ?? "?"} intra-op; ` +
        `threads per column: OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = MKL_NUM_THREADS = torch.set_num_threads, 1 inter-op thread`,
    );
    console.log(
      `OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE were unset for PyTorch's process only ` +
        (setVars.length ? `(here: ${setVars.map((v) => `${v}=${removed[v]}`).join(", ")}; tsgan ran with them as they are)` : "(neither is set in this environment)") +
        `; the child saw OPENBLAS_CORETYPE=${firstReport.env?.OPENBLAS_CORETYPE ?? "unset"}.`,
    );
  }
  for (const w of [...new Set(warnings)]) console.log(`warning: ${w}`);
  console.log(
    `${opts.rounds} round(s) of ~${opts.seconds} s per measurement; each round times every model on tsgan, then PyTorch at ${threadCounts.length ? threadCounts.map(threadsLabel).join(", then ") : "—"}; ` +
      "median (min–max) over the rounds; ratio = tsgan's median over the best PyTorch median.",
  );
  console.log(`step: one step of tsgan.train (torch: the same step by hand): batch ${opts.batch}${ownBatches(opts)}, Adam(2e-4, beta1 0.5), one D update (real + fake, BCE on logits; ACGAN + class NLL) + one G update (non-saturating); wgan-gp: 5 critic updates with the gradient penalty (double backprop), Adam(1e-4, 0.5, 0.9); sngan-mlp: 5 hinge critic updates of the spectrally normalised critic, Adam(2e-4, 0, 0.9); bigan: one D update on (x, E(x)) vs (G(z), z), then one update of E and G together (one Adam, inverted labels), Adam(2e-4, 0.5); vae-gan: one D update (real vs G(z) and reconstructions), one E update (KL + feature reconstruction), one G update (gamma 1e-2 feature reconstruction + non-saturating on G(z) and reconstructions), Adam(3e-4, 0.5); toy-gan: lesson 04's MLPs on 2-D points, one D and one G update, Adam(1e-3, 0.5); wgan-gp-toy: gan_toy.py's ReLU MLPs, 5 critic updates with the penalty (lambda 0.1), Adam(1e-4, 0.5, 0.9)`);
  console.log("trainable parameters per network:");
  for (const j of jsonRows) {
    const p = j.trainable_params;
    const names = Object.keys(p.tsgan);
    const counts = (q: Record<string, number>) => names.map((n) => q[n] ?? "—").join(" / ");
    const same = p.torch
      ? (Object.keys(p.torch).length === names.length && names.every((n) => p.torch![n] === p.tsgan[n]) ? "equal" : "DIFFERENT")
      : "";
    console.log(`  ${j.model} (${names.join(" / ")}): tsgan ${counts(p.tsgan)}` + (p.torch ? `; PyTorch ${counts(p.torch)} (${same})` : ""));
  }

  const outPath = path.resolve(opts.out);
  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  const report = {
    date: new Date().toISOString(), machine, batch: opts.batch, seconds: opts.seconds, rounds: opts.rounds,
    torch_threads: threadCounts, torch_note: torchNote || null, warnings: [...new Set(warnings)], rows: jsonRows,
  };
  fs.writeFileSync(outPath, JSON.stringify(report, null, 2) + "\n");
  console.log(`\nwrote ${path.relative(process.cwd(), outPath) || outPath}`);
  if (jsonRows.some((j) => j.tsgan_rounds.some((r) => r.leaked_tensors_per_step !== null && r.leaked_tensors_per_step !== 0))) {
    console.log("bench: a training step leaks tensors (must be 0).");
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error((err as Error).message || err);
  process.exit(1);
});
