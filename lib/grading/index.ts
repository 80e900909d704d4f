/**
 * `await tsgan.grade("gradient-penalty", studentPenalty)`: runs an assignment's grader on the student's
 * function, shows a table of cases (pass/fail, points, a hint for each failure) and the score, and returns the
 * report. Under `npm run grade` (tools/grade) each report is also appended, as one JSON line, to the file named
 * by TSGAN_GRADE_OUT, so a teacher's table keeps every grade a notebook reached even if a later cell kills it.
 */
import * as fs from "fs";
import { showTable, Table } from "../plots/table";
import { GradeReport, runGrader, Grader } from "./core";
import { GRADERS } from "./graders";

export * from "./core";
export { GRADERS } from "./graders";

/** The environment variable naming the file grades are appended to (JSON lines), set by `npm run grade`. */
export const GRADE_REPORT_ENV = "TSGAN_GRADE_OUT";

/** The grader of an assignment id, or an error listing the ids there are. */
export function graderFor(id: string): Grader<unknown> {
  const grader = Object.prototype.hasOwnProperty.call(GRADERS, id) ? GRADERS[id] : undefined;
  if (!grader) {
    throw new Error(`grade: no assignment "${id}"; the assignments are ${Object.keys(GRADERS).map((k) => `"${k}"`).join(", ")}.`);
  }
  return grader;
}

/** The report as a table: one row per case. */
export function gradeTable(report: GradeReport): Table {
  return {
    title: `${report.title}: ${report.score} / ${report.maxScore}`,
    columns: ["case", "result", "points", "what to look at"],
    rows: report.cases.map((c) => [c.name, c.passed ? "pass" : "FAIL", `${c.points} / ${c.maxPoints}`, c.reason ?? ""]),
  };
}

export interface GradeOptions {
  /** Show the table (in a notebook, as HTML; elsewhere printed). Default true. */
  show?: boolean;
}

/**
 * Grades `submission` (the student's function, or the object of functions an assignment asks for) with the
 * grader of assignment `id`. Never throws for a wrong submission: failures are cases with a reason.
 */
export async function grade(id: string, submission: unknown, options: GradeOptions = {}): Promise<GradeReport> {
  const report = await runGrader(graderFor(id), submission);
  if (options.show ?? true) showTable(gradeTable(report));
  const out = process.env[GRADE_REPORT_ENV];
  if (out) fs.appendFileSync(out, JSON.stringify(report) + "\n");
  // tslab prints a cell's last value: a one-line summary instead of the report's JSON.
  Object.defineProperty(report, Symbol.for("nodejs.util.inspect.custom"), {
    value: () => `${report.assignment}: ${report.score} / ${report.maxScore}`,
    enumerable: false,
  });
  return report;
}
