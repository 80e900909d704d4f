/** `tsgan sample`: samples of a run's latest checkpoint as a PNG grid (images) or a scatter + JSON (2-D points). */
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { getDataset } from "../../lib/models/registry";
import { CommandSpec, ParsedArgs, positiveInteger, seedValue, UsageError } from "./args";
import { loadData, pointReference } from "./data";
import { Io, startEngine } from "./io";
import { drawSamples, SAMPLE_SEED, writeSamples } from "./pictures";
import { readRunConfig, runPaths } from "./run-folder";
import { withRestoredRun } from "./session";

const DEFAULT_COUNT = 64;

export const SAMPLE_COMMAND: CommandSpec = {
  name: "sample",
  summary: "Draws samples from a run's latest checkpoint into a PNG (and JSON for 2-D points).",
  notes: "Images make a grid; 2-D points a scatter of the samples (red) over data points (grey) and the modes (blue squares).",
  positionals: [{ name: "run", help: "the run folder (what tsgan train --out wrote)" }],
  flags: [
    { name: "n", value: "N", parse: positiveInteger, help: `how many samples (default ${DEFAULT_COUNT})` },
    { name: "out", value: "FILE", help: "the PNG to write (default RUN/samples/sample-step-XXXXXXXX.png); 2-D data also gets FILE's .json" },
    { name: "seed", value: "N", parse: seedValue, help: `seed of the noise (default ${SAMPLE_SEED}, the training grids' noise)` },
  ],
};

export async function sampleCommand(args: ParsedArgs, io: Io): Promise<number> {
  const dir = args.positionals[0];
  const config = readRunConfig(dir);
  const n = (args.flags.n as number | undefined) ?? DEFAULT_COUNT;
  const out = args.flags.out as string | undefined;
  if (out !== undefined && path.extname(out).toLowerCase() !== ".png") {
    throw new UsageError(`--out must name a .png file, got "${out}".`);
  }
  const kind = getDataset(config.dataset).kind;
  await startEngine(io);
  return withRestoredRun(dir, config, (run) => {
    const file = out ?? path.join(runPaths(dir).samples, `sample-step-${String(run.step).padStart(8, "0")}.png`);
    const drawn = drawSamples(run.game, n, (args.flags.seed as number | undefined) ?? SAMPLE_SEED);
    // 2-D samples are drawn over the data they imitate.
    const data = kind === "points" ? loadData(config.dataset, config.seed) : undefined;
    const reference = data ? pointReference(data, config.seed) : undefined;
    try {
      const written = writeSamples(file, drawn.x, kind, reference, run.step);
      io.out.write(`wrote ${n} samples of ${config.variant} on ${config.dataset} (step ${run.step}) to ${written.join(" and ")}\n`);
    } finally {
      tf.dispose([drawn.x, ...(reference ? [reference.data] : [])]);
      data?.dispose();
    }
    return 0;
  });
}
