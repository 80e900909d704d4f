/**
 * `npm run bench`: training steps per second of the book chapter's GANs on the active tsgan backend, side by
 * side with the same networks, batch, optimisers and step in PyTorch (bench/torch_gan.py) when a Python
 * with torch is found.
 *
 *   npm run bench -- --models vanilla,dcgan,cgan,acgan --seconds 20 [--batch 64] [--no-torch] [--python PATH]
 *                    [--torch-threads N] [--out out/bench.json]
 *
 * A step is one step (round) of the course's one training loop (`train` in lib/train): one discriminator update
 * and one generator update with the loop's default Adam(2e-4, β1 0.5) — for WGAN-GP and SN-GAN five critic
 * updates and one generator update with their own optimizers; for the games of three networks, BiGAN and
 * VAE-GAN, one update of each of their players in the game's order with the game's own optimizers — including
 * what the loop does around them (gradient norms, reading the losses back, history). Real images are random
 * tensors uniform in [-1, 1] of MNIST's shape (28×28×1), not MNIST itself: speed does not depend on the
 * pixel values, and the benchmark then needs no data files. Warm-up steps (kernel compilation, optimiser
 * slot creation) are excluded; then steps run for the given number of seconds. Leaked tensors per step =
 * growth of tf.memory().numTensors over the timed steps divided by their number; it must be 0.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { ready } from "../lib/engine/backend";
import { seed } from "../lib/engine/seed";
import { train } from "../lib/train/loop";
import { isGame, type GanSpec } from "../lib/train/gan-spec";
import { trainableVariables, type Batch, type Game, type Network } from "../lib/train/types";
import { vanillaGanSpec } from "../lib/models/vanilla-gan";
import { dcganSpec } from "../lib/models/dcgan";
import { cganSpec } from "../lib/models/cgan";
import { acganSpec } from "../lib/models/acgan";
import { wganGpSpec } from "../lib/models/wgan-gp";
import { snganSpec } from "../lib/models/sngan";
import { biganGame } from "../lib/models/bigan";
import { vaeGanGame } from "../lib/models/vae-gan";
import { tableMarkdown } from "../lib/plots/table";

const IMAGE_SHAPE: [number, number, number] = [28, 28, 1];
const LATENT_DIM = 100;
/** Distinct real batches cycled through, so no step reuses the previous one's input tensor. */
const REAL_POOL = 8;

interface BenchModel {
  describe: string;
  /** Whether the real batches carry labels (conditional models). */
  labelled: boolean;
  /** A two-player GanSpec, or a Game of named players and networks (BiGAN, VAE-GAN). */
  gan(): GanSpec | Game;
}

const MODELS: Record<string, BenchModel> = {
  vanilla: {
    describe: "chapter's MLP GAN",
    labelled: false,
    gan: () => vanillaGanSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE }),
  },
  dcgan: {
    describe: "chapter's DCGAN (UpSampling2D + Conv)",
    labelled: false,
    gan: () => dcganSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE }),
  },
  "dcgan-transposed": {
    describe: "DCGAN with the paper's Conv2DTranspose generator",
    labelled: false,
    gan: () => dcganSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE, upsampling: "transposed" }),
  },
  cgan: {
    describe: "chapter's CGAN (label embedding multiplied in, MLPs)",
    labelled: true,
    gan: () => cganSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE, conditioning: "multiply" }),
  },
  acgan: {
    describe: "ACGAN on the DCGAN networks (source + class heads)",
    labelled: true,
    gan: () => acganSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE, trunk: "conv" }),
  },
  "wgan-gp": {
    describe: "WGAN-GP on the chapter's MLPs: 5 critic updates with the penalty's double backprop, 1 G update",
    labelled: false,
    gan: () => wganGpSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE, trunk: "mlp" }),
  },
  "sngan-mlp": {
    describe: "SN-GAN: the chapter's MLP critic spectrally normalised, hinge loss, 5 critic updates, 1 G update",
    labelled: false,
    gan: () => snganSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE, trunk: "mlp" }),
  },
  bigan: {
    describe: "BiGAN: MLP encoder, generator and joint D(x, z), 512-512, z ~ U(-1, 1)^50; D, then E and G with one Adam",
    labelled: false,
    // The game's defaults: MNIST's shape, latent 50 (uniform), hidden [512, 512], Adam(2e-4, β1 0.5).
    gan: () => biganGame({ dataShape: [...IMAGE_SHAPE] }),
  },
  "vae-gan": {
    describe: "VAE-GAN: MLP encoder (μ, log σ²), the chapter's MLP generator as decoder, D → [logit, features]; D, E, G",
    labelled: false,
    // The game's defaults: MNIST's shape, latent 32, hidden [512, 256], γ = 1e-2, Adam(3e-4, β1 0.5).
    gan: () => vaeGanGame({ imageShape: IMAGE_SHAPE }),
  },
};

const DEFAULT_MODELS = ["vanilla", "dcgan", "cgan", "acgan", "wgan-gp", "sngan-mlp", "bigan", "vae-gan"];

