import { strict as assert } from "assert";
import { LESSON_BUDGET_S, timeTable } from "../../../tools/lessons/budget";

describe("lesson time budgets", () => {
  it("prints each lesson's time against its profile's budget, and names what is over", () => {
    const { text, overBudget } = timeTable([
      { notebook: "/x/notebooks/01-objective.ipynb", ok: true, seconds: 12.34 },
      { notebook: "/x/notebooks/08-evaluation.ipynb", ok: false, seconds: 31 },
    ], "smoke");
    assert.deepEqual(overBudget, ["08-evaluation"]);
    const lines = text.split("\n");
    assert.match(lines[0], /Lesson times at smoke \(budget: 30 s a lesson, 5 min in all/);
    assert.match(lines.find((l) => l.startsWith("01-objective")) ?? "", /^01-objective\s+ok\s+12\.3\s+within$/);
    assert.match(lines.find((l) => l.startsWith("08-evaluation")) ?? "", /FAILED\s+31\.0\s+OVER \(30 s\)$/);
    assert.match(lines[lines.length - 1], /^total\s+43\.3\s+within$/);
  });

  it("counts the course as a whole against its budget; full has none", () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ notebook: `${i}.ipynb`, ok: true, seconds: 29 }));
    assert.deepEqual(timeTable(many, "smoke").overBudget, ["the course as a whole"]);
    assert.deepEqual(timeTable(many, "full").overBudget, []);
    assert.match(timeTable(many, "full").text, /no budget at this profile/);
    assert.deepEqual(LESSON_BUDGET_S.quick, { lesson: 180, course: 1800 });
  });
});
