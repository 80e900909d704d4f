/**
 * Renders the course site from executed notebooks: `index.html` from course.md (the syllabus) with every
 * lesson's status, and one page per lesson. Everything the pages need is copied into `site/assets`.
 */
import * as fs from "fs";
import * as path from "path";
import { writeAssets } from "./assets";
import { renderMarkdown } from "./markdown";
import { escapeHtml, firstError, Notebook, notebookTitle, parseNotebook, renderNotebookBody } from "./notebook";

/** What the lesson runner reported for one notebook (the fields of its NotebookResult that the site uses). */
export interface LessonRun {
  ok: boolean;
  seconds?: number;
  /** `cell` is 1-based in the source notebook (0: the notebook as a whole), as the lesson runner reports. */
  error?: { cell: number; line?: number | null; ename: string; evalue: string };
  profile?: string;
}

export interface SiteOptions {
  /** Source notebooks, in course order (their names give the page names: 00-welcome.ipynb -> 00-welcome.html). */
  lessons: string[];
  /** Folder holding the executed notebooks, `<name>.ipynb` each. */
  executedDir: string;
  /** Where to write the site (emptied of old pages first). */
  siteDir: string;
  /** The syllabus; a placeholder index is written when it is missing. */
  coursePath?: string;
  /** Runner results by lesson name, when the lessons were just run. */
  runs?: Record<string, LessonRun>;
  /** The profile the lessons ran at, shown on the pages. */
  profile?: string;
}

export type LessonStatus = "ok" | "failed" | "not-run";

export interface LessonPage {
  name: string;
  title: string;
  status: LessonStatus;
  /** "cell 3: ReferenceError: x is not defined" for a failed lesson. */
  failure?: string;
  file: string;
  /** The run's wall time, when it ran. */
  seconds?: number;
}

export interface SiteResult {
  index: string;
  pages: LessonPage[];
  /** Problems worth a line in the log (maths KaTeX could not parse). */
  warnings: string[];
}

export function lessonName(notebookPath: string): string {
  return path.basename(notebookPath).replace(/\.ipynb$/, "");
}

