/**
 * Auto-grading of assignments: a grader is a list of cases, each a check of the student's submission against
 * a reference (a hand value, finite differences, an exact answer, a short training run on the real library).
 * After CS231n's relative-error checks and the unit-test cells of graded GAN courses: every case reports
 * pass or fail with a hint that says what is wrong — never the answer's code.
 *
 * Each case also checks that the submission leaks no tensors: the tensors alive after the case, beyond those
 * alive before it, count against it (a case disposes everything it makes itself; the grader's own tests
 * check that the reference solution gets full marks, so a case that leaked would fail there first).
 * What a case leaves behind is disposed after it is counted (by an engine scope: all but what was marked with
 * `tf.keep`), so one leaking case does not poison the next.
 */
import * as tf from "@tensorflow/tfjs";
import { seed } from "../engine/seed";
import { disposeAbandonedTape } from "../engine/tape";

/** A failed check: `hint` says what was wrong and where to look, in the student's terms. */
export class CaseFailure extends Error {
  constructor(readonly hint: string) {
    super(hint);
    this.name = "CaseFailure";
  }
}

/** One graded check of a submission. */
export interface GradeCase<S> {
  /** What is checked, as the student reads it in the table ("extreme logits (±1000): finite loss"). */
  name: string;
  /** Points for passing. Default 1. */
  points?: number;
  /**
   * Runs the check. Fail it by throwing a `CaseFailure` (the `expect…` helpers do); an error of any other kind
   * is reported as the submission's own ("your function threw …"). Dispose every tensor the case makes.
   */
  run(submission: S): void | Promise<void>;
}

/** An assignment's grader. */
export interface Grader<S = unknown> {
  /** The id `grade(id, …)` takes and a notebook's metadata names ("gradient-penalty"). */
  id: string;
  title: string;
  /** What to pass to `grade`, for the error when something else is passed ("a function (critic, real, fake) => tf.Scalar"). */
  expects: string;
  /** Undefined when the submission has the expected form, else what is wrong with it. */
  validate(submission: unknown): string | undefined;
  cases: GradeCase<S>[];
}

export interface CaseResult {
  name: string;
  points: number;
  maxPoints: number;
  passed: boolean;
  /** Why it failed: the check's hint, what the submission threw, or the tensors it leaked. */
  reason?: string;
  seconds: number;
}

export interface GradeReport {
  assignment: string;
  title: string;
  score: number;
  maxScore: number;
  cases: CaseResult[];
}

/** The seed every case starts from (plus its index), so a grade is the same on every run. */
export const GRADING_SEED = 20140610;

const pointsOf = (c: GradeCase<unknown>) => c.points ?? 1;

/** Why a case failed, from what it threw. */
function failureReason(error: unknown): string {
  if (error instanceof CaseFailure) return error.hint;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `your code threw ${message.split("\n")[0]}`;
}

/**
 * Runs every case of `grader` on `submission`, in order, and returns the report. Never throws for a wrong
 * submission: a form that does not match fails every case with the reason.
 */
export async function runGrader<S>(grader: Grader<S>, submission: unknown): Promise<GradeReport> {
  const wrongForm = grader.validate(submission);
  const cases: CaseResult[] = [];
  for (const [index, c] of grader.cases.entries()) {
    const maxPoints = pointsOf(c as GradeCase<unknown>);
    if (wrongForm !== undefined) {
      cases.push({ name: c.name, points: 0, maxPoints, passed: false, reason: `${wrongForm} (expected ${grader.expects})`, seconds: 0 });
      continue;
    }
    const started = Date.now();
    seed(GRADING_SEED + index);
    const before = tf.memory().numTensors;
    tf.engine().startScope();
    let reason: string | undefined;
    try {
      await c.run(submission as S);
    } catch (error) {
      reason = failureReason(error);
      disposeAbandonedTape(); // a submission that threw under a gradient
    }
    const leaked = tf.memory().numTensors - before;
    try {
      tf.engine().endScope();
    } catch {
      // a scope the submission left open: nothing more to clean
    }
    if (reason === undefined && leaked > 0) {
      reason = `${leaked} tensor${leaked === 1 ? "" : "s"} leaked: wrap the computation in tf.tidy, or dispose the intermediate tensors you create`;
    }
    const passed = reason === undefined;
    cases.push({ name: c.name, points: passed ? maxPoints : 0, maxPoints, passed, ...(reason ? { reason } : {}), seconds: (Date.now() - started) / 1000 });
  }
  const score = cases.reduce((a, c) => a + c.points, 0);
  const maxScore = cases.reduce((a, c) => a + c.maxPoints, 0);
  return { assignment: grader.id, title: grader.title, score, maxScore, cases };
}

