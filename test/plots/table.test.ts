import { strict as assert } from "assert";
import { DisplaySink, setDisplaySink } from "../../lib/plots/plotly";
import { formatMeanSe, showTable, tableHtml, tableMarkdown, tableText } from "../../lib/plots/table";

const table = { title: "scores", columns: ["model", "score"], rows: [["a|b", "1.00"], ["<x>", "10.25"]] };

describe("plots/table", () => {
  it("renders HTML with escaped cells and the title as caption", () => {
    assert.equal(
      tableHtml(table),
      "<table><caption>scores</caption><thead><tr><th>model</th><th>score</th></tr></thead>" +
        "<tbody><tr><td>a|b</td><td>1.00</td></tr><tr><td>&lt;x&gt;</td><td>10.25</td></tr></tbody></table>",
    );
  });

  it("renders Markdown with | escaped, and aligned text", () => {
    assert.equal(tableMarkdown(table), "**scores**\n\n| model | score |\n|---|---|\n| a\\|b | 1.00 |\n| <x> | 10.25 |");
    assert.equal(tableText(table), "scores\nmodel  score\n-----  -----\na|b    1.00\n<x>    10.25");
  });

  it("rejects rows of the wrong width", () => {
    assert.throws(() => tableHtml({ columns: ["a", "b"], rows: [["1"]] }), /row 0 has 1 cells but there are 2 columns/);
    assert.throws(() => tableText({ columns: [], rows: [] }), /at least one/);
  });

  it("showTable sends one bundle with html, markdown and text", () => {
    const sent: Parameters<DisplaySink>[0][] = [];
    const previous = setDisplaySink((m) => { sent.push(m); });
    try {
      showTable(table);
    } finally {
      setDisplaySink(previous);
    }
    assert.equal(sent.length, 1);
    assert.deepEqual(Object.keys(sent[0].data).sort(), ["text/html", "text/markdown", "text/plain"]);
  });

  it("formatMeanSe: mean ± sd/√n by hand; one value gives the mean alone", () => {
    // [1, 2, 3, 6]: mean 3, sample sd √(14/3) = 2.1602, se = 2.1602 / 2 = 1.0801
    assert.equal(formatMeanSe([1, 2, 3, 6], 3), "3.000 ± 1.080");
    assert.equal(formatMeanSe([2.5]), "2.50");
    assert.throws(() => formatMeanSe([]), /no values/);
  });

  it("formatMeanSe leaves out runs where the value is undefined and says how many remain", () => {
    assert.equal(formatMeanSe([1, NaN, 3], 1), "2.0 ± 1.0 (2 of 3 runs)");
    assert.equal(formatMeanSe([NaN, 4], 1), "4.0 (1 of 2 runs)");
    assert.equal(formatMeanSe([NaN, Infinity]), "–");
  });
});
