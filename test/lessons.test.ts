/**
 * Every lesson in notebooks/ runs end to end at the `smoke` profile on a real tslab kernel, on every
 * commit. A lesson asserts its own claims in its cells, so a wrong number fails here too.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { runNotebooks, describeResult } from "../tools/lessons/runner";

const ROOT = path.resolve(__dirname, "..", "..");
const NOTEBOOKS = path.join(ROOT, "notebooks");

describe("lessons (smoke profile)", function () {
  this.timeout(30 * 60_000);
  const lessons = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith(".ipynb")).sort();

  it("there are lessons to run", () => {
    assert.ok(lessons.length > 0, "notebooks/ holds no .ipynb");
  });

  for (const lesson of lessons) {
    it(`${lesson} runs at smoke`, async () => {
      const [result] = await runNotebooks({
        notebooks: [path.join(NOTEBOOKS, lesson)],
        profile: "smoke",
        outDir: path.join(ROOT, "out", "smoke"),
        cellTimeoutMs: 5 * 60_000,
        notebookTimeoutMs: 10 * 60_000,
        log: () => {},
      });
      assert.ok(result.ok, describeResult(result) + "\n" + (result.error?.traceback ?? []).join("\n"));
    });
  }
});
