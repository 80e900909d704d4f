/**
 * A run's variant, built as run.json says, and restored from its latest checkpoint for sampling and evaluation.
 */
import * as fs from "fs";
import * as path from "path";
import { seed as seedEverything } from "../../lib/engine/seed";
import { buildVariant, disposeVariant } from "../../lib/models/registry";
import type { GanSpec } from "../../lib/train/gan-spec";
import { train } from "../../lib/train/loop";
import type { Game } from "../../lib/train/types";
import { RunConfig, runPaths } from "./run-folder";

/** The variant of a run, with the weights its seed gives before any training. */
export function buildRunVariant(config: RunConfig): GanSpec | Game {
  seedEverything(config.seed);
  return buildVariant(config.variant, config.dataset, config.options.variant);
}

export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(runPaths(dir).checkpoints, "latest.json"));
}

export interface RestoredRun {
  game: Game;
  /** The step of the checkpoint. */
  step: number;
  dispose(): void;
}

/**
 * The run's game with the weights of its latest checkpoint. `train()` restores them (and checks that the
 * checkpoint holds this variant's networks and players) when asked to resume a run that is already at its
 * step count, so zero steps of training is how to load it, with the loop's own checks.
 */
export async function restoreRun(dir: string, config: RunConfig): Promise<RestoredRun> {
  if (!hasCheckpoint(dir)) {
    throw new Error(`${dir} has no checkpoint yet (training never reached one); continue it with: tsgan resume ${dir}`);
  }
  const gan = buildRunVariant(config);
  try {
    const result = await train({
      gan, steps: 0, batchSize: config.options.batchSize, resumeFrom: runPaths(dir).checkpoints,
      data: () => { throw new Error("restoreRun trains no step"); },
    });
    Object.values(result.optimizers).forEach((o) => o.dispose());
    return { game: result.game, step: result.step, dispose: () => disposeVariant(gan) };
  } catch (err) {
    disposeVariant(gan);
    throw err;
  }
}

/** Runs `fn` on a restored run and frees it afterwards. */
export async function withRestoredRun<T>(dir: string, config: RunConfig, fn: (run: RestoredRun) => Promise<T> | T): Promise<T> {
  const run = await restoreRun(dir, config);
  try {
    return await fn(run);
  } finally {
    run.dispose();
  }
}
