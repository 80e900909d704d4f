/**
 * Every assignment runs end to end on a real tslab kernel at the `smoke` profile, as a student's would: its
 * reference solution gets full marks on every grader it calls, and its blank template gets zero on every case
 * (so a grader that cannot fail is caught). The grades are read the way `npm run grade` reads them.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runNotebooks, describeResult } from "../tools/lessons/runner";
import { templatePairs, assignmentOf } from "../tools/assignments/templates";
import { readNotebook } from "../tools/lessons/notebook";
import { GRADE_REPORT_ENV, GradeReport } from "../lib/grading";

const ROOT = path.resolve(__dirname, "..", "..");

async function runAndGrade(notebook: string): Promise<{ reports: GradeReport[]; ok: boolean; log: string }> {
  const reportFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-assignment-")), "grades.jsonl");
  const [result] = await runNotebooks({
    notebooks: [notebook],
    profile: "smoke",
    outDir: path.join(ROOT, "out", "assignments", path.basename(path.dirname(notebook))),
    cellTimeoutMs: 5 * 60_000,
    notebookTimeoutMs: 8 * 60_000,
    env: { [GRADE_REPORT_ENV]: reportFile },
    keepGoing: true,
    log: () => {},
  });
  const text = fs.existsSync(reportFile) ? fs.readFileSync(reportFile, "utf8").trim() : "";
  const reports = text === "" ? [] : text.split("\n").map((line) => JSON.parse(line) as GradeReport);
  return { reports, ok: result.ok, log: describeResult(result) };
}

describe("assignments (smoke profile)", function () {
  this.timeout(20 * 60_000);
  for (const { solution, template } of templatePairs(ROOT)) {
    const id = assignmentOf(readNotebook(solution), solution);
    const name = path.basename(solution);

    it(`${name}: the reference solution runs and gets full marks`, async () => {
      const { reports, ok, log } = await runAndGrade(solution);
      assert.ok(ok, log);
      assert.ok(reports.some((r) => r.assignment === id), `${name} never called tsgan.grade("${id}", …)`);
      for (const r of reports) {
        const failed = r.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.reason}`);
        assert.deepEqual(failed, [], `${r.assignment}: ${r.score} / ${r.maxScore}`);
      }
    });

    it(`${path.basename(template)}: the blank template fails every case`, async () => {
      const { reports } = await runAndGrade(template);
      assert.ok(reports.some((r) => r.assignment === id), `the template never reached tsgan.grade("${id}", …)`);
      for (const r of reports) {
        const passed = r.cases.filter((c) => c.passed).map((c) => c.name);
        assert.deepEqual(passed, [], `${r.assignment}: the blank template passed cases`);
      }
    });
  }
});
