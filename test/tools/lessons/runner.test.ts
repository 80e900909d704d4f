/**
 * The lesson runner against real tslab kernels: a passing notebook, a failing cell, a compile error, a cell
 * over its time limit, a kernel that exits mid-cell, parameter injection, and the written notebooks' format.
 * Kernels take seconds to start on a busy machine, so each group runs its notebooks in one call.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { NotebookResult, runNotebooks } from "../../../tools/lessons/runner";
import { INJECTED_TAG, Notebook, nbformatProblems, sourceText } from "../../../tools/lessons/notebook";
import { cellWith, fixture, isAlive, readJson, streamText, tempDir, withKernelPids } from "./helpers";

const KERNEL_TIMEOUT = 600_000;

function byName(results: NotebookResult[], name: string): NotebookResult {
  const result = results.find((r) => path.basename(r.notebook) === name);
  assert.ok(result, `no result for ${name}`);
  return result;
}

function assertValidExecuted(notebook: Notebook): void {
  assert.deepEqual(nbformatProblems(notebook), []);
  assert.equal(notebook.nbformat, 4);
  assert.equal(notebook.nbformat_minor, 5);
  assert.equal((notebook.metadata.kernelspec as { name: string }).name, "tsgan");
  assert.equal((notebook.metadata.language_info as { name: string }).name, "typescript");
}

describe("lessons: runner on tslab", function () {
  this.timeout(KERNEL_TIMEOUT);
  const outDir = tempDir("lessons-out");
  const logged: string[] = [];
  let results: NotebookResult[];
  let pids: number[];

  before(async function () {
    this.timeout(KERNEL_TIMEOUT);
    const names = ["passing.ipynb", "failing.ipynb", "compile-error.ipynb", "parameters.ipynb"];
    ({ value: results, pids } = await withKernelPids(() =>
      runNotebooks({ notebooks: names.map(fixture), profile: "smoke", outDir, log: (line) => logged.push(line) }),
    ));
  });

  it("runs every notebook even after one fails, one kernel each, and leaves no kernel behind", () => {
    assert.deepEqual(results.map((r) => [path.basename(r.notebook), r.ok]), [
      ["passing.ipynb", true],
      ["failing.ipynb", false],
      ["compile-error.ipynb", false],
      ["parameters.ipynb", true],
    ]);
    assert.equal(pids.length, 4);
    assert.deepEqual(pids.filter(isAlive), []);
  });

  it("collects stream text, the last expression's value and a plotly display from a passing notebook", () => {
    const result = byName(results, "passing.ipynb");
    assert.equal(result.error, undefined);
    assert.equal(result.output, path.join(outDir, "passing.ipynb"));
    const notebook = readJson(result.output);
    assertValidExecuted(notebook);
    assert.equal(streamText(cellWith(notebook, "greeting").outputs, "stdout"), "hello from tslab\nsecond line\n");
    // tslab prints a cell's last expression to stdout instead of sending execute_result
    assert.equal(streamText(cellWith(notebook, "6 * 7").outputs, "stdout"), "42\n");
    const plot = cellWith(notebook, "vnd.plotly").outputs ?? [];
    assert.equal(plot.length, 1);
    assert.equal(plot[0].output_type, "display_data");
    assert.deepEqual((plot[0].data as Record<string, unknown>)["application/vnd.plotly.v1+json"], {
      data: [{ x: [1, 2, 3], y: [2, 4, 8], type: "scatter" }],
      layout: { title: "doubling" },
    });
    // newDisplay: one output, updated in place to the last value
    const live = cellWith(notebook, "newDisplay").outputs ?? [];
    assert.deepEqual(live, [{ output_type: "display_data", data: { "text/plain": ["step 3"] }, metadata: {} }]);
    // every executed cell records when it started and ended (nbclient's metadata.execution)
    for (const cell of notebook.cells.filter((c) => c.cell_type === "code" && sourceText(c.source).trim() !== "")) {
      const times = cell.metadata.execution as Record<string, string>;
      const [request, reply] = [Date.parse(times["shell.execute_request"]), Date.parse(times["shell.execute_reply"])];
      assert.ok(Number.isFinite(request) && reply >= request, JSON.stringify(times));
    }
    const mixed = cellWith(notebook, "a warning").outputs;
    assert.equal(streamText(mixed, "stderr"), "a warning on stderr\n");
    assert.equal(streamText(mixed, "stdout"), "done\n");
    const counts = notebook.cells.filter((c) => c.cell_type === "code").map((c) => c.execution_count);
    assert.deepEqual(counts, [1, 2, 3, 4, 5]);
    assert.match(logged.join("\n"), /^ok +passing\.ipynb +\(\d+\.\d s\)$/m);
  });

  it("names the notebook, cell, line and error of a failing cell, and runs no later cell", () => {
    const result = byName(results, "failing.ipynb");
    assert.equal(result.ok, false);
    assert.ok(result.error);
    assert.equal(result.error.cell, 3); // markdown, print, failing cell
    assert.equal(result.error.line, 8); // checkShape(values.length);
    assert.equal(result.error.ename, "RangeError");
    assert.equal(result.error.evalue, "expected 3 values, got 2");
    assert.ok(result.error.traceback.includes("RangeError: expected 3 values, got 2"));
    assert.ok(!result.error.traceback.some((line) => /tslab[\\/]dist|node:vm/.test(line)), "tslab's own frames are dropped");
    const notebook = readJson(result.output);
    assertValidExecuted(notebook);
    const failing = cellWith(notebook, "checkShape(values.length)");
    assert.equal(failing.execution_count, 2);
    assert.deepEqual(failing.outputs?.map((o) => [o.output_type, o.ename, o.evalue]), [["error", "RangeError", "expected 3 values, got 2"]]);
    const later = cellWith(notebook, "must not run");
    assert.deepEqual(later.outputs, []);
    assert.equal(later.execution_count, null);
    assert.equal((notebook.metadata.tsgan as { run: { ok: boolean } }).run.ok, false);
    const log = logged.join("\n");
    assert.match(log, /^FAILED +failing\.ipynb/m);
    assert.match(log, /failing\.ipynb, cell 3, line 8: RangeError: expected 3 values, got 2/);
    assert.match(log, /\| +at checkShape \(evalmachine/);
  });

  it("reports a TypeScript compile error with its line", () => {
    const { error } = byName(results, "compile-error.ipynb");
    assert.deepEqual(error && [error.cell, error.line, error.ename, error.evalue], [
      1,
      2,
      "CompileError",
      "Type 'string' is not assignable to type 'number'.",
    ]);
  });

  it("injects the profile's parameters in a tagged cell after the parameters cell", () => {
    const result = byName(results, "parameters.ipynb");
    assert.ok(result.ok);
    const notebook = readJson(result.output);
    assertValidExecuted(notebook);
    const at = notebook.cells.findIndex((c) => c.metadata.tags?.includes("parameters"));
    const injected = notebook.cells[at + 1];
    assert.deepEqual(injected.metadata.tags, [INJECTED_TAG]);
    assert.match(sourceText(injected.source), /^steps = 20;\nlabel = "smoke run";$/m);
    assert.equal(streamText(cellWith(notebook, "console.log(`steps=").outputs, "stdout"), "steps=20 label=smoke run\n");
    assert.deepEqual((notebook.metadata.tsgan as { run: { parameters: unknown } }).run.parameters, { steps: 20, label: "smoke run" });
  });

  it("runs the defaults, with no injected cell, for a profile without values", async () => {
    const [result] = await runNotebooks({ notebooks: [fixture("parameters.ipynb")], profile: "quick", outDir, log: () => undefined });
    assert.ok(result.ok);
    const notebook = readJson(result.output);
    assert.ok(!notebook.cells.some((c) => c.metadata.tags?.includes(INJECTED_TAG)));
    assert.equal(streamText(cellWith(notebook, "console.log(`steps=").outputs, "stdout"), "steps=1000 label=default\n");
  });
});

describe("lessons: runner when a kernel does not come back", function () {
  this.timeout(KERNEL_TIMEOUT);
  const outDir = tempDir("lessons-out");
  let results: NotebookResult[];
  let pids: number[];

  before(async function () {
    this.timeout(KERNEL_TIMEOUT);
    ({ value: results, pids } = await withKernelPids(() =>
      runNotebooks({
        notebooks: [fixture("timeout.ipynb"), fixture("kernel-exit.ipynb")],
        profile: "smoke",
        outDir,
        cellTimeoutMs: 8000,
        log: () => undefined,
      }),
    ));
  });

  it("stops a cell over its time limit with a clear error and kills its kernel", () => {
    const result = byName(results, "timeout.ipynb");
    assert.ok(result.error);
    assert.equal(result.error.cell, 2);
    assert.equal(result.error.ename, "CellTimeout");
    assert.match(result.error.evalue, /longer than its limit of 8 s; the cell was interrupted and its kernel killed/);
    const notebook = readJson(result.output);
    assertValidExecuted(notebook);
    assert.equal(cellWith(notebook, "1e9").outputs?.at(-1)?.ename, "CellTimeout");
    assert.deepEqual(cellWith(notebook, "must not run").outputs, []);
    assert.equal(isAlive(pids[0]), false);
  });

  it("ends a notebook whose kernel exits mid-cell with a clear error", () => {
    const result = byName(results, "kernel-exit.ipynb");
    assert.ok(result.error);
    assert.equal(result.error.cell, 2);
    assert.equal(result.error.ename, "KernelDied");
    assert.match(result.error.evalue, /the kernel process \(pid \d+\) exited with code 3/);
    const notebook = readJson(result.output);
    assertValidExecuted(notebook);
    assert.equal(streamText(cellWith(notebook, "process.exit(3)").outputs, "stdout"), "exiting now\n");
    assert.deepEqual(cellWith(notebook, "must not run").outputs, []);
    assert.equal(isAlive(pids[1]), false);
  });
});

describe("lessons: npm run lessons", function () {
  this.timeout(KERNEL_TIMEOUT);

  it("prints one line per notebook and a summary, and exits 1 when a notebook failed", () => {
    const outDir = tempDir("lessons-cli");
    const cli = path.join(__dirname, "..", "..", "..", "tools", "lessons", "cli.js");
    const run = spawnSync(process.execPath, [cli, "--profile", "smoke", "--out", outDir, fixture("compile-error.ipynb")], {
      encoding: "utf8",
      timeout: KERNEL_TIMEOUT,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /^FAILED +compile-error\.ipynb +\(\d+\.\d s\)$/m);
    assert.match(run.stdout, /compile-error\.ipynb, cell 1, line 2: CompileError/);
    assert.match(run.stdout, /1 notebook\(s\): 0 ok, 1 failed \(profile smoke/);
    assert.ok(fs.existsSync(path.join(outDir, "compile-error.ipynb")));
  });
});
