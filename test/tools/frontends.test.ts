/**
 * Plots in the front ends readers use, for real: Debian's classic Jupyter Notebook (6.4) serving a lesson
 * that headless Chromium opens and runs with "Run All", and `jupyter nbconvert --to html` exports of executed
 * lessons opened in Chromium, with scripts and without (as GitHub's viewer shows a notebook). No plotly
 * renderer is installed in any of them: every chart must come from the figure's own HTML and the plotly.js
 * the notebook carries.
 *
 * The lesson is 00-welcome at the smoke profile (a static figure and a live plot, seconds to run).
 * Jupyter gets temporary JUPYTER_* directories holding only this project's kernelspec, a free loopback port
 * and a random token; the server and its kernels are shut down at the end even when a test fails, and a
 * kernel still running after that fails the run.
 *
 * Skipped, saying why, where `jupyter notebook`, `jupyter nbconvert` or /usr/bin/chromium is missing
 * (`.ci/run` installs them from Debian).
 */
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { installKernelspec, KERNEL_NAME } from "../../tools/lessons/kernelspec";
import { projectRoot } from "../../tools/lessons/kernel";
import { ensureCellIds, injectParameters, Notebook, readNotebook, sourceText } from "../../tools/lessons/notebook";
import { runNotebooks } from "../../tools/lessons/runner";
import { PLOTLYJS_MARKER } from "../../lib/plots/plotlyjs";
import { PLOTLY_MIME } from "../../lib/plots/plotly";

const CHROMIUM = "/usr/bin/chromium";
/** The flags this project runs Chromium with: headless, and nothing that reaches for the network. */
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const LESSON = "00-welcome.ipynb";

function runs(command: string, args: string[]): boolean {
  const probe = spawnSync(command, args, { stdio: "ignore", timeout: 60_000 });
  return !probe.error && probe.status === 0;
}

