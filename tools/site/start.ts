/**
 * `npm start`: runs every lesson (profile `quick` unless told otherwise) and renders the course site.
 *
 *   npm start                          run notebooks/*.ipynb into out/notebooks/, then write site/
 *   npm start -- --profile smoke       run at another profile (smoke | quick | full)
 *   npm start -- --no-run              only render the notebooks already in out/notebooks/
 *   npm start -- notebooks/00-welcome.ipynb   run (and list) only these lessons
 *
 * Exits non-zero when a lesson failed, after writing the site that shows which one and why.
 */
import * as fs from "fs";
import * as path from "path";
import { buildSite, lessonName, LessonRun } from "./build";
import type { Profile, RunOptions, NotebookResult } from "../lessons/runner";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const PROFILES: Profile[] = ["smoke", "quick", "full"];

export interface StartArgs {
  run: boolean;
  profile: Profile;
  notebooks: string[];
  siteDir: string;
  executedDir: string;
}

const USAGE = "usage: npm start -- [--profile smoke|quick|full] [--no-run] [--site DIR] [--out DIR] [notebook.ipynb ...]";

/** Parses the command line; bad arguments get an Error with the usage line. */
export function parseArgs(argv: string[], root = ROOT): StartArgs {
  const args: StartArgs = {
    run: true,
    profile: "quick",
    notebooks: [],
    siteDir: path.join(root, "site"),
    executedDir: path.join(root, "out", "notebooks"),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (flag: string) => {
      const v = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      if (!v) throw new Error(`${flag} needs a value.\n${USAGE}`);
      return v;
    };
    if (arg === "--no-run") args.run = false;
    else if (arg === "--profile" || arg.startsWith("--profile=")) {
      const p = value("--profile");
      if (!PROFILES.includes(p as Profile)) throw new Error(`unknown profile "${p}"; use one of ${PROFILES.join(", ")}.\n${USAGE}`);
      args.profile = p as Profile;
    } else if (arg === "--site" || arg.startsWith("--site=")) args.siteDir = path.resolve(value("--site"));
    else if (arg === "--out" || arg.startsWith("--out=")) args.executedDir = path.resolve(value("--out"));
    else if (arg === "--help" || arg === "-h") throw new Error(USAGE);
    else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}.\n${USAGE}`);
    else args.notebooks.push(path.resolve(arg));
  }
  if (args.notebooks.length === 0) {
    const dir = path.join(root, "notebooks");
    args.notebooks = fs.existsSync(dir)
      ? fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort().map((f) => path.join(dir, f))
      : [];
  }
  for (const nb of args.notebooks) if (!fs.existsSync(nb)) throw new Error(`notebook not found: ${nb}`);
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.notebooks.length === 0) {
    console.error("No lessons: notebooks/ has no .ipynb files.");
    return 1;
  }
  let runs: Record<string, LessonRun> | undefined;
  if (args.run) {
    // Loaded only when running, so `--no-run` works without the kernel's dependencies.
    const runner = require("../lessons/runner") as { runNotebooks(opts: RunOptions): Promise<NotebookResult[]> };
    console.log(`Running ${args.notebooks.length} lesson(s) at the ${args.profile} profile into ${path.relative(process.cwd(), args.executedDir) || "."}/`);
    const results = await runner.runNotebooks({
      notebooks: args.notebooks,
      profile: args.profile,
      outDir: args.executedDir,
      log: (line) => console.log(line),
    });
    runs = {};
    for (const r of results) runs[lessonName(r.notebook)] = { ok: r.ok, seconds: r.seconds, error: r.error };
  }
  const site = buildSite({
    lessons: args.notebooks,
    executedDir: args.executedDir,
    siteDir: args.siteDir,
    coursePath: path.join(ROOT, "course.md"),
    runs,
    profile: args.run ? args.profile : undefined,
  });
  for (const w of site.warnings) console.warn(`warning: ${w}`);
  const failed = site.pages.filter((p) => p.status === "failed");
  const notRun = site.pages.filter((p) => p.status === "not-run");
  for (const p of failed) console.error(`FAILED ${p.name}: ${p.failure}`);
  if (notRun.length) console.warn(`not run yet: ${notRun.map((p) => p.name).join(", ")}`);
  console.log(`Site: ${path.relative(process.cwd(), site.index) || site.index} (${site.pages.length} lessons, ${failed.length} failed)`);
  return failed.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error((e as Error).message);
      process.exit(2);
    },
  );
}
