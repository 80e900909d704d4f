/**
 * `tsgan eval`: how good a run's latest checkpoint is, printed and written as JSON.
 *
 * Images: the stored classifier of the dataset (data/classifiers, lib/metrics/classifier.ts) judges the
 * samples: classifier score (the Inception Score with tsgan's classifier), Fréchet distance of its features to
 * as many real images, class coverage, and for conditional variants how often the class asked for is the one
 * seen. These numbers are comparable only with numbers from the same stored classifier.
 * 2-D points: the mode metrics of PacGAN and VEEGAN (lib/metrics/mode-collapse.ts) over 2,500 samples.
 */
import { loadClassifier, argmaxRows, CLASSIFIER_CLASSES, CLASSIFIER_FEATURES, ClassifierName } from "../../lib/metrics/classifier";
import { askedClassAccuracy, classCoverage, classifierScoreFromProbabilities, frechetDistance } from "../../lib/metrics/quality";
import { modeCollapseMetrics } from "../../lib/metrics/mode-collapse";
import { getDataset } from "../../lib/models/registry";
import type { Game } from "../../lib/train/types";
import { CommandSpec, ParsedArgs, positiveInteger, seedValue, UsageError } from "./args";
import { loadData, RunData, someExamples } from "./data";
import { Io, startEngine } from "./io";
import { drawSamples } from "./pictures";
import { readRunConfig, RunConfig, runPaths, writeJsonAtomic } from "./run-folder";
import { withRestoredRun } from "./session";

/** Samples per evaluation: PacGAN's 2,500 for points; 1,000 images (the Fréchet distance is biased upwards below a few thousand). */
const DEFAULT_SAMPLES = { images: 1000, points: 2500 };
/** Samples generated at once, to bound memory for large --n. */
const CHUNK = 250;
const DEFAULT_SEED = 4321;

export const EVAL_COMMAND: CommandSpec = {
  name: "eval",
  summary: "Measures a run's latest checkpoint; prints the metrics and writes them as JSON.",
  positionals: [{ name: "run", help: "the run folder (what tsgan train --out wrote)" }],
  flags: [
    { name: "n", value: "N", parse: positiveInteger, help: `samples to judge (default ${DEFAULT_SAMPLES.images} images, ${DEFAULT_SAMPLES.points} points)` },
    { name: "out", value: "FILE", help: "where to write the JSON (default RUN/eval.json)" },
    { name: "seed", value: "N", parse: seedValue, help: `seed of the noise and of the real reference images (default ${DEFAULT_SEED})` },
  ],
  notes:
    "Images: classifier score, Fréchet distance to as many real images, class coverage (and, for conditional\n" +
    "variants, how often the class asked for is seen), all judged by the stored classifiers in data/classifiers:\n" +
    "compare them only with other tsgan numbers, not with Inception scores or FIDs.\n" +
    "2-D points: modes captured, high-quality share and reverse KL (PacGAN's and VEEGAN's protocol).",
};

/** `n` samples drawn CHUNK at a time, as one flat array, and the classes asked for (conditional variants). */
function drawMany(game: Game, n: number, seed: number): { values: Float32Array; asked?: Int32Array } {
  const parts: Float32Array[] = [];
  const asked: Int32Array[] = [];
  for (let start = 0, i = 0; start < n; start += CHUNK, i++) {
    // A seed per chunk keeps every chunk reproducible on its own.
    const drawn = drawSamples(game, Math.min(CHUNK, n - start), seed + i);
    parts.push(drawn.x.dataSync() as Float32Array);
    drawn.x.dispose();
    if (drawn.asked) asked.push(drawn.asked);
  }
  const values = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((offset, p) => (values.set(p, offset), offset + p.length), 0);
  const labels = asked.length ? Int32Array.from(asked.flatMap((a) => Array.from(a))) : undefined;
  return { values, asked: labels };
}

