/**
 * `npm run grade -- [options] <submission.ipynb | folder> ...`: a teacher's batch grading (after nbgrader's
 * autograde and otter-grader's `otter grade`). Each submission is executed on a fresh tslab kernel by the
 * lesson runner, with a time limit, cells after a failing one still run, and every `tsgan.grade(...)` it
 * reaches appends its report to a file the kernel is given (TSGAN_GRADE_OUT). A submission that throws,
 * loops forever, or kills its kernel scores 0 on the cases it never reached, with the reason, and never
 * stops the others. Writes grades.csv (one row per student and case) and grades.json, and prints a summary.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GRADERS, GRADE_REPORT_ENV, GradeReport, CaseResult } from "../../lib/grading";
import { projectRoot, formatMs } from "../lessons/kernel";
import { PROFILES, Profile, NotebookResult, runNotebooks } from "../lessons/runner";
import { readNotebook } from "../lessons/notebook";
import { tableText } from "../../lib/plots/table";

const USAGE = `Usage: npm run grade -- [options] <submission.ipynb | folder> ...

Executes each submitted assignment notebook on a fresh tslab kernel and grades it with the graders its cells call
(tsgan.grade). Folders are searched for .ipynb files; a student is named by the file's path inside the folder.

Options:
  --out DIR                   where grades.csv, grades.json and the executed notebooks go (default: out/grades)
  --timeout SECONDS           time limit of one submission, all cells together (default: 300)
  --profile smoke|quick|full  the parameters the notebooks run with (default: smoke: grades do not depend on it)
  -h, --help                  this text

The exit code is 0 when every submission was graded (whatever its score), 2 for a usage error.`;

export interface GradeArgs {
  submissions: string[];
  outDir: string;
  timeoutMs: number;
  profile: Profile;
  help: boolean;
}

export function parseGradeArgs(argv: string[], root = projectRoot()): GradeArgs {
  const args: GradeArgs = { submissions: [], outDir: path.join(root, "out", "grades"), timeoutMs: 300_000, profile: "smoke", help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === "-h" || flag === "--help") args.help = true;
    else if (flag === "--out") args.outDir = path.resolve(value() ?? "");
    else if (flag === "--timeout") {
      const v = value();
      const s = Number(v);
      if (v === undefined || !Number.isFinite(s) || s <= 0) throw new Error(`--timeout needs a positive number of seconds, got ${JSON.stringify(v)}`);
      args.timeoutMs = s * 1000;
    } else if (flag === "--profile") {
      const v = value();
      if (!PROFILES.includes(v as Profile)) throw new Error(`--profile must be one of ${PROFILES.join(", ")}, got ${JSON.stringify(v)}`);
      args.profile = v as Profile;
    } else if (flag.startsWith("-")) throw new Error(`Unknown option ${arg}; see --help`);
    else args.submissions.push(path.resolve(arg));
  }
  if (!args.help && args.submissions.length === 0) throw new Error("no submissions given: name .ipynb files or folders of them; see --help");
  return args;
}

export interface Submission {
  /** Who it is from: the file's path inside the folder given (without .ipynb), or its name. */
  student: string;
  file: string;
}

/** The notebooks to grade: files as given, folders searched (checkpoint folders skipped), sorted. */
export function findSubmissions(paths: string[]): Submission[] {
  const found: Submission[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) throw new Error(`${p}: no such file or folder`);
    if (fs.statSync(p).isFile()) {
      if (!p.endsWith(".ipynb")) throw new Error(`${p}: not a notebook (.ipynb)`);
      found.push({ student: path.basename(p, ".ipynb"), file: p });
      continue;
    }
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory() && entry.name !== ".ipynb_checkpoints" && !entry.name.startsWith(".")) walk(full);
        else if (entry.isFile() && entry.name.endsWith(".ipynb")) {
          found.push({ student: path.relative(p, full).replace(/\.ipynb$/, "").split(path.sep).join("/"), file: full });
        }
      }
    };
    walk(p);
  }
  if (found.length === 0) throw new Error(`no .ipynb files in ${paths.join(", ")}`);
  return found;
}

/** One submission's grades. */
export interface SubmissionGrade {
  student: string;
  file: string;
  /** The assignments it was graded on (its metadata's `tsgan.assignment`). */
  assignments: string[];
  score: number;
  maxScore: number;
  cases: (CaseResult & { assignment: string })[];
  /** How the run went: its first error, and why grades are missing. */
  notes: string[];
  seconds: number;
}

/** The graders a submission is graded on, from its metadata (`tsgan.assignment`, optionally `tsgan.graders`). */
function expectedGraders(file: string): { graders: string[]; problem?: string } {
  let meta: { assignment?: unknown; graders?: unknown } | undefined;
  try {
    meta = readNotebook(file).metadata.tsgan as typeof meta;
  } catch (error) {
    return { graders: [], problem: (error as Error).message };
  }
  const named = Array.isArray(meta?.graders) ? meta!.graders : typeof meta?.assignment === "string" ? [meta.assignment] : [];
  const graders = named.filter((g): g is string => typeof g === "string" && g in GRADERS);
  if (graders.length === 0) {
    return { graders, problem: "not an assignment notebook: its metadata.tsgan.assignment names no known assignment (was it saved from the template?)" };
  }
  return { graders };
}

function describeError(result: NotebookResult): string {
  const e = result.error;
  if (!e) return "";
  return `cell ${e.cell}${e.line !== undefined ? `, line ${e.line}` : ""}: ${e.ename}: ${e.evalue.split("\n")[0]}`;
}

