/**
 * Lesson time budgets (issue 12): on the reference 2-core machine every lesson at `smoke` runs in 30 s and the
 * course in 5 min (CI), and at `quick` every lesson in 3 min and the course in 30 min. `npm run lessons` prints
 * each lesson's wall time against them, so a lesson that outgrows its budget is seen when it happens.
 */
import { tableText } from "../../lib/plots/table";
import type { NotebookResult, Profile } from "./runner";
import * as path from "path";

/** Seconds per lesson and for the whole course, per profile (`full` runs the papers' settings: no budget). */
export const LESSON_BUDGET_S: Readonly<Partial<Record<Profile, { lesson: number; course: number }>>> = Object.freeze({
  smoke: { lesson: 30, course: 5 * 60 },
  quick: { lesson: 3 * 60, course: 30 * 60 },
});

/** The table of a run: lesson, result, seconds, and whether it is within the profile's budget. */
export function timeTable(results: Pick<NotebookResult, "notebook" | "ok" | "seconds">[], profile: Profile): { text: string; overBudget: string[] } {
  const budget = LESSON_BUDGET_S[profile];
  const overBudget: string[] = [];
  const rows = results.map((r) => {
    const name = path.basename(r.notebook, ".ipynb");
    const over = budget !== undefined && r.seconds > budget.lesson;
    if (over) overBudget.push(name);
    return [name, r.ok ? "ok" : "FAILED", r.seconds.toFixed(1), budget === undefined ? "" : over ? `OVER (${budget.lesson} s)` : "within"];
  });
  const total = results.reduce((a, r) => a + r.seconds, 0);
  const courseOver = budget !== undefined && total > budget.course;
  if (courseOver) overBudget.push("the course as a whole");
  rows.push(["total", "", total.toFixed(1), budget === undefined ? "" : courseOver ? `OVER (${budget.course} s)` : "within"]);
  const title = budget === undefined
    ? `Lesson times at ${profile} (no budget at this profile)`
    : `Lesson times at ${profile} (budget: ${budget.lesson} s a lesson, ${budget.course / 60} min in all, on a 2-core machine)`;
  return { text: tableText({ title, columns: ["lesson", "result", "seconds", "budget"], rows }), overBudget };
}