// ---------------------------------------------------------------------------------------------------------
// The forms a submission takes, for a grader's `validate`.
// ---------------------------------------------------------------------------------------------------------

const kindOf = (value: unknown) => (value === null ? "null" : typeof value);

/**
 * A function; with `arity`, one that declares that many parameters (or none: a wrapper taking `...args`),
 * so that one with a forgotten argument is told so before any case runs.
 */
export function aFunction(arity?: number, parameters?: string): (submission: unknown) => string | undefined {
  return (submission) => {
    if (typeof submission !== "function") return `got ${kindOf(submission)}, not a function`;
    const n = submission.length;
    if (arity !== undefined && n > 0 && n !== arity) {
      return `your function takes ${n} argument${n === 1 ? "" : "s"}; it should take ${parameters ?? arity}`;
    }
    return undefined;
  };
}

/** An object holding a function under each of `names` (an assignment of several functions). */
export function functionsNamed(names: readonly string[]): (submission: unknown) => string | undefined {
  return (submission) => {
    if (submission === null || typeof submission !== "object") {
      return `got ${kindOf(submission)}; pass the functions together as one object { ${names.join(", ")} }`;
    }
    const missing = names.filter((n) => typeof (submission as Record<string, unknown>)[n] !== "function");
    return missing.length === 0 ? undefined : `the object has no function ${missing.join(", ")}`;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Checks for graders: each throws a CaseFailure that says what was wrong.
// ---------------------------------------------------------------------------------------------------------

/** Fails the case with `hint`. */
export function fail(hint: string): never {
  throw new CaseFailure(hint);
}

/** Reads a submission's result as numbers, failing when it is not a tensor (or a number). */
export function valuesOf(value: unknown, what: string): Float32Array | Int32Array | Uint8Array {
  if (typeof value === "number") return Float32Array.of(value);
  if (!(value instanceof tf.Tensor)) fail(`${what} should be a tf.Tensor, got ${value === null ? "null" : typeof value}`);
  if (value.isDisposed) fail(`${what} was already disposed: return a tensor the caller can read (do not dispose what you return)`);
  return value.dataSync() as Float32Array;
}

/** Fails unless `value` is a tensor of exactly `shape` ([] for a scalar). */
export function expectShape(value: unknown, shape: number[], what: string): void {
  if (!(value instanceof tf.Tensor)) fail(`${what} should be a tf.Tensor of shape [${shape}], got ${value === null ? "null" : typeof value}`);
  if (!tf.util.arraysEqual(value.shape, shape)) {
    const hint = shape.length === 0 ? " (a scalar: reduce over the batch, e.g. with tf.mean)" : "";
    fail(`${what} has shape [${value.shape}], expected [${shape}]${hint}`);
  }
}

/** Fails unless every value is finite, saying how many are NaN or infinite. */
export function expectFinite(values: ArrayLike<number>, what: string, hint = ""): void {
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) nan++;
    else if (!Number.isFinite(values[i])) inf++;
  }
  if (nan + inf > 0) fail(`${what}: ${nan} NaN and ${inf} infinite of ${values.length} values${hint ? `; ${hint}` : ""}`);
}

export interface CloseOptions {
  /** Relative tolerance: |a − e| ≤ atol + rtol·|e|. Default 1e-4. */
  rtol?: number;
  /** Absolute tolerance. Default 1e-6. */
  atol?: number;
  /** Said after the numbers when they differ (what the usual mistake is). */
  hint?: string;
}

/**
 * Fails unless `actual` is close to `expected` element by element (CS231n's check: the largest error, where,
 * and the relative error), e.g. "loss: got 0.6931, expected 1.3133 (relative error 4.7e-1)".
 */
export function expectClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, what: string, options: CloseOptions = {}): void {
  const rtol = options.rtol ?? 1e-4;
  const atol = options.atol ?? 1e-6;
  const a = typeof actual === "number" ? [actual] : actual;
  const e = typeof expected === "number" ? [expected] : expected;
  if (a.length !== e.length) fail(`${what}: got ${a.length} values, expected ${e.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < e.length; i++) {
    const excess = Math.abs(a[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst < 0) return;
  const at = e.length > 1 ? ` at index ${worst}` : "";
  const rel = Math.abs(a[worst] - e[worst]) / Math.max(Math.abs(e[worst]), 1e-12);
  fail(
    `${what}${at}: got ${formatNumber(a[worst])}, expected ${formatNumber(e[worst])} (relative error ${rel.toExponential(1)})` +
      (options.hint ? `; ${options.hint}` : ""),
  );
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? v.toExponential(4) : v.toPrecision(5);
}

/** Calls the submission, turning what it throws into the case's reason with `what` named. */
export async function callSubmission<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof CaseFailure) throw error;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    fail(`${what} threw ${message.split("\n")[0]}`);
  }
}
