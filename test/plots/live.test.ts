import { strict as assert } from "assert";
import { livePlot, thinIndices } from "../../lib/plots/live";
import { DisplaySink, PLOTLY_MIME, setDisplaySink } from "../../lib/plots/plotly";
import { PLOTLYJS_MARKER } from "../../lib/plots/plotlyjs";

describe("plots/live", () => {
  it("thins long series to at most max points, keeping the first and last", () => {
    assert.deepEqual(thinIndices(5, 10), [0, 1, 2, 3, 4]);
    assert.deepEqual(thinIndices(10, 4), [0, 3, 6, 9]);
    assert.deepEqual(thinIndices(11, 4), [0, 3, 6, 10]);
  });

  it("in a notebook, draws once then replaces the same display, at most once per throttle period", () => {
    const sent: Array<{ message: Parameters<DisplaySink>[0]; update: boolean }> = [];
    const previous = setDisplaySink((message, update) => { sent.push({ message, update }); });
    let clock = 0;
    try {
      const plot = livePlot(["D loss", "G loss"], { throttleMs: 100, now: () => clock });
      for (let step = 0; step < 10; step++) {
        clock = step * 30; // updates at 0, 30, ..., 270 ms: draws at 0, 120, 240
        plot.update({ "D loss": 1 / (step + 1), "G loss": step }, step);
      }
      assert.equal(plot.draws, 3);
      plot.close();
      const final = plot.figure();
      assert.equal(plot.draws, 4, "close() draws the points added since the last draw");
      // The session's first figure brings plotly.js, as an output of its own that the updates leave alone.
      assert.equal(sent.length, 5);
      const loader = sent.shift();
      assert.ok(loader && !(PLOTLY_MIME in loader.message.data) && loader.message.transient === undefined);
      assert.ok((loader.message.data["text/html"] as string).includes(PLOTLYJS_MARKER));
      assert.deepEqual(sent.map((s) => s.update), [false, true, true, true]);
      const ids = new Set(sent.map((s) => s.message.transient?.display_id));
      assert.equal(ids.size, 1);
      assert.match([...ids][0] as string, /^[0-9a-f]{16}$/);
      const last = sent[3].message.data[PLOTLY_MIME] as { data: Array<{ name: string; y: number[] }> };
      assert.deepEqual(last.data[1].y, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(final.data[0].x, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.throws(() => plot.update({ "D loss": 0 }), /after close/);
    } finally {
      setDisplaySink(previous);
    }
  });

  it("outside a notebook, prints a throttled line of the latest values", () => {
    const previous = setDisplaySink(null);
    const lines: string[] = [];
    let clock = 0;
    try {
      const plot = livePlot(["loss"], { title: "GAN", throttleMs: 1000, now: () => clock, log: (l) => lines.push(l) });
      plot.update({ loss: 0.5 });
      clock = 500;
      plot.update({ loss: 0.25 });
      plot.close();
      plot.close();
    } finally {
      setDisplaySink(previous);
    }
    assert.deepEqual(lines, ["[GAN] step 0: loss=0.5000", "[GAN] step 1: loss=0.2500"]);
  });

  it("names the known series when given an unknown one", () => {
    const plot = livePlot(["D loss"], { log: () => undefined });
    assert.throws(() => plot.update({ "d loss": 1 }), /unknown series "d loss"; this plot has "D loss"/);
    assert.throws(() => livePlot([]), /give the series names/);
  });
});
