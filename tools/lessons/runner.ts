/**
 * The lesson runner: executes notebooks cell by cell on a fresh tslab kernel each and writes the executed
 * notebooks (nbformat 4.5) to `outDir`.
 *
 * Parameters (the papermill convention, adapted to TypeScript):
 *  - A lesson's code cell tagged `parameters` declares its tunable values with `let` and holds the defaults:
 *        let steps = 2000;
 *        let batchSize = 64;
 *  - The notebook's metadata gives each profile's values:
 *        "metadata": { "tsgan": { "profiles": {
 *            "smoke": { "steps": 20, "batchSize": 8 },   // CI: every lesson in seconds
 *            "quick": { "steps": 300 },                  // a reader's run: minutes (the default profile)
 *            "full":  { "steps": 20000 } } } }           // the paper's settings
 *  - The runner inserts a code cell right after the parameters cell, tagged `injected-parameters`, that
 *    assigns the chosen profile's values (`steps = 20;`, values written as JSON). A profile without an entry
 *    injects nothing and the defaults run. A profile with values but no `parameters` cell is an error.
 *
 * Failures: the first failing cell stops its notebook (later cells keep no outputs); the error names the
 * notebook, the cell (1-based position in the source notebook, as a reader counts them; the injected cell
 * counts as its parameters cell) and the line in that cell where it can be found. A cell over its time limit
 * is interrupted (SIGINT) and its kernel killed; a kernel that exits, or stops answering its heartbeat between
 * cells, ends the notebook with a clear error. Every kernel is killed, with its process group, when its
 * notebook ends, when the runner fails, and when the runner gets SIGINT or SIGTERM.
 */
import * as fs from "fs";
import * as path from "path";
import { Kernel, KernelError, defaultTslabBin, formatMs, killAllKernels } from "./kernel";
import { cellFrame, compileLikeTslab, mapJsLineToSource, parseTslabError } from "./errors";
import { kernelspecMetadata } from "./kernelspec";
import {
  Cell,
  Notebook,
  Output,
  OutputCollector,
  ensureCellIds,
  hasTag,
  injectParameters,
  INJECTED_TAG,
  profileParameters,
  readNotebook,
  serializeOutputs,
  sourceText,
} from "./notebook";

export type Profile = "smoke" | "quick" | "full";

export const PROFILES: readonly Profile[] = ["smoke", "quick", "full"];

export interface RunOptions {
  notebooks: string[];
  profile: Profile;
  outDir: string;
  /** Time limit of one cell (default 10 min). */
  cellTimeoutMs?: number;
  /** Time limit of one notebook, all cells together (default 60 min). */
  notebookTimeoutMs?: number;
  /** Where progress and errors go, line by line (default: stdout). */
  log?: (line: string) => void;
  /** Extra environment variables for each kernel (the grader's TSGAN_GRADE_OUT). */
  env?: Record<string, string>;
  /**
   * Run the cells after a failing one too, while its kernel lives (grading: a student's broken cell must not
   * cost the grades of the cells after it). The result still reports the first error. Default false.
   */
  keepGoing?: boolean;
}

export interface NotebookResult {
  notebook: string;
  /** The executed notebook's path. */
  output: string;
  ok: boolean;
  seconds: number;
  error?: { cell: number; line?: number; ename: string; evalue: string; traceback: string[] };
  /** With `keepGoing`: every cell that failed, in order (the first is `error`). */
  errors?: { cell: number; line?: number; ename: string; evalue: string; traceback: string[] }[];
}

type RunError = NonNullable<NotebookResult["error"]>;

export const DEFAULT_CELL_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_NOTEBOOK_TIMEOUT_MS = 60 * 60_000;
/** How long an idle kernel may take to answer a heartbeat between cells before it counts as hung. */
const HEARTBEAT_TIMEOUT_MS = 30_000;

