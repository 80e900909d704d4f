import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { figureBundle, lineChart, PLOTLY_MIME } from "../../../lib/plots/plotly";
import { PLOTLYJS_MARKER, plotlyLoaderHtml } from "../../../lib/plots/plotlyjs";
import { imageGrid } from "../../../lib/plots/images";
import { renderMarkdown } from "../../../tools/site/markdown";
import { ansiToHtml, Notebook, NotebookCell } from "../../../tools/site/notebook";
import { buildSite, SiteResult } from "../../../tools/site/build";
import { parseArgs } from "../../../tools/site/start";

const markdown = (source: string): NotebookCell => ({ cell_type: "markdown", source, metadata: {} });
const code = (source: string, outputs: NotebookCell["outputs"], execution_count = 1): NotebookCell => ({
  cell_type: "code", source, metadata: {}, execution_count, outputs,
});
const notebook = (cells: NotebookCell[]): Notebook => ({
  nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
  cells: cells.map((c, i) => ({ id: `cell-${i}`, ...c })),
});

/** A 4x4 checkerboard PNG made by the library's own encoder, so the page shows a real image. */
export function fixturePng(): Uint8Array {
  const t = tf.tensor4d([-1, 1, -1, 1, 1, -1, 1, -1, -1, 1, -1, 1, 1, -1, 1, -1], [1, 4, 4, 1]);
  const grid = imageGrid(t, { scale: 8, padding: 0 });
  t.dispose();
  return grid.png;
}

/**
 * Writes three lessons: one that ran (maths, a plot, an image, text), one that failed, and one never run;
 * plus a course.md linking them and a lesson that does not exist yet.
 */
export function writeFixtures(dir: string): { lessons: string[]; executedDir: string; coursePath: string; png: Uint8Array } {
  const src = path.join(dir, "notebooks");
  const executedDir = path.join(dir, "out");
  fs.mkdirSync(src, { recursive: true });
  fs.mkdirSync(executedDir, { recursive: true });
  const png = fixturePng();
  const figure = lineChart([{ name: "D loss", y: [1.2, 0.9, 0.7, 0.69] }, { name: "G loss", y: [0.5, 0.8, 0.7, 0.71] }], { title: "Losses", xLabel: "step" });
  const good = notebook([
    markdown("# Welcome\n\nThe value function $V(D, G) = \\mathbb{E}_{x}[\\log D(x)]$ and \\(p_g\\).\n\n$$\nD^*(x) = \\frac{p_{data}(x)}{p_{data}(x) + p_g(x)}\n$$\n\nCosts $5, and `$x$` stays code. Next: [broken](01-broken.ipynb), [later](09-later.ipynb)."),
    code('import * as tsgan from "tsgan";\nconsole.log("<b>not bold</b>");', [{ output_type: "stream", name: "stdout", text: ["<b>not bold</b>\n"] }]),
    // As a kernel shows a session's first figure: the output carrying plotly.js, then the figure.
    code("tsgan.showPlot(fig);", [
      { output_type: "display_data", data: { "text/html": plotlyLoaderHtml(), "text/plain": "(plotly.js)" }, metadata: {} } as never,
      { output_type: "display_data", data: figureBundle(figure) as Record<string, unknown>, metadata: {} } as never,
    ], 2),
    code("tsgan.showImages(x);", [{ output_type: "display_data", data: { "image/png": Buffer.from(png).toString("base64"), "text/plain": "1 image" }, metadata: {} } as never], 3),
  ]);
  const bad = notebook([
    markdown("# Broken lesson"),
    code("const a = 1;", []),
    code("undefinedThing();", [{
      output_type: "error", ename: "ReferenceError", evalue: "undefinedThing is not defined",
      traceback: ["\u001b[31mReferenceError\u001b[0m: undefinedThing is not defined", "    at <cell 3>:1:1"],
    }], 2),
  ]);
  const unrun = notebook([markdown("# Not run yet"), code("1 + 1", [], null as never)]);
  const write = (file: string, nb: Notebook) => fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  write(path.join(src, "00-welcome.ipynb"), good);
  write(path.join(executedDir, "00-welcome.ipynb"), good);
  write(path.join(src, "01-broken.ipynb"), bad);
  write(path.join(executedDir, "01-broken.ipynb"), bad);
  write(path.join(src, "02-unrun.ipynb"), unrun);
  const coursePath = path.join(dir, "course.md");
  fs.writeFileSync(coursePath, "# The course\n\nMinimax: $\\min_G \\max_D V$.\n\n- [00-welcome](notebooks/00-welcome.ipynb)\n- [01-broken](notebooks/01-broken.ipynb)\n- [02-unrun](notebooks/02-unrun.ipynb)\n- [09-later](notebooks/09-later.ipynb)\n");
  return { lessons: ["00-welcome", "01-broken", "02-unrun"].map((n) => path.join(src, `${n}.ipynb`)), executedDir, coursePath, png };
}

