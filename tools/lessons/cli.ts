/**
 * `npm run lessons -- [--profile smoke|quick|full] [--cell-timeout SECONDS] [--out DIR] [notebook ...]`
 * Runs the lessons on the tslab kernel and writes the executed notebooks; exits 1 when any lesson failed.
 */
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "./kernel";
import { PROFILES, Profile, runNotebooks } from "./runner";
import { timeTable } from "./budget";

const USAGE = `Usage: npm run lessons -- [options] [notebook.ipynb ...]

Runs each notebook cell by cell on a fresh tslab kernel and writes the executed notebook.

Options:
  --profile smoke|quick|full  parameter values to inject (default: quick)
                              smoke: CI, seconds per lesson; quick: a reader's run, minutes;
                              full: the papers' settings
  --cell-timeout SECONDS      time limit of one cell (default: 600)
  --notebook-timeout SECONDS  time limit of one notebook (default: 3600)
  --out DIR                   where executed notebooks go (default: out/notebooks)
  -h, --help                  this text

Notebooks default to notebooks/*.ipynb, sorted. The exit code is 1 when any notebook failed.`;

export interface CliArgs {
  profile: Profile;
  notebooks: string[];
  outDir: string;
  cellTimeoutMs?: number;
  notebookTimeoutMs?: number;
  help: boolean;
}

function seconds(flag: string, value: string | undefined): number {
  const number = Number(value);
  if (value === undefined || !Number.isFinite(number) || number <= 0) {
    throw new Error(`${flag} needs a positive number of seconds, got ${JSON.stringify(value)}`);
  }
  return number * 1000;
}

export function parseArgs(argv: string[], root = projectRoot()): CliArgs {
  const args: CliArgs = { profile: "quick", notebooks: [], outDir: path.join(root, "out", "notebooks"), help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === "-h" || flag === "--help") args.help = true;
    else if (flag === "--profile") {
      const profile = value();
      if (!PROFILES.includes(profile as Profile)) {
        throw new Error(`--profile must be one of ${PROFILES.join(", ")}, got ${JSON.stringify(profile)}`);
      }
      args.profile = profile as Profile;
    } else if (flag === "--cell-timeout") args.cellTimeoutMs = seconds(flag, value());
    else if (flag === "--notebook-timeout") args.notebookTimeoutMs = seconds(flag, value());
    else if (flag === "--out") args.outDir = path.resolve(value() ?? "");
    else if (flag.startsWith("-")) throw new Error(`Unknown option ${arg}; see --help`);
    else args.notebooks.push(path.resolve(arg));
  }
  if (args.notebooks.length === 0) {
    const dir = path.join(root, "notebooks");
    const found = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort() : [];
    args.notebooks = found.map((f) => path.join(dir, f));
  }
  for (const notebook of args.notebooks) {
    if (!fs.existsSync(notebook)) throw new Error(`No notebook at ${notebook}`);
  }
  return args;
}

async function main(): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.notebooks.length === 0) {
    console.error("No notebooks to run: notebooks/ has no .ipynb files and none were named.");
    return 1;
  }
  const started = Date.now();
  console.log(`Running ${args.notebooks.length} notebook(s), profile ${args.profile}:`);
  const results = await runNotebooks({
    notebooks: args.notebooks,
    profile: args.profile,
    outDir: args.outDir,
    cellTimeoutMs: args.cellTimeoutMs,
    notebookTimeoutMs: args.notebookTimeoutMs,
    log: (line) => console.log(line),
  });
  const failed = results.filter((r) => !r.ok);
  const times = timeTable(results, args.profile);
  console.log("\n" + times.text + "\n");
  if (times.overBudget.length > 0) console.log(`over its time budget: ${times.overBudget.join(", ")}`);
  const total = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `${results.length} notebook(s): ${results.length - failed.length} ok, ${failed.length} failed ` +
      `(profile ${args.profile}, ${total} s); executed notebooks in ${path.relative(process.cwd(), args.outDir) || "."}/`,
  );
  for (const result of failed) console.log(`  failed: ${path.relative(process.cwd(), result.notebook)}`);
  return failed.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      console.error(error.stack ?? error.message);
      process.exitCode = 1;
    },
  );
}
