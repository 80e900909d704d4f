import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { AddressInfo } from "net";
import { buildSite } from "../../../tools/site/build";
import { writeFixtures } from "./site.test";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = path.resolve(__dirname, "../../../../scratch/site");

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript", ".woff2": "font/woff2", ".woff": "font/woff",
};

/** A static file server for one folder on 127.0.0.1 (an ephemeral port); it serves nothing outside it. */
function serve(root: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? "/").split("?")[0]);
    const file = path.join(root, url.endsWith("/") ? `${url}index.html` : url);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": MIME[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("tools/site in a browser", function () {
  this.timeout(120000);
  let dir: string;
  let server: http.Server | undefined;
  let base: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let browser: any;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.log(`      (skipped: ${CHROMIUM} not found; install Debian's chromium package to run the browser test)`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-site-browser-"));
    const fx = writeFixtures(dir);
    buildSite({ lessons: fx.lessons, executedDir: fx.executedDir, siteDir: path.join(dir, "site"), coursePath: fx.coursePath });
    server = await serve(path.join(dir, "site"));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a page, collecting console errors, page errors and failed requests. */
  async function open(file: string) {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on("console", (m: { type(): string; text(): string }) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
    page.on("pageerror", (e: Error) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r: { url(): string }) => problems.push(`request failed: ${r.url()}`));
    page.on("response", (r: { status(): number; url(): string }) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
    await page.goto(`${base}/${file}`, { waitUntil: "load" });
    return { page, problems };
  }

  it("index lists the lessons and marks the failed one", async () => {
    const { page, problems } = await open("index.html");
    const items: string[] = await page.$$eval("ol.lessons li", (els: Element[]) => els.map((e) => (e.textContent ?? "").trim()));
    assert.deepEqual(items, ["Welcome", "Broken lessonfailed", "Not run yetnot run"]);
    assert.equal(await page.locator("ol.lessons .status.failed").count(), 1);
    assert.ok((await page.locator(".katex").count()) >= 1, "course.md maths rendered");
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, "index.png"), fullPage: true });
    await page.close();
    assert.deepEqual(problems, []);
  });

  it("a lesson page shows KaTeX, an interactive plot (SVG) and the image, with no console errors", async () => {
    const { page, problems } = await open("00-welcome.html");
    await page.waitForSelector(".plotly-figure .main-svg", { timeout: 30000 });
    assert.ok((await page.locator(".katex").count()) >= 3);
    assert.equal(await page.locator(".katex-display").count(), 1);
    // Plotly drew both traces of the figure.
    assert.equal(await page.locator(".plotly-figure .scatterlayer .trace").count(), 2);
    const img = await page.$eval("img.output-image", (el: HTMLImageElement) => ({ w: el.naturalWidth, h: el.naturalHeight, complete: el.complete }));
    assert.deepEqual(img, { w: 32, h: 32, complete: true });
    // KaTeX's fonts came from the site itself.
    const fontsOk: boolean = await page.evaluate(async () => { await document.fonts.ready; return document.fonts.check("16px KaTeX_Main"); });
    assert.ok(fontsOk, "KaTeX_Main font loaded");
    await page.screenshot({ path: path.join(SCREENSHOTS, "lesson.png"), fullPage: true });
    await page.close();
    assert.deepEqual(problems, []);
  });

  it("a failed lesson shows its error", async () => {
    const { page, problems } = await open("01-broken.html");
    const banner: string = await page.$eval(".lesson-failed", (el: Element) => el.textContent ?? "");
    assert.match(banner, /This lesson failed in cell 3: ReferenceError: undefinedThing is not defined/);
    assert.equal(await page.locator(".output-error .ansi-fg-red").count(), 1);
    await page.screenshot({ path: path.join(SCREENSHOTS, "failed.png"), fullPage: true });
    await page.close();
    assert.deepEqual(problems, []);
  });
});