function pageHtml(title: string, body: string, options: { figures?: boolean; profile?: string } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/katex/katex.min.css">
<link rel="stylesheet" href="assets/style.css">
</head>
<body>
<header class="site"><a href="index.html">tsgan</a><span class="lesson-meta">GANs in TypeScript</span>
<nav>${options.profile ? `<span class="lesson-meta">profile: ${escapeHtml(options.profile)}</span>` : ""}<a href="index.html">Lessons</a></nav></header>
<main>
${body}
</main>
${options.figures ? '<script src="assets/plotly.min.js"></script>\n<script src="assets/site.js"></script>\n' : ""}</body>
</html>
`;
}

function statusBadge(page: LessonPage): string {
  if (page.status === "failed") return `<span class="status failed" title="${escapeHtml(page.failure ?? "")}">failed</span>`;
  if (page.status === "not-run") return `<span class="status not-run">not run</span>`;
  return "";
}

/** "cell 3: ReferenceError: x is not defined"; cell 0 is the runner's number for the notebook as a whole. */
function describeFailure(e: { cell: number; line?: number | null; ename: string; evalue: string }): string {
  const place = e.cell > 0 ? `cell ${e.cell}${e.line != null ? `, line ${e.line}` : ""}: ` : "";
  return `${place}${e.ename}: ${e.evalue}`;
}

/** The run record the lesson runner leaves in an executed notebook's metadata (tsgan.run), if any. */
function recordedRun(nb: Notebook): LessonRun | undefined {
  const run = (nb.metadata.tsgan as { run?: LessonRun } | undefined)?.run;
  return run && typeof run.ok === "boolean" ? run : undefined;
}

/**
 * Reads a lesson's executed notebook (or, if it never ran, its source) and decides its status: the runner's
 * verdict (from this run, or recorded in the notebook), else whether any cell has an error output.
 */
function loadLesson(source: string, options: SiteOptions): { nb: Notebook; status: LessonStatus; failure?: string; run?: LessonRun } {
  const name = lessonName(source);
  const executed = path.join(options.executedDir, `${name}.ipynb`);
  const ran = fs.existsSync(executed);
  const nb = parseNotebook(fs.readFileSync(ran ? executed : source, "utf8"), ran ? executed : source);
  const run = options.runs?.[name] ?? (ran ? recordedRun(nb) : undefined);
  const error = ran ? firstError(nb) : undefined;
  if (run && !run.ok) {
    const e = run.error ?? (error ? { cell: error.number, ename: error.ename, evalue: error.evalue } : undefined);
    return { nb, status: "failed", failure: e ? describeFailure(e) : "the run failed", run };
  }
  if (error) return { nb, status: "failed", failure: describeFailure({ cell: error.number, ename: error.ename, evalue: error.evalue }), run };
  return { nb, status: ran ? "ok" : "not-run", run };
}

function lessonPage(source: string, options: SiteOptions, pages: LessonPage[], index: number, warnings: string[]): string {
  const page = pages[index];
  const { nb, run } = loadLesson(source, options);
  const body = renderNotebookBody(nb);
  warnings.push(...body.mathErrors.map((e) => `${page.name}: ${e}`));
  const notices: string[] = [];
  if (page.status === "not-run") notices.push(`<div class="lesson-failed">This lesson has not been run: the page shows its code without outputs. Run <code>npm start</code>.</div>`);
  // A run can fail without an error output in the notebook (a kernel that died or timed out).
  if (page.status === "failed" && !firstError(nb)) notices.push(`<div class="lesson-failed" role="alert"><strong>This lesson failed</strong>: ${escapeHtml(page.failure ?? "")}</div>`);
  const meta = run?.seconds !== undefined ? `<p class="lesson-meta">Ran in ${run.seconds.toFixed(1)} s${run.profile ?? options.profile ? ` at the ${escapeHtml(run.profile ?? options.profile ?? "")} profile` : ""}.</p>` : "";
  const prev = pages[index - 1];
  const next = pages[index + 1];
  const pager =
    `<footer class="pager"><span>${prev ? `<a href="${prev.file}">&larr; ${escapeHtml(prev.title)}</a>` : ""}</span>` +
    `<span>${next ? `<a href="${next.file}">${escapeHtml(next.title)} &rarr;</a>` : ""}</span></footer>`;
  // Links between notebooks ("[lesson 1](01-objective.ipynb)") lead to the lesson pages on the site.
  const known = new Set(pages.map((p) => p.name));
  const html = body.html.replace(/href="(?:[^"]*\/)?([^"/]+)\.ipynb"/g, (all, name: string) => (known.has(name) ? `href="${name}.html"` : all));
  return pageHtml(`${page.title} · tsgan`, notices.join("\n") + meta + html + pager, { figures: body.html.includes('class="plotly-figure"'), profile: options.profile });
}

function lessonList(pages: LessonPage[]): string {
  const time = (p: LessonPage) => (p.seconds !== undefined ? ` <span class="lesson-meta">${p.seconds.toFixed(0)} s</span>` : "");
  const items = pages.map((p) => `<li><a href="${p.file}">${escapeHtml(p.title)}</a>${statusBadge(p)}${time(p)}</li>`);
  return `<h2 id="lessons">Lessons</h2>\n<ol class="lessons" start="0">\n${items.join("\n")}\n</ol>`;
}

/**
 * The index: course.md with its links to notebooks pointed at the lesson pages and a status badge after
 * each, followed by the list of lessons (which is also the whole index when course.md is missing).
 */
function indexPage(pages: LessonPage[], options: SiteOptions, warnings: string[]): string {
  const byName = new Map(pages.map((p) => [p.name, p]));
  let course = "<h1>tsgan: Generative Adversarial Networks in TypeScript</h1>\n<p>The course syllabus (course.md) is missing; here are the lessons.</p>";
  if (options.coursePath && fs.existsSync(options.coursePath)) {
    const md = renderMarkdown(fs.readFileSync(options.coursePath, "utf8"));
    warnings.push(...md.mathErrors.map((e) => `course.md: ${e}`));
    course = md.html.replace(/<a href="(?:[^"]*\/)?([^"/]+)\.ipynb">([\s\S]*?)<\/a>/g, (_all, name: string, text: string) => {
      const page = byName.get(name);
      // A lesson the syllabus plans but that has no notebook yet: no link that would lead nowhere.
      if (!page) return `${text}<span class="status not-run">not written yet</span>`;
      return `<a href="${page.file}">${text}</a>${statusBadge(page)}`;
    });
  }
  const failed = pages.filter((p) => p.status === "failed");
  const summary = failed.length
    ? `<div class="lesson-failed" role="alert"><strong>${failed.length} of ${pages.length} lessons failed</strong>: ${failed
        .map((p) => `<a href="${p.file}">${escapeHtml(p.name)}</a>`)
        .join(", ")}</div>`
    : "";
  return pageHtml("tsgan: GANs in TypeScript", summary + course + lessonList(pages), { profile: options.profile });
}

/** Writes the site and returns what it wrote. */
export function buildSite(options: SiteOptions): SiteResult {
  const warnings: string[] = [];
  fs.mkdirSync(options.siteDir, { recursive: true });
  // Remove pages of lessons that no longer exist; leave anything else a person put there.
  for (const file of fs.readdirSync(options.siteDir)) if (file.endsWith(".html")) fs.rmSync(path.join(options.siteDir, file));
  writeAssets(options.siteDir);
  const pages: LessonPage[] = options.lessons.map((source) => {
    const name = lessonName(source);
    const { nb, status, failure, run } = loadLesson(source, options);
    return { name, title: notebookTitle(nb, name), status, failure, file: `${name}.html`, ...(run?.seconds !== undefined ? { seconds: run.seconds } : {}) };
  });
  options.lessons.forEach((source, i) => {
    fs.writeFileSync(path.join(options.siteDir, pages[i].file), lessonPage(source, options, pages, i, warnings));
  });
  const index = path.join(options.siteDir, "index.html");
  fs.writeFileSync(index, indexPage(pages, options, warnings));
  return { index, pages, warnings };
}
