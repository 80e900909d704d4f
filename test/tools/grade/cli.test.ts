import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findSubmissions, gradeSubmissions, gradesFromRun, parseGradeArgs, summaryTable } from "../../../tools/grade/cli";
import { BEGIN_SOLUTION } from "../../../tools/assignments/templates";
import { Cell, Notebook, readNotebook, sourceText } from "../../../tools/lessons/notebook";
import { GRADERS } from "../../../lib/grading";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const SOLUTION = path.join(ROOT, "assignments", "solutions", "01-gan-losses.ipynb");
const TEMPLATE = path.join(ROOT, "assignments", "01-gan-losses.ipynb");

const codeCell = (source: string): Cell => ({ cell_type: "code", metadata: {}, source, outputs: [], execution_count: null });

/** The solution with `cell` inserted just before its first grade cell. */
function beforeGrading(notebook: Notebook, cell: Cell): Notebook {
  const at = notebook.cells.findIndex((c) => c.cell_type === "code" && sourceText(c.source).includes("tsgan.grade("));
  assert.ok(at > 0, "the solution has no tsgan.grade cell");
  return { ...notebook, cells: [...notebook.cells.slice(0, at), cell, ...notebook.cells.slice(at)] };
}

describe("npm run grade", () => {
  it("parses its options and refuses bad ones with the reason", () => {
    const args = parseGradeArgs(["a.ipynb", "--timeout", "30", "--out=grades", "--profile", "quick"], "/root");
    assert.equal(args.timeoutMs, 30_000);
    assert.equal(args.profile, "quick");
    assert.equal(args.outDir, path.resolve("grades"));
    assert.throws(() => parseGradeArgs([]), /no submissions given/);
    assert.throws(() => parseGradeArgs(["a", "--timeout", "-1"]), /--timeout needs a positive number of seconds, got "-1"/);
    assert.throws(() => parseGradeArgs(["a", "--profile", "long"]), /--profile must be one of smoke, quick, full/);
    assert.throws(() => parseGradeArgs(["a", "--bogus"]), /Unknown option --bogus/);
  });

  it("finds notebooks in folders, names students by their path, skips checkpoints", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-subs-"));
    fs.mkdirSync(path.join(dir, "bob", ".ipynb_checkpoints"), { recursive: true });
    for (const f of ["alice.ipynb", "bob/04.ipynb", "bob/.ipynb_checkpoints/04-checkpoint.ipynb", "notes.txt"]) fs.writeFileSync(path.join(dir, f), "{}");
    assert.deepEqual(findSubmissions([dir]).map((s) => s.student), ["alice", "bob/04"]);
    assert.throws(() => findSubmissions([path.join(dir, "nobody")]), /no such file or folder/);
    assert.throws(() => findSubmissions([path.join(dir, "notes.txt")]), /not a notebook/);
  });

  it("a grader never reached scores 0 on each of its cases, with the reason", () => {
    const grade = gradesFromRun({ student: "s", file: "s.ipynb" }, ["gan-losses"], [], {
      notebook: "s.ipynb", output: "", ok: false, seconds: 3,
      error: { cell: 4, ename: "KernelDied", evalue: "the kernel exited with code 3", traceback: [] },
    });
    assert.equal(grade.cases.length, GRADERS["gan-losses"].cases.length);
    assert.equal(grade.score, 0);
    assert.ok(grade.maxScore > 0);
    assert.match(grade.cases[0].reason ?? "", /not graded: the notebook failed before tsgan\.grade\("gan-losses", …\) finished \(cell 4: KernelDied/);
  });

  it("grades a folder of a good, a blank, a throwing, a looping and a kernel-killing submission in bounded time", async function () {
    this.timeout(10 * 60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-grade-"));
    const subs = path.join(dir, "submissions");
    fs.mkdirSync(subs);
    const solution = readNotebook(SOLUTION);
    const write = (name: string, notebook: Notebook) => fs.writeFileSync(path.join(subs, `${name}.ipynb`), JSON.stringify(notebook));
    write("good", solution);
    write("blank", readNotebook(TEMPLATE));
    write("throwing", {
      ...solution,
      cells: solution.cells.map((c) => (sourceText(c.source).includes(BEGIN_SOLUTION) ? codeCell('throw new Error("a bug in the student\'s cell");') : c)),
    });
    write("looping", beforeGrading(solution, codeCell("while (true) {}")));
    write("killing", beforeGrading(solution, codeCell("process.exit(3);")));
    write("unrelated", { ...solution, metadata: { kernelspec: solution.metadata.kernelspec } });

    const out = path.join(dir, "grades");
    const started = Date.now();
    const lines: string[] = [];
    const grades = await gradeSubmissions({ submissions: [subs], outDir: out, timeoutMs: 60_000, profile: "smoke", help: false }, (l) => lines.push(l));
    const elapsed = (Date.now() - started) / 1000;
    const by = Object.fromEntries(grades.map((g) => [g.student, g]));
    const max = GRADERS["gan-losses"].cases.reduce((a, c) => a + (c.points ?? 1), 0);

    assert.equal(by.good.score, max, summaryTable(grades));
    assert.deepEqual(by.good.notes, []);
    assert.equal(by.blank.score, 0);
    assert.ok(by.blank.cases.every((c) => /not written yet/.test(c.reason ?? "")), JSON.stringify(by.blank.cases[0]));
    assert.equal(by.throwing.score, 0);
    assert.match(by.throwing.cases[0].reason ?? "", /not graded: the notebook failed before tsgan\.grade\("gan-losses", …\) finished \(cell \d+(, line \d+)?: Error: a bug in the student's cell\)/);
    assert.equal(by.looping.score, 0);
    assert.match(by.looping.cases[0].reason ?? "", /(CellTimeout|NotebookTimeout)/);
    assert.equal(by.killing.score, 0);
    assert.match(by.killing.cases[0].reason ?? "", /KernelDied/);
    assert.equal(by.unrelated.maxScore, 0);
    assert.match(by.unrelated.notes[0], /not an assignment notebook/);
    for (const g of [by.blank, by.throwing, by.looping, by.killing]) assert.equal(g.maxScore, max);

    // one CSV row per student and case (one for the notebook that is not an assignment), and the JSON in full
    const csv = fs.readFileSync(path.join(out, "grades.csv"), "utf8").trim().split("\n");
    assert.equal(csv[0], "student,assignment,case,points,max_points,passed,reason");
    assert.equal(csv.length, 1 + 5 * GRADERS["gan-losses"].cases.length + 1);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, "grades.json"), "utf8")), JSON.parse(JSON.stringify(grades)));
    // the loop costs its time limit and no more; the others their run
    assert.ok(elapsed < 60 + 5 * 45, `grading took ${elapsed.toFixed(0)} s`);
    assert.equal(lines.length, 6);
  });
});
