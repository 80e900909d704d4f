/**
 * `npm run store-generator -- RUN_DIR NAME [--backend TEXT] [--root DIR]`
 *
 * Stores the generator of a finished `tsgan train` run as a reference generator, data/generators/NAME/
 * (lib/models/reference.ts): the last checkpoint's generator, and a meta.json that records how it was
 * trained and the exact commands that rebuild it. `--backend` records what the run trained on (the run
 * folder does not say; e.g. "wasm, 1 thread"). The training time is taken from run.json's creation to the
 * last checkpoint's state.json, which is the run's wall-clock time when it ran in one go.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { ready } from "../lib/engine/backend";
import { fileSystem } from "../lib/io/files";
import { latestCheckpoint, readCheckpointState } from "../lib/train/checkpoint";
import { getDataset } from "../lib/models/registry";
import { referenceCommand, referenceGeneratorDir, storeReferenceGenerator } from "../lib/models/reference";
import { readRunConfig, RunConfig, runPaths } from "./cli/run-folder";

const USAGE = "usage: npm run store-generator -- RUN_DIR NAME [--backend TEXT] [--root DIR]";

/** The `tsgan train` arguments that reproduce `config` (variant, dataset and every setting that changes its course). */
export function trainArguments(config: RunConfig, steps = config.options.steps): string {
  const o = config.options;
  const v = o.variant;
  if (o.anneal !== undefined && steps !== o.steps) {
    // Its rate decays over the target's second half: a run of `steps` steps would follow another schedule.
    throw new Error(
      `the run anneals its learning rate over ${o.steps} steps but its last checkpoint is at step ${steps}; ` +
        `finish it first (tsgan resume RUN_DIR), so the stored command rebuilds exactly this generator.`,
    );
  }
  return [
    config.variant, "--dataset", config.dataset, "--steps", String(steps), "--batch-size", String(o.batchSize),
    "--seed", String(config.seed),
    ...(v.trunk !== undefined ? ["--trunk", String(v.trunk)] : []),
    ...(v.latentDim !== undefined ? ["--latent-dim", String(v.latentDim)] : []),
    ...(v.hiddenSizes !== undefined ? ["--hidden-sizes", v.hiddenSizes.join(",")] : []),
    ...(o.learningRate !== undefined ? ["--learning-rate", String(o.learningRate)] : []),
    ...(o.anneal !== undefined ? ["--anneal", String(o.anneal)] : []),
  ].join(" ");
}

export async function storeGenerator(runDir: string, name: string, options: { backend?: string; root?: string } = {}): Promise<string> {
  const config = readRunConfig(runDir);
  const checkpoints = runPaths(runDir).checkpoints;
  const last = latestCheckpoint(checkpoints);
  const generator = await tf.loadLayersModel(fileSystem(path.join(last, "networks", "generator")));
  const latentDim = generator.inputs[0].shape[1] as number;
  const conditional = generator.inputs.length === 2;
  generator.dispose();
  const created = Date.parse(config.created);
  const finished = fs.statSync(path.join(last, "state.json")).mtimeMs;
  const out = referenceGeneratorDir(name, options.root);
  const meta = storeReferenceGenerator(checkpoints, out, {
    name,
    variant: config.variant,
    dataset: config.dataset,
    batchSize: config.options.batchSize,
    variantOptions: config.options.variant as Record<string, unknown>,
    latentDim,
    numClasses: conditional ? getDataset(config.dataset).numClasses : 0,
    trainingSeconds: Number.isFinite(created) ? Math.round((finished - created) / 1000) : null,
    backend: options.backend ?? "not recorded",
    // The checkpoint's step, not the run's target: a run stopped early at step s is exactly a run of s steps
    // (every step's randomness follows from (seed, step); nothing depends on the target).
    command: referenceCommand(trainArguments(config, readCheckpointState(last).step), `runs/${name}`, name),
    tsganVersion: config.tsgan,
  });
  return `stored ${config.variant} (${meta.parameters} weights, step ${meta.steps}) in ${out}`;
}

async function main(argv: string[]): Promise<number> {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--help" || argv[i] === "-h") {
      console.log(USAGE);
      return 0;
    }
    if (argv[i].startsWith("--")) {
      const key = argv[i].slice(2);
      if (key !== "backend" && key !== "root") throw new Error(`unknown flag ${argv[i]}; ${USAGE}`);
      if (argv[i + 1] === undefined) throw new Error(`${argv[i]} needs a value; ${USAGE}`);
      flags[key] = argv[++i];
    } else positional.push(argv[i]);
  }
  if (positional.length !== 2) throw new Error(`give the run folder and the reference's name; ${USAGE}`);
  await ready({ env: { ...process.env, TSGAN_QUIET: "1" } });
  console.log(await storeGenerator(positional[0], positional[1], { backend: flags.backend, root: flags.root }));
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    console.error(`store-generator: ${(err as Error).message}`);
    process.exit(2);
  });
}
