/**
 * `npm run bench:profile -- --model dcgan [--steps 5] [--warmup 3] [--top 25] [--out out/profile-dcgan.json]`:
 * where one training step of a benchmark model spends its time, kernel by kernel, on the active backend.
 *
 * The step is the benchmark's (bench/models.ts, the course's one loop `train`). After `--warmup` steps
 * (kernel compilation, optimiser slots, XNNPACK operator caches) the next `--steps` run under tf.profile,
 * which times every kernel call. The table gives per kernel name its calls and milliseconds per step and
 * its share of the step's wall time; "outside kernels" is the step's wall time no kernel accounts for: the
 * tfjs engine (tape, tensor bookkeeping, kernel dispatch), tsgan's loop and JavaScript. Profiling adds its
 * own cost per call, so the unprofiled step time is measured too (the same steps again without tf.profile).
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { ready } from "../lib/engine/backend";
import { seed } from "../lib/engine/seed";
import { train } from "../lib/train/loop";
import { isGame } from "../lib/train/gan-spec";
import { type Network } from "../lib/train/types";
import { tableMarkdown } from "../lib/plots/table";
import { MODELS, benchBatches } from "./models";
import { isKernelCall, kernelMultiplyAdds, kernelsRecordedSoFar } from "../lib/metrics/step-work";

interface Options { model: string; steps: number; warmup: number; top: number; batch: number; out: string | null }

const USAGE = `npm run bench:profile -- --model ${Object.keys(MODELS).join("|")} [--steps 5] [--warmup 3] [--top 25] [--batch 64] [--out FILE]`;

function parseArgs(argv: string[]): Options {
  const o: Options = { model: "", steps: 5, warmup: 3, top: 25, batch: 64, out: null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const next = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`bench:profile: ${flag} needs a value. Usage: ${USAGE}`);
      return v;
    };
    const count = (min: number): number => {
      const v = next();
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`bench:profile: ${flag} must be an integer ≥ ${min}, got ${JSON.stringify(v)}.`);
      return n;
    };
    switch (flag) {
      case "--model": o.model = next(); break;
      case "--steps": o.steps = count(1); break;
      case "--warmup": o.warmup = count(1); break;
      case "--top": o.top = count(1); break;
      case "--batch": o.batch = count(1); break;
      case "--out": o.out = next(); break;
      case "--help": case "-h": console.log(USAGE); process.exit(0);
      default: throw new Error(`bench:profile: unknown option ${argv[i]}. Usage: ${USAGE}`);
    }
  }
  if (!(o.model in MODELS)) throw new Error(`bench:profile: --model must be one of ${Object.keys(MODELS).join(", ")}; got ${JSON.stringify(o.model)}.`);
  return o;
}

/** One kernel name's total over the profiled steps. */
export interface KernelTotal { kernel: string; calls: number; ms: number; multiplyAdds: number }

/** A tf.profile kernel record; the shapes, where given, let the products and convolutions count their multiply-adds. */
export interface ProfiledKernel {
  name: string;
  kernelTimeMs: number | { error: string };
  inputShapes?: (number[] | undefined)[];
  outputShapes?: number[][];
}

/**
 * Sums tf.profile's kernel records by name, largest time first. Records named `…__op` are ops with a custom
 * gradient (e.g. fusedMatMul__op), whose time is that of the kernels they run, recorded separately: they are
 * left out so that no time is counted twice.
 */
export function totalsByKernel(kernels: ProfiledKernel[]): KernelTotal[] {
  const byName = new Map<string, KernelTotal>();
  for (const k of kernels) {
    if (!isKernelCall(k)) continue;
    const t = byName.get(k.name) ?? { kernel: k.name, calls: 0, ms: 0, multiplyAdds: 0 };
    t.calls++;
    t.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    if (k.inputShapes && k.outputShapes) t.multiplyAdds += kernelMultiplyAdds({ name: k.name, inputShapes: k.inputShapes, outputShapes: k.outputShapes });
    byName.set(k.name, t);
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms);
}

interface ActiveProfile { kernels: ProfiledKernel[] }

/** Multiply-adds per second in G (10⁹), or "" for a kernel without any (or without time). */
export function gigaMultiplyAddsPerSecond(t: KernelTotal): string {
  return t.multiplyAdds > 0 && t.ms > 0 ? (t.multiplyAdds / (t.ms * 1e6)).toFixed(1) : "";
}

