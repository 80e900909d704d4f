import { strict as assert } from "assert";
import {
  contour, DisplaySink, figureBundle, heatmap, histogram, inNotebook, lineChart, PLOTLY_MIME, scatter,
  scriptSafeJson, setDisplaySink, showPlot,
} from "../../lib/plots/plotly";

type Message = Parameters<DisplaySink>[0];

/** Runs `body` with displays captured, as a tslab kernel would receive them. */
function captured(body: () => void): Array<{ message: Message; update: boolean }> {
  const sent: Array<{ message: Message; update: boolean }> = [];
  const previous = setDisplaySink((message, update) => { sent.push({ message, update }); });
  try {
    body();
  } finally {
    setDisplaySink(previous);
  }
  return sent;
}

describe("plots/plotly", () => {
  it("lineChart builds one lines trace per series with default x = 0, 1, 2, ...", () => {
    const fig = lineChart([{ name: "D loss", y: [3, 2, 1] }, { name: "G loss", y: Float32Array.of(1, 2), x: [10, 20] }], {
      title: "Losses", xLabel: "step", yLabel: "loss", logY: true,
    });
    assert.deepEqual(fig.data, [
      { type: "scatter", mode: "lines", name: "D loss", x: [0, 1, 2], y: [3, 2, 1] },
      { type: "scatter", mode: "lines", name: "G loss", x: [10, 20], y: [1, 2] },
    ]);
    assert.deepEqual(fig.layout?.title, { text: "Losses" });
    assert.deepEqual(fig.layout?.xaxis, { title: { text: "step" } });
    assert.deepEqual(fig.layout?.yaxis, { title: { text: "loss" }, type: "log" });
    assert.deepEqual(lineChart([5, 6]).data[0].y, [5, 6], "a bare array is one series");
    assert.throws(() => lineChart({ y: [1, 2], x: [1] }), /x has 1 values but y has 2/);
  });

  it("scatter accepts [x, y] pairs, {x, y} and named groups", () => {
    assert.deepEqual(scatter([[1, 2], [3, 4]]).data[0].x, [1, 3]);
    assert.deepEqual(scatter({ x: [1, 2], y: [5, 6] }).data[0].y, [5, 6]);
    const groups = scatter({ real: [[0, 0]], fake: [[1, 1], [2, 2]] }).data;
    assert.deepEqual(groups.map((t) => [t.name, t.mode, (t.x as number[]).length]), [["real", "markers", 1], ["fake", "markers", 2]]);
  });

  it("histogram overlays named samples", () => {
    const fig = histogram({ real: [1, 2], fake: [3] }, { bins: 20, normalize: true });
    assert.equal(fig.layout?.barmode, "overlay");
    assert.deepEqual(fig.data.map((t) => [t.type, t.name, t.nbinsx, t.histnorm]), [
      ["histogram", "real", 20, "probability density"],
      ["histogram", "fake", 20, "probability density"],
    ]);
  });

  it("heatmap and contour check that z is [rows of y][columns of x]", () => {
    const grid = { x: [0, 1, 2], y: [0, 1], z: [[1, 2, 3], [4, 5, 6]] };
    assert.deepEqual(heatmap(grid).data[0].z, [[1, 2, 3], [4, 5, 6]]);
    const c = contour(grid, { points: { real: [[0.5, 0.5]] } });
    assert.deepEqual(c.data.map((t) => t.type), ["contour", "scatter"]);
    assert.throws(() => heatmap({ x: [0, 1], y: [0, 1], z: [[1, 2, 3], [4, 5, 6]] }), /z row 0 has 3 values but x has 2/);
    assert.throws(() => heatmap({ x: [0, 1, 2], y: [0], z: [[1, 2, 3], [4, 5, 6]] }), /z has 2 rows but y has 1/);
  });

  it("showPlot sends one bundle with the plotly mime type, an HTML fallback and a text summary", () => {
    const fig = lineChart([{ name: "D", y: Float32Array.of(0.5, 0.25) }], { title: "a </script> title" });
    const sent = captured(() => showPlot(fig));
    assert.equal(sent.length, 1);
    const { message, update } = sent[0];
    assert.equal(update, false);
    assert.deepEqual(Object.keys(message.data).sort(), [PLOTLY_MIME, "text/html", "text/plain"].sort());
    const json = message.data[PLOTLY_MIME] as { data: Array<{ y: number[] }> };
    // Typed arrays become plain arrays, so the JSON is what plotly expects.
    assert.deepEqual(json.data[0].y, [0.5, 0.25]);
    assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
    assert.equal(message.data["text/plain"], 'Plotly figure "a </script> title": 1 trace (scatter "D")');
    const html = message.data["text/html"] as string;
    assert.match(html, /window\.Plotly\.newPlot/);
    // The only closing script tag is the one that ends the fallback: the title cannot break out of it.
    assert.equal(html.split("</script>").length, 2);
  });

  it("outside a kernel showPlot displays nothing and prints one line", () => {
    const previous = setDisplaySink(null);
    const logs: string[] = [];
    const log = console.log;
    console.log = (line: string) => { logs.push(line); };
    try {
      assert.equal(inNotebook(), false);
      const fig = lineChart([1, 2]);
      showPlot(fig);
    } finally {
      console.log = log;
      setDisplaySink(previous);
    }
    assert.deepEqual(logs, ["[tsgan] Plotly figure: 1 trace (scatter \"series 0\") (not in a notebook: nothing displayed)"]);
  });

  it("rejects something that is not a figure", () => {
    assert.throws(() => figureBundle({} as never), /expected a plotly figure/);
  });

  it("scriptSafeJson escapes what could end a script element", () => {
    assert.equal(scriptSafeJson({ a: "</script><!--" }), '{"a":"\\u003c/script>\\u003c!--"}');
  });
});
