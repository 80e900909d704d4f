/**
 * Student templates from reference solutions (nbgrader's convention, in TypeScript comments): the solution
 * notebooks in assignments/solutions/ are the source; a template is the same notebook with each region
 *
 *     // BEGIN SOLUTION
 *     ...the reference code...
 *     // END SOLUTION
 *
 * replaced by a line that throws "not written yet", and every output cleared. `npm run assignments` writes the
 * templates to assignments/; a test checks that the committed templates are exactly what this makes, so the
 * two cannot drift apart, and that no template holds a line of a solution region.
 */
import * as fs from "fs";
import * as path from "path";
import { Cell, Notebook, readNotebook, sourceText, toLines } from "../lessons/notebook";

export const BEGIN_SOLUTION = "// BEGIN SOLUTION";
export const END_SOLUTION = "// END SOLUTION";
/** What a template has in place of a solution region (indented as the region was). */
export const NOT_WRITTEN = 'throw new Error("not written yet: replace this line with your code");';

/** The assignment id a notebook's metadata names (`metadata.tsgan.assignment`), or an error saying it is missing. */
export function assignmentOf(notebook: Notebook, file: string): string {
  const id = (notebook.metadata.tsgan as { assignment?: unknown } | undefined)?.assignment;
  if (typeof id !== "string" || id === "") {
    throw new Error(`${file}: metadata.tsgan.assignment is missing; it names the assignment's grader (e.g. "gradient-penalty").`);
  }
  return id;
}

/** A cell's source with its solution regions replaced; throws on an unclosed or nested region. */
export function stripSolutions(source: string, where: string): { text: string; regions: number } {
  const out: string[] = [];
  let inside: string | null = null;
  let regions = 0;
  source.split("\n").forEach((line, i) => {
    const marker = line.trim();
    if (marker.startsWith(BEGIN_SOLUTION)) {
      if (inside !== null) throw new Error(`${where}, line ${i + 1}: "${BEGIN_SOLUTION}" inside another solution region.`);
      inside = line.slice(0, line.indexOf("//"));
      regions++;
    } else if (marker.startsWith(END_SOLUTION)) {
      if (inside === null) throw new Error(`${where}, line ${i + 1}: "${END_SOLUTION}" without a "${BEGIN_SOLUTION}".`);
      out.push(inside + NOT_WRITTEN);
      inside = null;
    } else if (inside === null) {
      out.push(line);
    }
  });
  if (inside !== null) throw new Error(`${where}: a "${BEGIN_SOLUTION}" is never closed by "${END_SOLUTION}".`);
  return { text: out.join("\n"), regions };
}

/** The student's template of a solution notebook: solution regions replaced, outputs and run records cleared. */
export function makeTemplate(solution: Notebook, file: string): Notebook {
  assignmentOf(solution, file);
  let regions = 0;
  const cells: Cell[] = solution.cells.map((cell, i) => {
    const stripped = stripSolutions(sourceText(cell.source), `${file}, cell ${i + 1}`);
    regions += stripped.regions;
    const copy: Cell = { ...cell, source: toLines(stripped.text) };
    if (cell.cell_type === "code") {
      copy.outputs = [];
      copy.execution_count = null;
    }
    return copy;
  });
  if (regions === 0) throw new Error(`${file}: no "${BEGIN_SOLUTION}" region, so its template would be the solution.`);
  const tsgan = { ...(solution.metadata.tsgan as Record<string, unknown>) };
  delete tsgan.run;
  return { ...solution, metadata: { ...solution.metadata, tsgan }, cells };
}

export function notebookJson(notebook: Notebook): string {
  return JSON.stringify(notebook, null, 1) + "\n";
}

/** Each solution notebook and the template path it makes. */
export function templatePairs(root: string): { solution: string; template: string }[] {
  const dir = path.join(root, "assignments", "solutions");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => ({ solution: path.join(dir, f), template: path.join(root, "assignments", f) }));
}

/** Writes every template; returns the paths written. */
export function writeTemplates(root: string): string[] {
  return templatePairs(root).map(({ solution, template }) => {
    fs.writeFileSync(template, notebookJson(makeTemplate(readNotebook(solution), solution)));
    return template;
  });
}

if (require.main === module) {
  const root = path.resolve(__dirname, "..", "..", "..");
  for (const file of writeTemplates(root)) console.log(`wrote ${path.relative(root, file)}`);
}