/** Runs warm-up + `steps` steps of the model; calls `mark("start")`/`mark("end")` around the measured ones. */
async function runSteps(o: Options, mark: (at: "start" | "end") => void): Promise<void> {
  seed(1234);
  const model = MODELS[o.model];
  const gan = model.gan();
  const batch = model.batch ?? o.batch;
  const real = benchBatches(model, batch);
  const data = real.data;
  let done = 0;
  try {
    const run = await train({
      gan, data, steps: o.warmup + o.steps, batchSize: batch, historyEvery: 1_000_000,
      callbacks: [{
        onStepEnd: () => {
          done++;
          if (done === o.warmup) mark("start");
          if (done === o.warmup + o.steps) mark("end");
        },
      }],
    });
    Object.values(run.optimizers).forEach((opt) => opt.dispose());
  } finally {
    real.dispose();
    const networks: Record<string, Network> = isGame(gan) ? gan.networks : { generator: gan.generator, discriminator: gan.discriminator };
    for (const net of Object.values(networks)) (net as unknown as tf.LayersModel).dispose();
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const info = await ready();

  // Profiled pass: kernel records between the marks.
  let first = 0;
  let last = 0;
  let t0 = 0;
  let profiledMs = 0;
  const profile = await tf.profile(() => runSteps(o, (at) => {
    if (at === "start") { first = kernelsRecordedSoFar(); t0 = performance.now(); }
    else { last = kernelsRecordedSoFar(); profiledMs = performance.now() - t0; }
  }));
  const kernels = profile.kernels.slice(first, last) as unknown as ActiveProfile["kernels"];

  // Unprofiled pass: the same steps' wall time without tf.profile's per-call cost.
  let plainMs = 0;
  let p0 = 0;
  await runSteps(o, (at) => {
    if (at === "start") p0 = performance.now();
    else plainMs = performance.now() - p0;
  });

  const totals = totalsByKernel(kernels);
  const stepMs = profiledMs / o.steps;
  const kernelMs = totals.reduce((s, t) => s + t.ms, 0) / o.steps;
  const perStep = (x: number) => x / o.steps;
  const millions = (t: KernelTotal) => (t.multiplyAdds > 0 ? (perStep(t.multiplyAdds) / 1e6).toFixed(1) : "");
  const rows = totals.slice(0, o.top).map((t) => [
    t.kernel, (t.calls / o.steps).toFixed(1), perStep(t.ms).toFixed(2), `${((100 * perStep(t.ms)) / stepMs).toFixed(1)} %`,
    millions(t), gigaMultiplyAddsPerSecond(t),
  ]);
  const rest = totals.slice(o.top);
  if (rest.length > 0) {
    const sum: KernelTotal = {
      kernel: `(${rest.length} other kernels)`, calls: rest.reduce((s, t) => s + t.calls, 0), ms: rest.reduce((s, t) => s + t.ms, 0),
      multiplyAdds: rest.reduce((s, t) => s + t.multiplyAdds, 0),
    };
    rows.push([sum.kernel, (sum.calls / o.steps).toFixed(1), perStep(sum.ms).toFixed(2), `${((100 * perStep(sum.ms)) / stepMs).toFixed(1)} %`,
      millions(sum), gigaMultiplyAddsPerSecond(sum)]);
  }
  rows.push(["outside kernels (engine, loop, JS)", "", (stepMs - kernelMs).toFixed(2), `${((100 * (stepMs - kernelMs)) / stepMs).toFixed(1)} %`, "", ""]);
  console.log(`\n${o.model}: ${MODELS[o.model].describe}`);
  console.log(`backend ${info.choice}; ${o.steps} profiled steps after ${o.warmup} warm-up steps`);
  console.log(`step: ${stepMs.toFixed(1)} ms profiled, ${(plainMs / o.steps).toFixed(1)} ms without the profiler; ` +
    `${(totals.reduce((n, t) => n + t.calls, 0) / o.steps).toFixed(0)} kernel calls per step, ${kernelMs.toFixed(1)} ms in kernels\n`);
  console.log(tableMarkdown({ columns: ["kernel", "calls/step", "ms/step", "share of step", "M multiply-adds/step", "G multiply-adds/s"], rows }));
  if (o.out) {
    const out = path.resolve(o.out);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({
      date: new Date().toISOString(), model: o.model, backend: info.choice, steps: o.steps, warmup: o.warmup,
      step_ms_profiled: stepMs, step_ms: plainMs / o.steps, kernel_calls_per_step: totals.reduce((n, t) => n + t.calls, 0) / o.steps,
      kernels: totals.map((t) => ({
        kernel: t.kernel, calls_per_step: t.calls / o.steps, ms_per_step: perStep(t.ms), multiply_adds_per_step: perStep(t.multiplyAdds),
      })),
    }, null, 2) + "\n");
    console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error((err as Error).message || err);
    process.exit(1);
  });
}