/** Reads the JSON-line reports a run appended; a torn last line (a killed kernel) is skipped. */
function readReports(file: string): GradeReport[] {
  if (!fs.existsSync(file)) return [];
  const reports: GradeReport[] = [];
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      reports.push(JSON.parse(line) as GradeReport);
    } catch {
      // a half-written line: the kernel died while writing it
    }
  }
  return reports;
}

/** Grades from a run: the last report of each expected grader, and 0 with the reason for one never reached. */
export function gradesFromRun(submission: Submission, graders: string[], reports: GradeReport[], result: NotebookResult | undefined, problem?: string): SubmissionGrade {
  const notes: string[] = [];
  if (problem) notes.push(problem);
  if (result && !result.ok) notes.push(`the run failed at ${describeError(result)}`);
  const cases: SubmissionGrade["cases"] = [];
  for (const id of graders) {
    const report = [...reports].reverse().find((r) => r.assignment === id);
    if (report) {
      for (const c of report.cases) cases.push({ ...c, assignment: id });
      continue;
    }
    const reason = result?.error && !result.ok
      ? `not graded: the notebook failed before tsgan.grade("${id}", …) finished (${describeError(result)})`
      : `not graded: the notebook never called tsgan.grade("${id}", …)`;
    for (const c of GRADERS[id].cases) cases.push({ assignment: id, name: c.name, points: 0, maxPoints: c.points ?? 1, passed: false, reason, seconds: 0 });
  }
  return {
    student: submission.student,
    file: submission.file,
    assignments: graders,
    score: cases.reduce((a, c) => a + c.points, 0),
    maxScore: cases.reduce((a, c) => a + c.maxPoints, 0),
    cases,
    notes,
    seconds: result?.seconds ?? 0,
  };
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
}

/** Executes and grades each submission in turn. */
export async function gradeSubmissions(args: GradeArgs, log: (line: string) => void = console.log): Promise<SubmissionGrade[]> {
  const submissions = findSubmissions(args.submissions);
  fs.mkdirSync(args.outDir, { recursive: true });
  fs.mkdirSync(path.join(projectRoot(), "out"), { recursive: true });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-grade-"));
  // Each submission runs from a folder inside this project, wherever it was handed in: that is where the
  // kernel's TypeScript resolves `import * as tsgan from "tsgan"` (node_modules/tsgan, the linked package).
  const work = fs.mkdtempSync(path.join(projectRoot(), "out", ".grading-"));
  const grades: SubmissionGrade[] = [];
  try {
    for (const [i, submission] of submissions.entries()) {
      const { graders, problem } = expectedGraders(submission.file);
      if (graders.length === 0) {
        grades.push(gradesFromRun(submission, graders, [], undefined, problem));
        log(`${submission.student}: ${problem}`);
        continue;
      }
      const reportFile = path.join(scratch, `${i}.jsonl`);
      const copy = path.join(work, String(i + 1).padStart(3, "0"), path.basename(submission.file));
      fs.mkdirSync(path.dirname(copy), { recursive: true });
      fs.copyFileSync(submission.file, copy);
      const [result] = await runNotebooks({
        notebooks: [copy],
        profile: args.profile,
        outDir: path.join(args.outDir, "executed", `${String(i + 1).padStart(3, "0")}-${safeName(submission.student)}`),
        cellTimeoutMs: args.timeoutMs,
        notebookTimeoutMs: args.timeoutMs,
        env: { [GRADE_REPORT_ENV]: reportFile },
        keepGoing: true,
        log: () => {},
      });
      const grade = gradesFromRun(submission, graders, readReports(reportFile), result);
      grades.push(grade);
      log(`${submission.student}: ${grade.score} / ${grade.maxScore} (${formatMs(result.seconds * 1000)})${grade.notes.length ? ` — ${grade.notes.join("; ")}` : ""}`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
  writeGrades(args.outDir, grades);
  return grades;
}

function csvField(value: unknown): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** grades.csv (one row per student and case) and grades.json (everything), written whole. */
export function writeGrades(outDir: string, grades: SubmissionGrade[]): void {
  const rows = [["student", "assignment", "case", "points", "max_points", "passed", "reason"]];
  for (const g of grades) {
    if (g.cases.length === 0) rows.push([g.student, "", "", "0", "0", "false", g.notes.join("; ")]);
    for (const c of g.cases) rows.push([g.student, c.assignment, c.name, String(c.points), String(c.maxPoints), String(c.passed), c.reason ?? ""]);
  }
  fs.writeFileSync(path.join(outDir, "grades.csv"), rows.map((r) => r.map(csvField).join(",")).join("\n") + "\n");
  fs.writeFileSync(path.join(outDir, "grades.json"), JSON.stringify(grades, null, 1) + "\n");
}

export function summaryTable(grades: SubmissionGrade[]): string {
  return tableText({
    title: "Grades",
    columns: ["student", "assignment", "score", "notes"],
    rows: grades.map((g) => [g.student, g.assignments.join(", "), `${g.score} / ${g.maxScore}`, g.notes.join("; ").slice(0, 120)]),
  });
}

async function main(): Promise<number> {
  let args: GradeArgs;
  try {
    args = parseGradeArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`grade: ${(error as Error).message}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let grades: SubmissionGrade[];
  try {
    grades = await gradeSubmissions(args);
  } catch (error) {
    console.error(`grade: ${(error as Error).message}`);
    return 2;
  }
  console.log("\n" + summaryTable(grades));
  console.log(`\nwrote ${path.join(args.outDir, "grades.csv")} and grades.json`);
  return 0;
}

if (require.main === module) {
  main().then((code) => process.exit(code));
}
