/** What every grader's tests share: the blank template's function, and cases by name. */
import { strict as assert } from "assert";
import type { Grader, GradeReport } from "../../../lib/grading/core";

/** What the template has in place of a solution: every call throws, as the template's line does. */
export const notWritten = (..._args: unknown[]): never => {
  throw new Error("not written yet: replace this line with your code");
};

/** The names of the cases a report failed, in order. */
export const failedCases = (report: GradeReport): string[] => report.cases.filter((c) => !c.passed).map((c) => c.name);

/** The full names of a grader's cases, each picked by a fragment that must name exactly one case. */
export function caseNamer(grader: Grader<any>): (...fragments: string[]) => string[] {
  const names = grader.cases.map((c) => c.name);
  return (...fragments) =>
    fragments.map((f) => {
      const hits = names.filter((n) => n.includes(f));
      assert.equal(hits.length, 1, `"${f}" should name exactly one case, names ${hits.length}`);
      return hits[0];
    });
}