/** Why the front ends cannot be tested here, or undefined when they can. */
function missing(): string | undefined {
  if (process.platform !== "linux") return "these tests use Debian's packages and /proc (Linux only)";
  if (!runs("jupyter", ["notebook", "--version"])) return "`jupyter notebook` is not installed (Debian: apt install jupyter-notebook)";
  if (!runs("jupyter", ["nbconvert", "--version"])) return "`jupyter nbconvert` is not installed (Debian: apt install jupyter-nbconvert)";
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} not found (Debian: apt install chromium)`;
  try {
    require.resolve("playwright-core");
  } catch {
    return "playwright-core is not installed (npm install)";
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pids of processes whose command line mentions `marker` (our temporary Jupyter runtime directory). */
function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const state = fs.readFileSync(`/proc/${entry}/stat`, "utf8").replace(/^.*\) /, "")[0];
      if (cmdline.includes(marker) && state !== "Z") pids.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return pids;
}

/** The lesson at the smoke profile, as a reader would open it after `npm run lessons -- --profile smoke` injected its values. */
function smokeLesson(): Notebook {
  const notebook = readNotebook(path.join(projectRoot(), "notebooks", LESSON));
  injectParameters(notebook, "smoke");
  ensureCellIds(notebook.cells);
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "code") continue;
    cell.outputs = [];
    cell.execution_count = null;
  }
  return notebook;
}

/** How many figures the lesson's code shows: each showPlot and livePlot call is one (00-welcome has no loops over them). */
function figuresInSource(notebook: Notebook): number {
  const code = notebook.cells.filter((c) => c.cell_type === "code").map((c) => sourceText(c.source)).join("\n");
  return (code.match(/\b(showPlot|livePlot)\(/g) ?? []).length;
}

/** Outputs of a saved notebook: how many are figures (the plotly mime type) and how many carry plotly.js. */
function savedOutputs(file: string): { figures: number; loaders: number; bytes: number } {
  const text = fs.readFileSync(file, "utf8");
  const notebook = JSON.parse(text) as Notebook;
  let figures = 0;
  let loaders = 0;
  for (const cell of notebook.cells) {
    for (const output of cell.outputs ?? []) {
      const data = (output.data ?? {}) as Record<string, unknown>;
      if (data[PLOTLY_MIME]) figures++;
      const html = data["text/html"];
      if (html !== undefined && sourceText(html as string | string[]).includes(PLOTLYJS_MARKER)) loaders++;
    }
  }
  return { figures, loaders, bytes: Buffer.byteLength(text) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Page = any;

/** What a page shows of its plots: per `.tsgan-plot` element, plotly's SVG layers and traces, and its text. */
async function plotsOnPage(page: Page): Promise<Array<{ svgs: number; traces: number; text: string }>> {
  return page.$$eval(".tsgan-plot", (els: Element[]) =>
    els.map((el) => ({
      svgs: el.querySelectorAll("svg.main-svg").length,
      traces: el.querySelectorAll("g.trace").length,
      text: (el as HTMLElement).innerText,
    })),
  );
}

describe("plots in real front ends (classic Notebook, nbconvert HTML, Chromium)", function () {
  this.timeout(240_000);
  const why = missing();
  let home: string;
  let env: NodeJS.ProcessEnv;
  let runtimeDir: string;
  let work: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let browser: any;
  let server: ChildProcess | undefined;
  let serverLog = "";
  let base = "";
  let token = "";
  let expectedFigures = 0;

  before(async function () {
    if (why) {
      console.log(`      (skipped: ${why})`);
      this.skip();
    }
    home = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-frontends-"));
    const dataDir = path.join(home, "data");
    runtimeDir = path.join(home, "runtime");
    installKernelspec({ dataDir });
    env = {
      ...process.env,
      JUPYTER_PATH: dataDir, // only our kernelspec; nothing of the user's Jupyter set-up is read or written
      JUPYTER_DATA_DIR: dataDir,
      JUPYTER_RUNTIME_DIR: runtimeDir,
      JUPYTER_CONFIG_DIR: path.join(home, "config"),
      IPYTHONDIR: path.join(home, "ipython"),
    };
    // The notebook lives outside the project; `import "tsgan"` resolves through this link, as in notebooks/.
    work = path.join(home, "work");
    fs.mkdirSync(work);
    fs.symlinkSync(path.join(projectRoot(), "node_modules"), path.join(work, "node_modules"), "dir");
    const lesson = smokeLesson();
    expectedFigures = figuresInSource(lesson);
    assert.ok(expectedFigures >= 2, `${LESSON} should show a static figure and a live plot; its code shows ${expectedFigures} figure(s)`);
    fs.writeFileSync(path.join(work, LESSON), JSON.stringify(lesson, null, 1));

    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close().catch(() => undefined);
    if (server) await stopServer();
    if (!home) return;
    // Anything still running with our runtime directory on its command line is a kernel Jupyter left behind.
    const left = processesMentioning(runtimeDir);
    for (const pid of left) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    process.removeListener("exit", killEverything);
    fs.rmSync(home, { recursive: true, force: true });
    assert.deepEqual(left, [], `kernel process(es) ${left.join(", ")} outlived the Jupyter server (killed now)`);
  });

  async function startServer(): Promise<void> {
    const port = await freePort();
    token = randomBytes(24).toString("hex");
    base = `http://127.0.0.1:${port}`;
    const args = [
      "notebook", "--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0",
      `--NotebookApp.token=${token}`, `--notebook-dir=${work}`,
      ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
    ];
    server = spawn("jupyter", args, { env, cwd: work, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    process.on("exit", killEverything);
    const keep = (chunk: Buffer) => { serverLog = (serverLog + chunk.toString("utf8")).slice(-8000); };
    server.stdout?.on("data", keep);
    server.stderr?.on("data", keep);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (server.exitCode !== null || server.signalCode !== null) {
        throw new Error(`jupyter notebook exited (${server.exitCode ?? server.signalCode}) before answering:\n${serverLog}`);
      }
      const status = await fetch(`${base}/api/status?token=${token}`).then((r) => r.status, () => 0);
      if (status === 200) return;
      if (Date.now() > deadline) throw new Error(`jupyter notebook did not answer on ${base} within 60 s:\n${serverLog}`);
      await sleep(250);
    }
  }

  /**
   * The last resort, synchronous for an `exit` handler (mocha exits even when a hook timed out): SIGKILL the
   * server's process group and every kernel started with our runtime directory.
   */
  function killEverything(): void {
    const pids = [...(server?.pid !== undefined && server.exitCode === null && server.signalCode === null ? [-server.pid] : []), ...processesMentioning(runtimeDir)];
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  /** Shut every kernel down through the REST API, then the server; force what does not go. */
  async function stopServer(): Promise<void> {
    const api = (p: string, method = "GET") => fetch(`${base}${p}?token=${token}`, { method });
    try {
      const kernels = (await (await api("/api/kernels")).json()) as Array<{ id: string }>;
      for (const { id } of kernels) await api(`/api/kernels/${id}`, "DELETE");
      await api("/api/shutdown", "POST");
    } catch {
      // the server is not answering: the signals below end it
    }
    const proc = server as ChildProcess;
    const exited = () => proc.exitCode !== null || proc.signalCode !== null;
    for (const [signal, waitMs] of [[null, 10_000], ["SIGTERM", 10_000], ["SIGKILL", 5_000]] as const) {
      if (signal && !exited()) {
        try {
          process.kill(-(proc.pid as number), signal); // its process group
        } catch {
          // gone
        }
      }
      const until = Date.now() + waitMs;
      while (!exited() && Date.now() < until) await sleep(100);
      if (exited()) break;
    }
    server = undefined;
  }

  /** Opens `url`, recording uncaught page errors. */
  async function open(url: string, options: { javaScriptEnabled?: boolean } = {}) {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, ...options });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e: Error) => errors.push(e.message));
    await page.goto(url, { waitUntil: "load" });
    return { context, page, errors };
  }

  /** Waits until `count` plots are drawn on the page, then returns what is there. */
  async function drawnPlots(page: Page, count: number) {
    await page
      .waitForFunction((n: number) => document.querySelectorAll(".tsgan-plot svg.main-svg").length > 0 &&
        Array.from(document.querySelectorAll(".tsgan-plot")).filter((el) => el.querySelector("svg.main-svg")).length >= n, count, { timeout: 30_000 })
      .catch(() => undefined); // the assertions below say what is missing
    await sleep(300); // a plot drawn twice would show now
    return plotsOnPage(page);
  }

  function assertAllDrawn(plots: Array<{ svgs: number; traces: number; text: string }>, where: string): void {
    assert.equal(plots.length, expectedFigures, `${where}: ${plots.length} figure outputs, expected ${expectedFigures}: ${JSON.stringify(plots)}`);
    plots.forEach((p, i) => {
      assert.ok(p.svgs > 0, `${where}: figure ${i + 1} was not drawn; it shows: ${p.text}`);
      assert.ok(p.traces > 0, `${where}: figure ${i + 1} has no traces`);
    });
  }

  it("the classic Notebook runs the lesson (Run All) and draws one chart per figure, with no setup step", async function () {
    const started = Date.now();
    await startServer();
    const { context, page, errors } = await open(`${base}/notebooks/${LESSON}?token=${token}`);
    try {
      await page.waitForFunction(
        () => {
          const nb = (window as any).Jupyter?.notebook; // eslint-disable-line @typescript-eslint/no-explicit-any
          return nb && nb._fully_loaded && nb.kernel && nb.kernel.info_reply && nb.kernel.info_reply.language_info;
        },
        null,
        { timeout: 90_000 },
      ).catch(() => {
        throw new Error(`the notebook page never connected to the ${KERNEL_NAME} kernel; server log:\n${serverLog}`);
      });
      const codeCells: number = await page.evaluate(() => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const w = window as any;
        w.tsganReplies = [];
        const proto = w.IPython.CodeCell.prototype;
        const original = proto._handle_execute_reply;
        // Every execute_reply, with its status: tslab reports a failed cell only there (and on stderr).
        proto._handle_execute_reply = function (msg: { content: { status: string; ename?: string; evalue?: string } }) {
          w.tsganReplies.push({ cell: w.Jupyter.notebook.find_cell_index(this), ...msg.content });
          return original.apply(this, arguments);
        };
        const cells = w.Jupyter.notebook.get_cells().filter((c: any) => c.cell_type === "code" && c.get_text().trim() !== ""); // eslint-disable-line @typescript-eslint/no-explicit-any
        w.Jupyter.notebook.execute_all_cells();
        return cells.length;
      });
      await page.waitForFunction((n: number) => (window as any).tsganReplies.length >= n, codeCells, { timeout: 150_000 }); // eslint-disable-line @typescript-eslint/no-explicit-any
      const replies: Array<{ cell: number; status: string; ename?: string; evalue?: string }> = await page.evaluate(() => (window as any).tsganReplies); // eslint-disable-line @typescript-eslint/no-explicit-any
      const failed = replies.filter((r) => r.status !== "ok");
      const stderr: string = await page.evaluate(() =>
        (window as any).Jupyter.notebook.get_cells() // eslint-disable-line @typescript-eslint/no-explicit-any
          .flatMap((c: any) => (c.output_area ? c.output_area.outputs : [])) // eslint-disable-line @typescript-eslint/no-explicit-any
          .filter((o: any) => o.output_type === "stream" && o.name === "stderr") // eslint-disable-line @typescript-eslint/no-explicit-any
          .map((o: any) => o.text) // eslint-disable-line @typescript-eslint/no-explicit-any
          .join(""),
      );
      assert.deepEqual(failed, [], `cells failed in the classic Notebook; stderr:\n${stderr}`);
      assert.equal(replies.length, codeCells);
      const modelFigures: number = await page.evaluate((mime: string) =>
        (window as any).Jupyter.notebook.get_cells() // eslint-disable-line @typescript-eslint/no-explicit-any
          .flatMap((c: any) => (c.output_area ? c.output_area.outputs : [])) // eslint-disable-line @typescript-eslint/no-explicit-any
          .filter((o: any) => o.data && o.data[mime]).length, // eslint-disable-line @typescript-eslint/no-explicit-any
        PLOTLY_MIME,
      );
      assert.equal(modelFigures, expectedFigures, "figure outputs in the notebook");
      assertAllDrawn(await drawnPlots(page, expectedFigures), "classic Notebook");
      fs.mkdirSync(path.join(projectRoot(), "scratch", "frontends"), { recursive: true });
      await page.screenshot({ path: path.join(projectRoot(), "scratch", "frontends", "classic-notebook.png"), fullPage: true });
      // Save as a reader would; the file then holds plotly.js once, above the first figure.
      await page.evaluate(() => (window as any).Jupyter.notebook.save_notebook()); // eslint-disable-line @typescript-eslint/no-explicit-any
      const saved = savedOutputs(path.join(work, LESSON));
      assert.deepEqual([saved.figures, saved.loaders], [expectedFigures, 1], "the saved notebook: figures, copies of plotly.js");
      // Reopened later, the saved outputs draw again by themselves (the page runs no cell this time).
      assert.equal(await page.evaluate(() => (window as any).Jupyter.notebook.trusted), true, "the saved notebook is trusted, so its scripts run"); // eslint-disable-line @typescript-eslint/no-explicit-any
      await page.reload({ waitUntil: "load" });
      await page.waitForFunction(() => (window as any).Jupyter?.notebook?._fully_loaded, null, { timeout: 30_000 }); // eslint-disable-line @typescript-eslint/no-explicit-any
      assertAllDrawn(await drawnPlots(page, expectedFigures), "classic Notebook, reopened");
      assert.deepEqual(errors, [], "uncaught errors on the notebook page");
      console.log(`      (classic Notebook: ${((Date.now() - started) / 1000).toFixed(1)} s; saved notebook ${(saved.bytes / 1e6).toFixed(2)} MB)`);
    } finally {
      await context.close();
    }
  });

  /** Exports `notebook` with nbconvert --to html; returns the HTML file. */
  function exportHtml(notebook: string, outDir: string): string {
    const run = spawnSync("jupyter", ["nbconvert", "--to", "html", "--output-dir", outDir, notebook], { env, encoding: "utf8", timeout: 120_000 });
    assert.equal(run.status, 0, `jupyter nbconvert --to html failed:\n${run.stderr}`);
    const html = path.join(outDir, `${path.basename(notebook, ".ipynb")}.html`);
    assert.ok(fs.existsSync(html), `nbconvert wrote no ${html}`);
    return html;
  }

  async function checkExport(html: string, where: string): Promise<void> {
    {
      const { context, page, errors } = await open(`file://${html}`);
      try {
        assertAllDrawn(await drawnPlots(page, expectedFigures), where);
        assert.deepEqual(errors, [], `${where}: uncaught errors on the page`);
      } finally {
        await context.close();
      }
    }
    // A viewer that runs no scripts (GitHub's) shows each figure's description instead.
    const { context, page } = await open(`file://${html}`, { javaScriptEnabled: false });
    try {
      const plots = await plotsOnPage(page);
      assert.equal(plots.length, expectedFigures, `${where} without scripts: figure descriptions`);
      for (const p of plots) {
        assert.equal(p.svgs, 0);
        assert.match(p.text, /^Plotly figure "[^"]+"/, `${where} without scripts shows: ${p.text}`);
        assert.match(p.text, /\d+ (points|values), x -?[\d.]+ to -?[\d.]+/, `${where} without scripts: each trace's size and range`);
      }
    } finally {
      await context.close();
    }
  }

  it("the notebook saved from the classic Notebook, exported with nbconvert --to html, draws every chart", async function () {
    if (!fs.existsSync(path.join(work, LESSON)) || savedOutputs(path.join(work, LESSON)).figures === 0) this.skip(); // the test above failed first
    const started = Date.now();
    await checkExport(exportHtml(path.join(work, LESSON), path.join(home, "export-classic")), "nbconvert export of the classic Notebook's save");
    console.log(`      (export and both checks: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });

  it("the lesson executed by the runner (npm run lessons), exported with nbconvert --to html, draws every chart", async function () {
    const started = Date.now();
    const outDir = path.join(home, "runner-out");
    const [result] = await runNotebooks({
      notebooks: [path.join(projectRoot(), "notebooks", LESSON)], profile: "smoke", outDir, log: () => undefined,
    });
    assert.ok(result.ok, `the runner failed on ${LESSON}: ${result.error?.ename}: ${result.error?.evalue}`);
    const saved = savedOutputs(result.output);
    assert.deepEqual([saved.figures, saved.loaders], [expectedFigures, 1], "the executed notebook: figures, copies of plotly.js");
    await checkExport(exportHtml(result.output, path.join(home, "export-runner")), "nbconvert export of the runner's notebook");
    console.log(`      (run, export and both checks: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });
});