/** Run `opts.notebooks` one after the other; a failing notebook does not stop the others. */
export async function runNotebooks(opts: RunOptions): Promise<NotebookResult[]> {
  const log = opts.log ?? ((line: string) => console.log(line));
  if (!PROFILES.includes(opts.profile)) {
    throw new Error(`Unknown profile ${JSON.stringify(opts.profile)}: use one of ${PROFILES.join(", ")}`);
  }
  fs.mkdirSync(opts.outDir, { recursive: true });
  const onSignal = (signal: NodeJS.Signals) => {
    killAllKernels();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    process.kill(process.pid, signal); // the default action now: exit as the signal says
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const results: NotebookResult[] = [];
  try {
    for (const notebook of opts.notebooks) {
      const result = await runNotebook(notebook, opts);
      results.push(result);
      log(describeResult(result));
    }
  } finally {
    killAllKernels();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  return results;
}

/** One line per notebook, and for a failure the place, the error and its traceback. */
export function describeResult(result: NotebookResult): string {
  const name = path.basename(result.notebook);
  const head = `${result.ok ? "ok    " : "FAILED"}  ${name}  (${result.seconds.toFixed(1)} s)`;
  if (!result.error) return head;
  const { cell, line, ename, evalue, traceback } = result.error;
  const place = `${name}, cell ${cell}${line !== undefined ? `, line ${line}` : ""}`;
  return [head, `    ${place}: ${ename}: ${evalue}`, ...traceback.map((text) => `    | ${text}`)].join("\n");
}

interface Plan {
  notebook: Notebook;
  /** For each cell of the executed notebook, its 1-based number in the source notebook. */
  sourceNumber: number[];
}

function plan(file: string, profile: Profile): Plan {
  const notebook = readNotebook(file);
  const injectedAt = injectParameters(notebook, profile);
  ensureCellIds(notebook.cells);
  const sourceNumber: number[] = [];
  let number = 0;
  notebook.cells.forEach((_, i) => {
    if (i !== injectedAt) number++;
    sourceNumber.push(number);
  });
  return { notebook, sourceNumber };
}

async function runNotebook(file: string, opts: RunOptions): Promise<NotebookResult> {
  const started = Date.now();
  const output = path.join(opts.outDir, `${path.basename(file, ".ipynb")}.ipynb`);
  const seconds = () => (Date.now() - started) / 1000;
  let planned: Plan;
  try {
    planned = plan(file, opts.profile);
  } catch (error) {
    const message = (error as Error).message;
    return { notebook: file, output, ok: false, seconds: seconds(), error: { cell: 0, ename: "NotebookError", evalue: message, traceback: [message] } };
  }
  const { notebook, sourceNumber } = planned;
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "code") continue;
    cell.outputs = [];
    cell.execution_count = null;
  }
  const collectors = new Map<Cell, OutputCollector>();
  let error: RunError | undefined;
  const errors: RunError[] = [];
  let languageInfo: Record<string, unknown> = { name: "typescript" };
  const cellTimeoutMs = opts.cellTimeoutMs ?? DEFAULT_CELL_TIMEOUT_MS;
  const deadline = started + (opts.notebookTimeoutMs ?? DEFAULT_NOTEBOOK_TIMEOUT_MS);
  let kernel: Kernel | undefined;
  try {
    kernel = await Kernel.start({ cwd: path.dirname(path.resolve(file)), env: opts.env });
    languageInfo = { ...kernel.languageInfo };
    const displays = new Map<string, Output[]>();
    let kernelGone = false;
    const stopped = () => error !== undefined && (!opts.keepGoing || kernelGone || kernel === undefined || kernel.exited);
    for (let i = 0; i < notebook.cells.length && !stopped(); i++) {
      const cell = notebook.cells[i];
      const code = sourceText(cell.source);
      if (cell.cell_type !== "code" || code.trim() === "") continue;
      const collector = new OutputCollector(displays);
      collectors.set(cell, collector);
      const cellStarted = new Date();
      const failed = await runCell(kernel, code, collector, cell, {
        cell: sourceNumber[i],
        timeoutMs: Math.min(cellTimeoutMs, deadline - Date.now()),
        notebookLimited: deadline - Date.now() < cellTimeoutMs,
        notebookTimeoutMs: opts.notebookTimeoutMs ?? DEFAULT_NOTEBOOK_TIMEOUT_MS,
      });
      // nbclient's convention, so Jupyter's tools (and a reader hunting the slow cell) can see each cell's time
      cell.metadata = {
        ...cell.metadata,
        execution: { "shell.execute_request": cellStarted.toISOString(), "shell.execute_reply": new Date().toISOString() },
      };
      if (failed) {
        errors.push(failed);
        error ??= failed;
        // a timeout, a dead or hung kernel: no later cell can run
        if (KERNEL_ENDING.has(failed.ename)) kernelGone = true;
      }
    }
  } catch (thrown) {
    // the kernel could not start
    const message = (thrown as Error).message;
    error = { cell: 0, ename: thrown instanceof KernelError ? "KernelError" : "Error", evalue: message, traceback: message.split("\n") };
  } finally {
    await kernel?.shutdown();
  }
  for (const [cell, collector] of collectors) cell.outputs = serializeOutputs(collector.outputs);
  const ok = error === undefined;
  writeExecuted(output, notebook, {
    languageInfo,
    run: {
      profile: opts.profile,
      parameters: profileParameters(notebook, opts.profile) ?? {},
      ok,
      seconds: +seconds().toFixed(3),
      ...(error ? { error: { cell: error.cell, line: error.line ?? null, ename: error.ename, evalue: error.evalue } } : {}),
    },
  });
  return { notebook: file, output, ok, seconds: seconds(), ...(error ? { error } : {}), ...(opts.keepGoing && errors.length > 0 ? { errors } : {}) };
}

/** Errors after which the notebook's kernel is gone (killed, dead or hung). */
const KERNEL_ENDING = new Set(["NotebookTimeout", "CellTimeout", "KernelDied", "KernelHung", "KernelError"]);