async function imageMetrics(config: RunConfig, game: Game, data: RunData, n: number, seed: number): Promise<Record<string, unknown>> {
  const classifier = await loadClassifier((config.dataset === "fashion-mnist" ? "fashion-mnist" : "mnist") as ClassifierName);
  try {
    const { values, asked } = drawMany(game, n, seed);
    const real = someExamples(data, n, seed);
    const fake = classifier.evaluate(values);
    const truth = classifier.evaluate(real);
    real.dispose();
    const predicted = argmaxRows(fake.probabilities);
    return {
      classifierScore: classifierScoreFromProbabilities(fake.probabilities, CLASSIFIER_CLASSES).mean,
      realClassifierScore: classifierScoreFromProbabilities(truth.probabilities, CLASSIFIER_CLASSES).mean,
      frechetDistance: frechetDistance(fake.features, truth.features, CLASSIFIER_FEATURES),
      classCoverage: classCoverage(predicted, CLASSIFIER_CLASSES),
      ...(asked ? { askedClassAccuracy: askedClassAccuracy(predicted, asked, CLASSIFIER_CLASSES).overall } : {}),
      classifier: { name: classifier.name, accuracy: classifier.meta.accuracy },
    };
  } finally {
    classifier.dispose();
  }
}

function pointMetrics(game: Game, data: RunData, n: number, seed: number): Record<string, unknown> {
  const { values } = drawMany(game, n, seed);
  return { ...modeCollapseMetrics(values, data.toy as NonNullable<RunData["toy"]>) };
}

const fixed = (v: unknown, digits = 3) => (typeof v === "number" ? (Number.isFinite(v) ? v.toFixed(digits) : String(v)) : "");

/** The printed table: one metric a line. */
function describe(metrics: Record<string, unknown>, kind: "images" | "points"): string[] {
  if (kind === "points") {
    const m = metrics as unknown as ReturnType<typeof modeCollapseMetrics>;
    return [
      `  modes captured       ${m.modesCaptured} / ${m.totalModes}`,
      `  high-quality share   ${fixed(m.highQualityShare)}   (within 3σ of a mode)`,
      `  reverse KL           ${fixed(m.reverseKL)} nats   (0: every mode equally often)`,
    ];
  }
  const coverage = metrics.classCoverage as ReturnType<typeof classCoverage>;
  return [
    `  classifier score     ${fixed(metrics.classifierScore)}   (real data: ${fixed(metrics.realClassifierScore)}; 1 to 10, higher is better)`,
    `  Fréchet distance     ${fixed(metrics.frechetDistance)}   (to as many real images; lower is better)`,
    `  classes covered      ${coverage.classesCovered} / ${CLASSIFIER_CLASSES}   (KL to uniform ${fixed(coverage.klToUniform)} nats)`,
    ...(metrics.askedClassAccuracy !== undefined ? [`  asked class seen     ${fixed(metrics.askedClassAccuracy)}   (chance ${fixed(1 / CLASSIFIER_CLASSES, 1)})`] : []),
  ];
}

export async function evalCommand(args: ParsedArgs, io: Io): Promise<number> {
  const dir = args.positionals[0];
  const config = readRunConfig(dir);
  const kind = getDataset(config.dataset).kind;
  const n = (args.flags.n as number | undefined) ?? DEFAULT_SAMPLES[kind];
  if (kind === "images" && n < 2) throw new UsageError(`--n must be at least 2 for images (the Fréchet distance needs a covariance), got ${n}.`);
  const seed = (args.flags.seed as number | undefined) ?? DEFAULT_SEED;
  const file = (args.flags.out as string | undefined) ?? runPaths(dir).eval;
  await startEngine(io);
  return withRestoredRun(dir, config, async (run) => {
    const data = loadData(config.dataset, config.seed);
    try {
      const metrics = kind === "images" ? await imageMetrics(config, run.game, data, n, seed) : pointMetrics(run.game, data, n, seed);
      writeJsonAtomic(file, {
        run: dir, variant: config.variant, dataset: config.dataset, step: run.step, samples: n, seed, metrics,
        evaluated: new Date().toISOString(),
      }, true);
      io.out.write([`eval of ${dir} (${config.variant} on ${config.dataset}, step ${run.step}, ${n} samples):`, ...describe(metrics, kind), `wrote ${file}`].join("\n") + "\n");
    } finally {
      data.dispose();
    }
    return 0;
  });
}