interface Options {
  models: string[];
  seconds: number;
  batch: number;
  torch: boolean;
  python: string | null;
  torchThreads: number | null;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { models: [...DEFAULT_MODELS], seconds: 20, batch: 64, torch: true, python: null, torchThreads: null, out: "out/bench.json" };
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
      case "--batch": o.batch = positive(next(), flag, true); break;
      case "--no-torch": o.torch = false; break;
      case "--python": o.python = next(); break;
      case "--torch-threads": o.torchThreads = positive(next(), flag, true); break;
      case "--out": o.out = next(); break;
      case "--help": case "-h":
        console.log("npm run bench -- [--models " + Object.keys(MODELS).join(",") + "] [--seconds 20] [--batch 64] [--no-torch] [--python PATH] [--torch-threads N] [--out out/bench.json]");
        process.exit(0);
      default:
        throw new Error(`bench: unknown option ${argv[i]}. Options: --models, --seconds, --batch, --no-torch, --python, --torch-threads, --out.`);
    }
  }
  const unknown = o.models.filter((m) => !(m in MODELS));
  if (unknown.length > 0 || o.models.length === 0) {
    throw new Error(`bench: unknown model(s) ${JSON.stringify(unknown)}; choose from ${Object.keys(MODELS).join(", ")}.`);
  }
  return o;
}