interface CellContext {
  cell: number;
  timeoutMs: number;
  notebookLimited: boolean;
  notebookTimeoutMs: number;
}

/** Execute one cell; undefined when it succeeded, else the error (also recorded in the cell's outputs). */
async function runCell(
  kernel: Kernel,
  code: string,
  collector: OutputCollector,
  cell: Cell,
  context: CellContext,
): Promise<RunError | undefined> {
  const injected = hasTag(cell, INJECTED_TAG) ? " (the injected parameters)" : "";
  const fail = (ename: string, evalue: string, traceback: string[], line?: number): RunError => {
    collector.outputs.push({ output_type: "error", ename, evalue, traceback });
    return { cell: context.cell, ...(line !== undefined ? { line } : {}), ename, evalue: evalue + injected, traceback };
  };
  if (context.timeoutMs <= 0) {
    return fail("NotebookTimeout", `the notebook ran longer than its limit of ${formatMs(context.notebookTimeoutMs)}`, []);
  }
  if (!(await kernel.ping(HEARTBEAT_TIMEOUT_MS))) {
    if (kernel.exited) return fail("KernelDied", kernel.diedError().message, []);
    return fail("KernelHung", `the kernel stopped answering its heartbeat for ${formatMs(HEARTBEAT_TIMEOUT_MS)} before this cell`, []);
  }
  try {
    const reply = await kernel.execute(code, context.timeoutMs, (msg) => collector.add(msg));
    cell.execution_count = reply.execution_count ?? null;
    if (reply.status === "ok") return undefined;
    if (reply.status === "abort") {
      return fail("Aborted", "the kernel aborted the cell because an earlier request failed", []);
    }
    return cellError(code, collector, fail, reply);
  } catch (thrown) {
    if (!(thrown instanceof KernelError)) throw thrown;
    if (thrown.failure === "timeout") {
      // interrupt to learn where it was stuck (tslab prints the interrupted stack), then the kernel goes
      const responsive = await kernel.interrupt(3000);
      if (responsive) await new Promise((resolve) => setTimeout(resolve, 500)); // the interrupt's stderr
      kernel.kill();
      const stuck = collector.lastStderr();
      const traceback = stuck ? stuck.text.replace(/\s+$/, "").split("\n") : [];
      if (stuck) collector.outputs.splice(stuck.index, 1);
      const what = context.notebookLimited
        ? `the notebook reached its limit of ${formatMs(context.notebookTimeoutMs)} in this cell`
        : thrown.message;
      return fail(context.notebookLimited ? "NotebookTimeout" : "CellTimeout", `${what}; the cell was interrupted and its kernel killed`, traceback);
    }
    return fail(thrown.failure === "died" ? "KernelDied" : "KernelError", thrown.message, thrown.message.split("\n"));
  }
}

/** The error of a cell whose reply said "error": from an `error` message if any, else from tslab's stderr. */
function cellError(
  code: string,
  collector: OutputCollector,
  fail: (ename: string, evalue: string, traceback: string[], line?: number) => RunError,
  reply: { ename?: string; evalue?: string; traceback?: string[] },
): RunError {
  const sent = collector.outputs.find((output) => output.output_type === "error");
  if (sent) {
    collector.outputs.splice(collector.outputs.indexOf(sent), 1);
    return fail(String(sent.ename), String(sent.evalue), sent.traceback as string[]);
  }
  const stderr = collector.lastStderr();
  if (!stderr) {
    return fail(reply.ename ?? "Error", reply.evalue ?? "the cell failed without printing an error", reply.traceback ?? []);
  }
  collector.outputs.splice(stderr.index, 1); // becomes the error output, which keeps all its text
  const parsed = parseTslabError(stderr.text);
  let line = parsed.line;
  if (line === undefined && parsed.jsFrames) {
    const compiled = compileLikeTslab(code, path.dirname(path.dirname(fs.realpathSync(defaultTslabBin()))));
    const jsLine = compiled === undefined ? undefined : cellFrame(parsed.jsFrames, compiled);
    if (compiled !== undefined && jsLine !== undefined) line = mapJsLineToSource(code, compiled, jsLine);
  }
  return fail(parsed.ename, parsed.evalue, parsed.traceback, line);
}

function writeExecuted(
  file: string,
  notebook: Notebook,
  extra: { languageInfo: Record<string, unknown>; run: Record<string, unknown> },
): void {
  const tsgan = (notebook.metadata.tsgan as Record<string, unknown> | undefined) ?? {};
  const executed: Notebook = {
    ...notebook,
    nbformat: 4,
    nbformat_minor: Math.max(5, notebook.nbformat_minor ?? 0),
    metadata: {
      ...notebook.metadata,
      kernelspec: kernelspecMetadata(),
      language_info: extra.languageInfo,
      tsgan: { ...tsgan, run: extra.run },
    },
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(executed, null, 1) + "\n");
}