describe("tools/site", () => {
  describe("markdown", () => {
    it("typesets inline and display maths with KaTeX and leaves code and prices alone", () => {
      const { html, mathErrors } = renderMarkdown("a $x_1$ b \\(y\\)\n\n$$\\frac{a}{b}$$\n\n\\[z\\]\n\n`$c$` costs $5 and $6\n\n```ts\nconst s = \"$d$\";\n```");
      assert.deepEqual(mathErrors, []);
      assert.equal((html.match(/class="katex"/g) ?? []).length, 4, "x_1, y, a/b, z");
      assert.equal((html.match(/class="katex-display"/g) ?? []).length, 2);
      assert.match(html, /<code>\$c\$<\/code>/);
      assert.match(html, /costs \$5 and \$6/);
      assert.match(html, /const s = &quot;\$d\$&quot;;/);
      // Underscores inside maths are not read as emphasis.
      assert.doesNotMatch(html, /<em>/);
    });

    it("reports maths KaTeX cannot parse and still shows it", () => {
      const { html, mathErrors } = renderMarkdown("bad $\\frac{1$ here");
      assert.equal(mathErrors.length, 1);
      assert.match(mathErrors[0], /KaTeX parse error.*\\frac\{1/);
      assert.match(html, /katex-error/);
    });
  });

  it("turns terminal colours into classes and escapes HTML", () => {
    assert.equal(ansiToHtml("\u001b[1;31mError\u001b[0m: <x>"), '<span class="ansi-bold ansi-fg-red">Error</span>: &lt;x&gt;');
    assert.equal(ansiToHtml("\u001b[2Kplain\u001b[94mblue"), 'plain<span class="ansi-fg-blue">blue</span>');
  });

  describe("buildSite", () => {
    let dir: string;
    let site: SiteResult;
    let png: Uint8Array;
    let fx: ReturnType<typeof writeFixtures>;
    const read = (file: string) => fs.readFileSync(path.join(dir, "site", file), "utf8");

    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-site-"));
      fx = writeFixtures(dir);
      png = fx.png;
      site = buildSite({ lessons: fx.lessons, executedDir: fx.executedDir, siteDir: path.join(dir, "site"), coursePath: fx.coursePath });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("gives each lesson a status and a page", () => {
      assert.deepEqual(site.pages.map((p) => [p.name, p.title, p.status, p.file]), [
        ["00-welcome", "Welcome", "ok", "00-welcome.html"],
        ["01-broken", "Broken lesson", "failed", "01-broken.html"],
        ["02-unrun", "Not run yet", "not-run", "02-unrun.html"],
      ]);
      assert.equal(site.pages[1].failure, "cell 3: ReferenceError: undefinedThing is not defined");
      assert.deepEqual(site.warnings, []);
    });

    it("copies plotly.js, KaTeX's stylesheet and fonts into assets (nothing from a CDN)", () => {
      const assets = path.join(dir, "site", "assets");
      assert.equal(fs.statSync(path.join(assets, "plotly.min.js")).size, fs.statSync(require.resolve("plotly.js-dist-min/plotly.min.js")).size);
      assert.ok(fs.existsSync(path.join(assets, "katex", "fonts", "KaTeX_Main-Regular.woff2")));
      for (const file of ["index.html", "00-welcome.html", "01-broken.html"]) assert.doesNotMatch(read(file), /(src|href)="(https?:)?\/\//, `${file} loads nothing remote`);
    });

    it("index: course.md with links to pages, failed lesson marked, unwritten lesson unlinked", () => {
      const index = read("index.html");
      assert.match(index, /<a href="00-welcome.html">00-welcome<\/a><\/li>/);
      assert.match(index, /<a href="01-broken.html">01-broken<\/a><span class="status failed"/);
      assert.match(index, /<a href="02-unrun.html">02-unrun<\/a><span class="status not-run">not run<\/span>/);
      assert.match(index, /<li>09-later<span class="status not-run">not written yet<\/span><\/li>/);
      assert.match(index, /1 of 3 lessons failed/);
      assert.match(index, /class="katex"/);
    });

    it("index: each lesson that ran shows its wall time", () => {
      const timed = buildSite({
        lessons: fx.lessons, executedDir: fx.executedDir, siteDir: path.join(dir, "site-timed"), coursePath: fx.coursePath,
        runs: { "00-welcome": { ok: true, seconds: 12.4, profile: "quick" } },
      });
      const html = fs.readFileSync(timed.index, "utf8");
      assert.match(html, /<li><a href="00-welcome.html">Welcome<\/a> <span class="lesson-meta">12 s<\/span><\/li>/, html.slice(html.indexOf("<ol")));
    });

    it("lesson page: maths, escaped text, the figure's JSON and the PNG as a data URI", () => {
      const page = read("00-welcome.html");
      assert.match(page, /class="katex-display"/);
      assert.match(page, /&lt;b&gt;not bold&lt;\/b&gt;/);
      const figureJson = /<script type="application\/json" data-figure-for="figure-0">([\s\S]*?)<\/script>/.exec(page);
      assert.ok(figureJson, "figure JSON embedded");
      assert.deepEqual(JSON.parse(figureJson[1]).data[0].y, [1.2, 0.9, 0.7, 0.69]);
      assert.match(page, /<script src="assets\/plotly.min.js"><\/script>/);
      const img = /src="data:image\/png;base64,([^"]+)"/.exec(page);
      assert.ok(img, "image embedded");
      assert.deepEqual(Buffer.from(img[1], "base64"), Buffer.from(png));
      assert.match(page, /<span class="hljs-keyword">import<\/span>/);
      assert.match(page, /<a href="01-broken.html">broken<\/a>, <a href="09-later.ipynb">later<\/a>/);
      assert.doesNotMatch(page, /window\.Plotly\.newPlot/, "the notebook's HTML fallback is not used when the figure JSON is there");
      assert.ok(!page.includes(PLOTLYJS_MARKER), "the notebook's embedded plotly.js is left out: the site has its own");
      assert.ok(page.length < 100_000, `the page is ${page.length} bytes`);
    });

    it("failed lesson page: a banner linking the failing cell and the coloured traceback", () => {
      const page = read("01-broken.html");
      assert.match(page, /This lesson failed<\/strong> in <a href="#cell-2">cell 3<\/a>: ReferenceError: undefinedThing is not defined/);
      assert.match(page, /<span class="ansi-fg-red">ReferenceError<\/span>: undefinedThing is not defined\n    at &lt;cell 3&gt;:1:1/);
      assert.doesNotMatch(page, /plotly\.min\.js/, "pages without figures do not load plotly.js");
    });

    it("uses the runner's verdict when a run failed without an error output (kernel died)", () => {
      const fx = { lessons: site.pages.map((p) => path.join(dir, "notebooks", `${p.name}.ipynb`)) };
      const again = buildSite({
        lessons: fx.lessons, executedDir: path.join(dir, "out"), siteDir: path.join(dir, "site2"),
        runs: { "00-welcome": { ok: false, seconds: 3, error: { cell: 2, ename: "KernelDied", evalue: "the kernel exited with code 137" } } },
        profile: "smoke",
      });
      assert.equal(again.pages[0].status, "failed");
      assert.equal(again.pages[0].failure, "cell 2: KernelDied: the kernel exited with code 137");
      const page = fs.readFileSync(path.join(dir, "site2", "00-welcome.html"), "utf8");
      assert.match(page, /This lesson failed<\/strong>: cell 2: KernelDied/);
      assert.match(page, /Ran in 3\.0 s at the smoke profile/);
      assert.match(fs.readFileSync(path.join(dir, "site2", "index.html"), "utf8"), /course syllabus \(course.md\) is missing/);
    });
  });

  it("reads the runner's record in an executed notebook and counts cells as the source notebook does", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-site-run-"));
    try {
      const params: NotebookCell = { ...code("let steps = 1000;", [], 1), metadata: { tags: ["parameters"] } };
      const injected: NotebookCell = { ...code("steps = 10;", [], 2), metadata: { tags: ["injected-parameters"] } };
      const failing = code("boom();", [{ output_type: "error", ename: "Error", evalue: "boom", traceback: [] }], 3);
      const nb = notebook([markdown("# Timed"), params, injected, failing]);
      const src = path.join(dir, "05-timed.ipynb");
      fs.writeFileSync(src, JSON.stringify(notebook([markdown("# Timed"), params, code("boom();", [])])));
      fs.mkdirSync(path.join(dir, "out"));
      fs.writeFileSync(path.join(dir, "out", "05-timed.ipynb"), JSON.stringify(nb));
      // The error output is in source cell 3 (the injected cell is not counted).
      let site = buildSite({ lessons: [src], executedDir: path.join(dir, "out"), siteDir: path.join(dir, "site") });
      assert.equal(site.pages[0].failure, "cell 3: Error: boom");
      const page = fs.readFileSync(path.join(dir, "site", "05-timed.html"), "utf8");
      assert.match(page, /in <a href="#cell-3">cell 3<\/a>: Error: boom/);
      assert.match(page, /<span class="cell-tag">parameters for this run<\/span>/);
      // A run the runner recorded as failed (a cell over its time limit) wins, with its line.
      nb.cells[3].outputs = [];
      nb.metadata.tsgan = { run: { ok: false, profile: "smoke", seconds: 61, error: { cell: 3, line: 2, ename: "CellTimeout", evalue: "over 60 s" } } };
      fs.writeFileSync(path.join(dir, "out", "05-timed.ipynb"), JSON.stringify(nb));
      site = buildSite({ lessons: [src], executedDir: path.join(dir, "out"), siteDir: path.join(dir, "site") });
      assert.equal(site.pages[0].failure, "cell 3, line 2: CellTimeout: over 60 s");
      assert.match(fs.readFileSync(path.join(dir, "site", "05-timed.html"), "utf8"), /Ran in 61\.0 s at the smoke profile/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("parseArgs: defaults, --no-run, --profile and bad input", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-args-"));
    try {
      fs.mkdirSync(path.join(root, "notebooks"));
      fs.writeFileSync(path.join(root, "notebooks", "01-b.ipynb"), "{}");
      fs.writeFileSync(path.join(root, "notebooks", "00-a.ipynb"), "{}");
      const a = parseArgs([], root);
      assert.deepEqual([a.run, a.profile, a.notebooks.map((n) => path.basename(n))], [true, "quick", ["00-a.ipynb", "01-b.ipynb"]]);
      assert.equal(a.executedDir, path.join(root, "out", "notebooks"));
      assert.equal(a.siteDir, path.join(root, "site"));
      const b = parseArgs(["--no-run", "--profile=smoke"], root);
      assert.deepEqual([b.run, b.profile], [false, "smoke"]);
      assert.equal(parseArgs(["--profile", "full"], root).profile, "full");
      assert.throws(() => parseArgs(["--profile", "fast"], root), /unknown profile "fast"; use one of smoke, quick, full/);
      assert.throws(() => parseArgs(["--fast"], root), /unknown option --fast/);
      assert.throws(() => parseArgs([path.join(root, "nope.ipynb")], root), /notebook not found/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
