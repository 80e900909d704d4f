/**
 * What a training step computes, counted instead of timed. A time per step depends on the machine, its load
 * and the backend; the kernels a step calls and the multiply-adds of its matrix products and convolutions do
 * not, so they are what a lesson can assert when it says one objective costs more than another (the steps
 * per second beside them are the machine's answer; `npm run bench` measures those properly).
 */
import * as tf from "@tensorflow/tfjs";
import { train, type TrainOptions } from "../train/loop";

/** One kernel call as tf.profile records it. */
export interface KernelRecord { name: string; inputShapes: (number[] | undefined)[]; outputShapes: number[][] }

/** Per training step, averaged over the counted steps. */
export interface StepWork {
  /** Kernel calls (ops with a custom gradient, recorded as `…__op`, are not counted apart from their kernels). */
  kernelCalls: number;
  /** Multiply-adds of the matrix products and 2-D convolutions, forward and backward. */
  multiplyAdds: number;
}

const size = (shape: number[] | undefined): number => (shape ?? []).reduce((a, b) => a * b, 1);
const last = (shape: number[] | undefined): number => (shape ?? [])[(shape ?? []).length - 1] ?? 1;

/**
 * The multiply-adds of one kernel call; 0 for kernels that are not a matrix product or a 2-D convolution.
 * A matrix product of a [b, m, k] by a [b, k, n] (either transposed) does b·m·k·n, that is size(a)·n with n
 * the output's last dimension (batch broadcasting is not used by tsgan's layers and is not accounted for).
 * A convolution does, per output element, one multiply-add per filter tap and input channel: kh·kw·cin =
 * size(filter)/cout; its input gradient the same per element of dy, its filter gradient the same per
 * element of dy with the filter's size taken from the gradient it outputs.
 */
export function kernelMultiplyAdds(k: KernelRecord): number {
  const [a, b] = k.inputShapes;
  const out = k.outputShapes[0];
  switch (k.name) {
    case "BatchMatMul": case "_FusedMatMul": case "MatMul": case "TsganDense":
      return size(a) * last(out);
    case "Conv2D": case "FusedConv2D":
      return size(out) * (size(b) / last(b));
    case "Conv2DBackpropInput":
      return size(a) * (size(b) / last(b)); // inputs (dy, filter)
    case "Conv2DBackpropFilter":
      return size(b) * (size(out) / last(out)); // inputs (x, dy); output the filter's gradient
    default:
      return 0;
  }
}

/**
 * Whether a tf.profile record is a kernel call of its own. Records named `…__op` are ops with a custom gradient
 * (e.g. fusedMatMul__op), whose kernels are recorded separately: counting them too would count twice.
 */
export function isKernelCall(record: { name: string }): boolean {
  return !record.name.endsWith("__op");
}

/** How many kernel records the open tf.profile holds so far (tf.profile hands them over only at its end). */
export function kernelsRecordedSoFar(): number {
  return (tf.engine() as unknown as { state: { activeProfile: ActiveProfile } }).state.activeProfile.kernels.length;
}

/** Sums the work of kernel records (skipping `…__op` records, whose kernels are recorded on their own). */
export function kernelWork(kernels: KernelRecord[]): StepWork {
  let kernelCalls = 0, multiplyAdds = 0;
  for (const k of kernels) {
    if (!isKernelCall(k)) continue;
    kernelCalls++;
    multiplyAdds += kernelMultiplyAdds(k);
  }
  return { kernelCalls, multiplyAdds };
}

interface ActiveProfile { kernels: KernelRecord[] }

/**
 * Trains `options` for `warmupSteps + countedSteps` steps under tf.profile and returns the work per step of
 * the counted ones (the warm-up creates the optimizers' slots, which later steps do not). The networks are
 * trained for real, so pass fresh ones, or ones whose training you do not mind continuing; the optimizers
 * this run made are disposed. `options.steps` and `options.callbacks` are the counter's own.
 */
export async function stepWork(
  options: Omit<TrainOptions, "steps" | "callbacks">, counting: { warmupSteps?: number; countedSteps?: number } = {},
): Promise<StepWork> {
  const warmupSteps = counting.warmupSteps ?? 1;
  const countedSteps = counting.countedSteps ?? 2;
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new Error(`stepWork: warmupSteps must be an integer ≥ 0, got ${warmupSteps}.`);
  if (!Number.isInteger(countedSteps) || countedSteps < 1) throw new Error(`stepWork: countedSteps must be an integer ≥ 1, got ${countedSteps}.`);
  if (options.resumeFrom !== undefined || options.checkpointDir !== undefined) {
    throw new Error("stepWork: counts a fresh run; leave out resumeFrom and checkpointDir.");
  }
  const recorded = kernelsRecordedSoFar;
  let first = -1, end = -1, done = 0;
  const profile = await tf.profile(async () => {
    const run = await train({
      ...options, steps: warmupSteps + countedSteps,
      callbacks: [{
        onTrainBegin: () => { if (warmupSteps === 0) first = recorded(); },
        onStepEnd: () => {
          done++;
          if (done === warmupSteps) first = recorded();
          if (done === warmupSteps + countedSteps) end = recorded();
        },
      }],
    });
    Object.values(run.optimizers).forEach((o) => o.dispose());
  });
  if (first < 0 || end < 0) throw new Error(`stepWork: the run stopped after ${done} of ${warmupSteps + countedSteps} steps.`);
  const work = kernelWork((profile.kernels as unknown as KernelRecord[]).slice(first, end));
  return { kernelCalls: work.kernelCalls / countedSteps, multiplyAdds: work.multiplyAdds / countedSteps };
}