export interface TsganResult {
  stepsPerSecond: number | null;
  steps: number;
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
    warmupSteps: 0,
    leakedTensorsPerStep: null,
    params: Object.fromEntries(Object.entries(networks).map(([n, net]) => [n, trainableCount(net, n)])),
    lastLosses: null,
    error: null,
  };
  const reals = Array.from({ length: REAL_POOL }, () => tf.randomUniform([opts.batch, ...IMAGE_SHAPE], -1, 1));
  const labels = Array.from({ length: REAL_POOL }, () => tf.randomUniform([opts.batch], 0, 10, "int32"));
  // The loop disposes every batch it is given, so each step gets clones (new handles on the same data).
  const data = (_n: number, i: number): Batch =>
    model.labelled ? { x: reals[i % REAL_POOL].clone(), labels: labels[i % REAL_POOL].clone() } : { x: reals[i % REAL_POOL].clone() };
  const warmupMs = Math.min(3000, opts.seconds * 100);
  let w0 = 0;
  let t0 = 0;
  let tensorsBefore = 0;
  let timing = false;
  let optimizers: tf.Optimizer[] = [];
  try {
    const run = await train({
      gan, data, steps: Number.MAX_SAFE_INTEGER, batchSize: opts.batch, historyEvery: 1_000_000,
      callbacks: [{
        onTrainBegin: () => { w0 = performance.now(); },
        onStepEnd: (log, state) => {
          const now = performance.now();
          if (!timing) {
            result.warmupSteps++;
            if (now - w0 >= warmupMs) {
              timing = true;
              tensorsBefore = tf.memory().numTensors;
              t0 = performance.now();
            }
            return;
          }
          result.steps++;
          result.lastLosses = Object.fromEntries(Object.entries(log.players).map(([player, p]) => [player, p.loss]));
          if (result.steps >= 2 && now - t0 >= opts.seconds * 1000) {
            result.stepsPerSecond = result.steps / ((now - t0) / 1000);
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
    tf.dispose([...reals, ...labels]);
    // Every benchmarked network is a tf.LayersModel.
    for (const net of Object.values(networks)) (net as unknown as tf.LayersModel).dispose();
  }
  return result;
}

interface TorchReport {
  python: string;
  torch: string;
  threads: number;
  results: Record<string, { steps_per_s: number | null; steps: number; params: Record<string, number> | null; error: string | null }>;
}

/** The first interpreter that can import torch: `python3` on PATH, then Debian's `/usr/bin/python3`. */
function findTorchPython(explicit: string | null): { python: string | null; tried: string[] } {
  const candidates = explicit ? [explicit] : ["python3", "/usr/bin/python3"];
  for (const py of candidates) {
    const r = spawnSync(py, ["-c", "import torch"], { stdio: "ignore", timeout: 60000 });
    if (r.status === 0) return { python: py, tried: candidates };
  }
  return { python: null, tried: candidates };
}

function runTorch(python: string, opts: Options): TorchReport | { error: string } {
  const script = path.resolve(__dirname, "..", "..", "bench", "torch_gan.py");
  const args = [script, "--models", opts.models.join(","), "--seconds", String(opts.seconds), "--batch", String(opts.batch)];
  if (opts.torchThreads) args.push("--threads", String(opts.torchThreads));
    // stderr passes through: PyTorch's per-model progress lines show up as they come.
  const r = spawnSync(python, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: (opts.seconds + 120) * 1000 * opts.models.length });
  const lastLine = (r.stdout || "").trim().split("\n").pop() || "";
  if (r.status !== 0) return { error: `${python} ${path.basename(script)} exited with ${r.status ?? r.signal} (its error is printed above)` };
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

function fmt(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined ? "—" : x.toFixed(digits);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const engine = await ready();
  const backend = engine.choice;
  const tfjsVersion = tf.version.tfjs;
  console.log(`bench: models ${opts.models.join(", ")}; batch ${opts.batch}; ~${opts.seconds} s each; real data: random [-1, 1] tensors of MNIST shape`);

  const tsgan: Record<string, TsganResult> = {};
  for (const name of opts.models) {
    process.stdout.write(`tsgan ${name} (${MODELS[name].describe}) on ${backend} ... `);
    tsgan[name] = await benchTsgan(name, opts);
    const r = tsgan[name];
    console.log(r.error ? `failed: ${r.error}` : `${fmt(r.stepsPerSecond)} steps/s over ${r.steps} steps (${r.warmupSteps} warm-up)`);
  }

  let torch: TorchReport | null = null;
  let torchNote = "";
  if (!opts.torch) {
    torchNote = "PyTorch skipped (--no-torch)";
  } else {
    const found = findTorchPython(opts.python);
    if (!found.python) {
      torchNote = `PyTorch was not found (tried ${found.tried.join(", ")}: none can import torch)`;
    } else {
      console.log(`PyTorch via ${found.python} ...`);
      const t = runTorch(found.python, opts);
      if ("error" in t) torchNote = `PyTorch failed: ${t.error}`;
      else torch = t;
    }
  }
  if (torchNote) console.log(torchNote);

  const header = ["model", "backend", "tsgan steps/s", "PyTorch steps/s (threads)", "ratio", "leaked tensors/step"];
  const rows: string[][] = [header];
  const jsonRows = opts.models.map((name) => {
    const r = tsgan[name];
    const t = torch?.results[name];
    const ratio = r.stepsPerSecond !== null && t?.steps_per_s ? r.stepsPerSecond / t.steps_per_s : null;
    rows.push([
      name,
      backend,
      r.error ? `error: ${r.error.slice(0, 80)}` : fmt(r.stepsPerSecond),
      t ? (t.error ? `error: ${t.error.slice(0, 60)}` : `${fmt(t.steps_per_s)} (${torch!.threads})`) : "—",
      ratio === null ? "—" : `${ratio.toFixed(2)}×`,
      r.leakedTensorsPerStep === null ? "—" : String(r.leakedTensorsPerStep),
    ]);
    return {
      model: name,
      backend,
      tsgan_steps_per_s: r.stepsPerSecond,
      tsgan_steps: r.steps,
      tsgan_warmup_steps: r.warmupSteps,
      tsgan_last_losses: r.lastLosses,
      tsgan_error: r.error,
      torch_steps_per_s: t?.steps_per_s ?? null,
      torch_threads: torch?.threads ?? null,
      torch_error: t?.error ?? null,
      ratio,
      leaked_tensors_per_step: r.leakedTensorsPerStep,
      trainable_params: { tsgan: r.params, torch: t?.params ?? null },
    };
  });

  const machine = {
    cpu: cpuModel(),
    cores: os.cpus().length,
    node: process.version,
    tfjs: tfjsVersion,
    torch: torch ? `${torch.torch} via ${torch.python}` : null,
  };
  console.log("");
  console.log(tableMarkdown({ columns: rows[0], rows: rows.slice(1) }));
  console.log(
    `\nmachine: ${machine.cpu}, ${machine.cores} cores; Node ${machine.node}; TensorFlow.js ${machine.tfjs}` +
      (torch ? `; PyTorch ${machine.torch}, ${torch.threads} thread(s)` : `; ${torchNote}`),
  );
  console.log(`step: one step of tsgan.train (torch: the same step by hand): batch ${opts.batch}, Adam(2e-4, beta1 0.5), one D update (real + fake, BCE on logits; ACGAN + class NLL) + one G update (non-saturating); wgan-gp: 5 critic updates with the gradient penalty (double backprop), Adam(1e-4, 0.5, 0.9); sngan-mlp: 5 hinge critic updates of the spectrally normalised critic, Adam(2e-4, 0, 0.9); bigan: one D update on (x, E(x)) vs (G(z), z), then one update of E and G together (one Adam, inverted labels), Adam(2e-4, 0.5); vae-gan: one D update (real vs G(z) and reconstructions), one E update (KL + feature reconstruction), one G update (gamma 1e-2 feature reconstruction + non-saturating on G(z) and reconstructions), Adam(3e-4, 0.5)`);
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
  const report = { date: new Date().toISOString(), machine, batch: opts.batch, seconds: opts.seconds, torch_note: torchNote || null, rows: jsonRows };
  fs.writeFileSync(outPath, JSON.stringify(report, null, 2) + "\n");
  console.log(`\nwrote ${path.relative(process.cwd(), outPath) || outPath}`);
  if (jsonRows.some((j) => j.leaked_tensors_per_step !== null && j.leaked_tensors_per_step !== 0)) {
    console.log("bench: a training step leaks tensors (must be 0).");
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error((err as Error).message || err);
  process.exit(1);
});
