import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
  assignmentOf, BEGIN_SOLUTION, END_SOLUTION, makeTemplate, notebookJson, NOT_WRITTEN, stripSolutions, templatePairs,
} from "../../../tools/assignments/templates";
import { Notebook, readNotebook, sourceText } from "../../../tools/lessons/notebook";
import { GRADERS } from "../../../lib/grading";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");

function notebookOf(sources: string[], tsgan: Record<string, unknown> = { assignment: "gan-losses" }): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { tsgan },
    cells: sources.map((source, i) => ({
      id: `c${i}`, cell_type: "code" as const, metadata: {}, source, outputs: [{ output_type: "stream" as const, text: "old" }], execution_count: 3,
    })),
  };
}

describe("assignment templates", () => {
  it("a solution region becomes one indented line that throws; the rest is kept", () => {
    const source = ["function f(x: number): number {", `  ${BEGIN_SOLUTION}`, "  const y = x * 2;", "  return y;", `  ${END_SOLUTION}`, "}"].join("\n");
    const { text, regions } = stripSolutions(source, "cell 1");
    assert.equal(regions, 1);
    assert.equal(text, ["function f(x: number): number {", `  ${NOT_WRITTEN}`, "}"].join("\n"));
  });

  it("unclosed, nested and unopened regions are errors that name the place", () => {
    assert.throws(() => stripSolutions(`${BEGIN_SOLUTION}\nx`, "a.ipynb, cell 2"), /a\.ipynb, cell 2: a "\/\/ BEGIN SOLUTION" is never closed/);
    assert.throws(() => stripSolutions(`${BEGIN_SOLUTION}\n${BEGIN_SOLUTION}\n`, "c"), /c, line 2: "\/\/ BEGIN SOLUTION" inside another/);
    assert.throws(() => stripSolutions(`x\n${END_SOLUTION}`, "c"), /c, line 2: "\/\/ END SOLUTION" without/);
  });

  it("a template clears outputs and the run record, and refuses a notebook with nothing to hide or no assignment id", () => {
    const solution = notebookOf([`${BEGIN_SOLUTION}\nsecret();\n${END_SOLUTION}`, "grade();"], { assignment: "gan-losses", run: { ok: true } });
    const template = makeTemplate(solution, "s.ipynb");
    assert.deepEqual(template.cells.map((c) => sourceText(c.source)), [NOT_WRITTEN, "grade();"]);
    assert.deepEqual(template.cells.map((c) => [c.outputs, c.execution_count]), [[[], null], [[], null]]);
    assert.deepEqual(template.metadata.tsgan, { assignment: "gan-losses" });
    assert.throws(() => makeTemplate(notebookOf(["grade();"]), "s.ipynb"), /s\.ipynb: no "\/\/ BEGIN SOLUTION" region/);
    assert.throws(() => assignmentOf(notebookOf(["x"], {}), "s.ipynb"), /metadata\.tsgan\.assignment is missing/);
  });

  const pairs = templatePairs(ROOT);

  it("there is an assignment for every grader and a grader for every assignment", () => {
    const ids = pairs.map(({ solution }) => assignmentOf(readNotebook(solution), solution));
    assert.deepEqual([...ids].sort(), Object.keys(GRADERS).sort());
  });

  for (const { solution, template } of pairs) {
    const name = path.basename(template);
    it(`${name}: the committed template is the one its solution makes (run \`npm run assignments\`)`, () => {
      assert.ok(fs.existsSync(template), `${path.relative(ROOT, template)} is missing: run \`npm run assignments\``);
      assert.equal(fs.readFileSync(template, "utf8"), notebookJson(makeTemplate(readNotebook(solution), solution)));
    });

    it(`${name}: no line of a solution region is in the template`, () => {
      // Lines that only a solution region has (a line such as `return tf.tidy(() => {` may also be in other cells).
      const hidden = new Set<string>();
      const shown = new Set<string>();
      for (const cell of readNotebook(solution).cells) {
        let inside = false;
        for (const line of sourceText(cell.source).split("\n")) {
          if (line.trim().startsWith(BEGIN_SOLUTION)) inside = true;
          else if (line.trim().startsWith(END_SOLUTION)) inside = false;
          else (inside ? hidden : shown).add(line.trim());
        }
      }
      const text = readNotebook(template).cells.map((c) => sourceText(c.source)).join("\n");
      for (const line of hidden) {
        if (line.length > 12 && !shown.has(line)) assert.ok(!text.includes(line), `the template of ${name} shows the solution line ${JSON.stringify(line)}`);
      }
    });
  }
});
