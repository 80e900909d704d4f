import { strict as assert } from "assert";
import * as fs from "fs";
import * as zlib from "zlib";
import {
  contour, DisplaySink, figureBundle, figureDescription, heatmap, histogram, inNotebook, lineChart, PLOTLY_MIME, plotlyInit, scatter,
  scriptSafeJson, setDisplaySink, showPlot,
} from "../../lib/plots/plotly";
import { autoEmbedEnabled, PLOTLYJS_MARKER, plotlyEmbedSize, plotlyLoaderHtml } from "../../lib/plots/plotlyjs";

type Message = Parameters<DisplaySink>[0];

/** Runs `body` with displays captured, as a tslab kernel would receive them (a fresh front end each time). */
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

  it("showPlot sends one bundle with the plotly mime type, an HTML fallback and a text description", () => {
    const fig = lineChart([{ name: "D", y: Float32Array.of(0.5, 0.25) }], { title: "a </script> title", xLabel: "step" });
    const sent = captured(() => showPlot(fig));
    const figures = sent.filter((s) => PLOTLY_MIME in s.message.data);
    assert.equal(figures.length, 1);
    const { message, update } = figures[0];
    assert.equal(update, false);
    assert.deepEqual(Object.keys(message.data).sort(), [PLOTLY_MIME, "text/html", "text/plain"].sort());
    const json = message.data[PLOTLY_MIME] as { data: Array<{ y: number[] }> };
    // Typed arrays become plain arrays, so the JSON is what plotly expects.
    assert.deepEqual(json.data[0].y, [0.5, 0.25]);
    assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
    assert.equal(
      message.data["text/plain"],
      'Plotly figure "a </script> title": 1 trace (scatter "D")\n  axes: x: step\n  scatter "D": 2 points, x 0 to 1, y 0.25 to 0.5',
    );
    const html = message.data["text/html"] as string;
    assert.match(html, /window\.Plotly\.newPlot/);
    // What a page without scripts shows: the description, escaped.
    assert.match(html, /<strong>Plotly figure &quot;a &lt;\/script&gt; title&quot;<\/strong>/);
    assert.match(html, /<li>scatter &quot;D&quot;: 2 points, x 0 to 1, y 0.25 to 0.5<\/li>/);
    // The only closing script tag is the one that ends the fallback: the title cannot break out of it.
    assert.equal(html.split("</script>").length, 2);
  });

  it("embeds plotly.js once per kernel session, as its own output just before the first figure", () => {
    const sent = captured(() => {
      showPlot(lineChart([1, 2]));
      showPlot(lineChart([3, 4]));
    });
    assert.equal(sent.length, 3);
    const [loader, first, second] = sent.map((s) => s.message);
    assert.deepEqual(Object.keys(loader.data).sort(), ["text/html", "text/plain"]);
    assert.ok((loader.data["text/html"] as string).includes(PLOTLYJS_MARKER));
    assert.equal(loader.transient, undefined, "no display_id: nothing can replace it");
    assert.deepEqual(loader.metadata, { tsgan: { plotlyjs: plotlyEmbedSize().version } });
    for (const figure of [first, second]) assert.ok(PLOTLY_MIME in figure.data && !(figure.data["text/html"] as string).includes(PLOTLYJS_MARKER));
    // plotlyInit() embeds again when asked (the output that carried it was cleared), and figures then don't.
    const again = captured(() => {
      assert.equal(plotlyInit(), true);
      assert.equal(plotlyInit(), true);
      showPlot(lineChart([5]));
    });
    assert.deepEqual(again.map((s) => (s.message.data["text/html"] as string).includes(PLOTLYJS_MARKER)), [true, true, false]);
  });

  it("TSGAN_PLOTLY_EMBED=off leaves plotly.js out; a value it does not know is an error", () => {
    const saved = process.env.TSGAN_PLOTLY_EMBED;
    try {
      process.env.TSGAN_PLOTLY_EMBED = "off";
      const sent = captured(() => showPlot(lineChart([1, 2])));
      assert.deepEqual(sent.map((s) => PLOTLY_MIME in s.message.data), [true]);
      process.env.TSGAN_PLOTLY_EMBED = "sometimes";
      assert.throws(() => captured(() => showPlot(lineChart([1]))), /TSGAN_PLOTLY_EMBED=sometimes is not understood: use "auto" .* or "off"/);
    } finally {
      if (saved === undefined) delete process.env.TSGAN_PLOTLY_EMBED;
      else process.env.TSGAN_PLOTLY_EMBED = saved;
    }
    assert.equal(autoEmbedEnabled({}), true);
    assert.equal(autoEmbedEnabled({ TSGAN_PLOTLY_EMBED: "auto" }), true);
    assert.equal(autoEmbedEnabled({ TSGAN_PLOTLY_EMBED: "0" }), false);
  });

  it("the embedded plotly.js is the installed one, compressed, with no URL to fetch anything from", () => {
    const html = plotlyLoaderHtml();
    const packed = /var packed = "([A-Za-z0-9+/=]+)";/.exec(html);
    assert.ok(packed, "a base64 literal");
    const installed = fs.readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"));
    assert.ok(zlib.gunzipSync(Buffer.from(packed[1], "base64")).equals(installed), "unpacks to plotly.min.js byte for byte");
    assert.doesNotMatch(html.replace(packed[1], ""), /https?:\/\/|src=/, "nothing is loaded from elsewhere");
    assert.equal(html.split("</script>").length, 2);
    const size = plotlyEmbedSize();
    assert.equal(size.sourceBytes, installed.length);
    assert.equal(size.embeddedBytes, Buffer.byteLength(html));
    assert.ok(size.embeddedBytes < 0.5 * size.sourceBytes, `embedded ${size.embeddedBytes} bytes for ${size.sourceBytes} of source`);
  });

  it("describes a figure in text: title, axes, each trace's size and ranges", () => {
    const fig = histogram({ real: [3, -1, 2] }, { title: "Samples", xLabel: "x", yLabel: "density" });
    fig.data.push(...heatmap({ x: [0, 1, 2], y: [10, 20], z: [[1, 2, 3], [4, 5, 0.000123456]] }).data);
    fig.data.push({ type: "bar", name: "counts", x: ["a", "b"], y: [1, 7] });
    assert.equal(figureDescription(fig), [
      'Plotly figure "Samples": 3 traces (histogram "real", heatmap, bar "counts")',
      "  axes: x: x, y: density",
      '  histogram "real": 3 values, x -1 to 3',
      "  heatmap: 2 × 3 grid, x 0 to 2, y 10 to 20, values 0.0001235 to 5",
      '  bar "counts": 2 points, x 2 categories, y 1 to 7',
    ].join("\n"));
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
