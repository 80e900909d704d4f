/**
 * The HTML a figure and the embedded plotly.js produce, run in headless Chromium on pages put together the way
 * front ends assemble outputs: in order (the classic Notebook, nbconvert exports), out of order (JupyterLab
 * renders only the cells in view), twice (a notebook holding two copies), with require.js on the page (the
 * classic Notebook), without a loader, and in a browser that cannot unpack it. Skipped, saying why, where
 * /usr/bin/chromium is missing. The real front ends are in test/tools/frontends.test.ts.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { figureBundle, lineChart, histogram } from "../../lib/plots/plotly";
import { plotlyLoaderHtml } from "../../lib/plots/plotlyjs";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

const figureHtml = (title: string) => figureBundle(lineChart([{ name: "a", y: [1, 3, 2] }], { title }))["text/html"] as string;

/** An output as the classic Notebook's output area holds it. */
const output = (html: string) => `<div class="output_subarea">${html}</div>`;

describe("plots/plotly in a browser", function () {
  this.timeout(120_000);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let browser: any;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.log(`      (skipped: ${CHROMIUM} not found; install Debian's chromium package to run the browser tests)`);
      this.skip();
    }
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
  });

  /** Loads `body` as a page (after `head`, a script run first) and returns it with its uncaught errors. */
  async function page(body: string, head = "") {
    const p = await browser.newPage();
    const errors: string[] = [];
    p.on("pageerror", (e: Error) => errors.push(e.message));
    p.on("console", (m: { type(): string; text(): string }) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
    await p.setContent(`<!doctype html><html><head>${head}</head><body>${body}</body></html>`, { waitUntil: "load" });
    return { p, errors };
  }

  /** Per figure element: whether plotly drew it, and its text. */
  async function figures(p: { $$eval: Function }, drawn: number): Promise<Array<{ drawn: boolean; text: string }>> { // eslint-disable-line @typescript-eslint/ban-types
    const page = p as unknown as { waitForFunction: Function };
    await page.waitForFunction((n: number) => Array.from(document.querySelectorAll(".tsgan-plot")).filter((el) => el.querySelector("svg.main-svg")).length >= n, drawn, { timeout: 20_000 }).catch(() => undefined);
    return p.$$eval(".tsgan-plot", (els: Element[]) => els.map((el) => ({ drawn: !!el.querySelector("svg.main-svg"), text: (el as HTMLElement).innerText })));
  }

  it("draws every figure when plotly.js comes first, with require.js's define and CommonJS globals on the page, and redraws a replaced one", async () => {
    const amd = "<script>window.define = function () { window.definedAsModule = true; }; window.define.amd = {}; window.module = { exports: {} }; window.exports = window.module.exports;</script>";
    const { p, errors } = await page([plotlyLoaderHtml(), figureHtml("one"), `<div id="live">${output(figureHtml("step 1"))}</div>`].map(output).join("\n"), amd);
    const shown = await figures(p, 2);
    assert.deepEqual(shown.map((f) => f.drawn), [true, true], JSON.stringify(shown));
    const state = await p.evaluate(() => ({
      plotly: typeof (window as any).Plotly?.newPlot, // eslint-disable-line @typescript-eslint/no-explicit-any
      definedAsModule: (window as any).definedAsModule === true, // eslint-disable-line @typescript-eslint/no-explicit-any
      defineKept: typeof (window as any).define === "function" && !!(window as any).define.amd, // eslint-disable-line @typescript-eslint/no-explicit-any
      moduleExports: Object.keys((window as any).module.exports).length, // eslint-disable-line @typescript-eslint/no-explicit-any
    }));
    assert.deepEqual(state, { plotly: "function", definedAsModule: false, defineKept: true, moduleExports: 0 });

    // A live plot's update, as the classic Notebook applies update_display_data: new HTML in place, its script run.
    await p.evaluate((html: string) => {
      const target = document.getElementById("live") as HTMLElement;
      target.innerHTML = html;
      for (const old of Array.from(target.querySelectorAll("script"))) {
        const s = document.createElement("script");
        s.text = old.text;
        old.replaceWith(s);
      }
    }, output(figureBundle(histogram([1, 2, 2, 3], { title: "step 2" }))["text/html"] as string));
    const after = await figures(p, 2);
    assert.deepEqual(after.map((f) => f.drawn), [true, true], JSON.stringify(after));
    assert.match(after[1].text, /step 2/);
    assert.deepEqual(errors, []);
    await p.close();
  });

  it("draws figures rendered before plotly.js (out of order), and loads plotly.js once for two copies", async () => {
    // Counts how often plotly.js runs: each run ends by setting window.Plotly.
    const counter = "<script>(function () { var v; window.plotlyRuns = 0; Object.defineProperty(window, 'Plotly', { configurable: true, get: function () { return v; }, set: function (x) { window.plotlyRuns++; v = x; } }); })();</script>";
    const { p, errors } = await page([figureHtml("early"), plotlyLoaderHtml(), plotlyLoaderHtml(), figureHtml("late")].map(output).join("\n"), counter);
    const shown = await figures(p, 2);
    assert.deepEqual(shown.map((f) => f.drawn), [true, true], JSON.stringify(shown));
    // The second copy found the first one unpacking and left it alone.
    assert.equal(await p.evaluate(() => (window as any).plotlyRuns), 1); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(await p.evaluate(() => (window as any).tsganPlotly.queue.length), 0); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(errors, []);
    await p.close();
  });

  it("without plotly.js on the page, a figure keeps its description and says how to draw it", async () => {
    const { p, errors } = await page(output(figureHtml("alone")));
    const [shown] = await figures(p, 0);
    assert.equal(shown.drawn, false);
    assert.match(shown.text, /^Plotly figure "alone"/);
    assert.match(shown.text, /scatter "a": 3 points, x 0 to 2, y 1 to 3/);
    assert.match(shown.text, /plotly\.js is not on this page .* run tsgan\.plotlyInit\(\) in a cell to draw it/);
    assert.deepEqual(errors, []);
    await p.close();
  });

  it("a browser that cannot unpack plotly.js says so under each figure", async () => {
    const { p } = await page([plotlyLoaderHtml(), figureHtml("old browser")].map(output).join("\n"), "<script>delete window.DecompressionStream;</script>");
    const [shown] = await figures(p, 0);
    assert.equal(shown.drawn, false);
    assert.match(shown.text, /This browser cannot unpack the plotly\.js [\d.]+ embedded in the notebook \(it has no DecompressionStream/);
    await p.close();
  });
});
