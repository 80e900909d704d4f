import { strict as assert } from "assert";
import * as zlib from "zlib";
import * as tf from "@tensorflow/tfjs";
import { crc32, encodePng, imageGrid, showImages } from "../../lib/plots/images";
import { setDisplaySink, DisplaySink } from "../../lib/plots/plotly";

/**
 * A small PNG decoder written from the specification, independent of the encoder: it checks the signature
 * and every chunk CRC (against node's own zlib.crc32), inflates IDAT and undoes all five row filters.
 */
function decodePng(png: Uint8Array) {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  assert.deepEqual(Array.from(png.subarray(0, 8)), sig, "PNG signature");
  const buf = Buffer.from(png);
  let pos = 8;
  const chunks: Array<{ type: string; data: Buffer }> = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString("latin1", pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    const crc = buf.readUInt32BE(pos + 8 + len);
    const expected = (zlib as unknown as { crc32(b: Buffer): number }).crc32(buf.subarray(pos + 4, pos + 8 + len));
    assert.equal(crc, expected, `CRC of ${type}`);
    chunks.push({ type, data });
    pos += 12 + len;
  }
  assert.deepEqual(chunks.map((c) => c.type), ["IHDR", "IDAT", "IEND"]);
  const ihdr = chunks[0].data;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  assert.equal(ihdr[8], 8, "bit depth");
  const channels = ({ 0: 1, 4: 2, 2: 3, 6: 4 } as Record<number, number>)[ihdr[9]];
  const raw = zlib.inflateSync(chunks[1].data);
  const stride = width * channels;
  assert.equal(raw.length, (stride + 1) * height);
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= channels ? out[y * stride + i - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? out[(y - 1) * stride + i - channels] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][filter];
      assert.ok(pred !== undefined, `filter type ${filter}`);
      out[y * stride + i] = (x + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels: out };
}

describe("plots/images", () => {
  it("crc32 matches the standard check value and node's zlib.crc32", () => {
    // "123456789" -> 0xCBF43926 is the published check value of CRC-32/ISO-HDLC.
    assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
    const z = zlib as unknown as { crc32?: (b: Uint8Array) => number };
    if (z.crc32) {
      const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
      assert.equal(crc32(bytes), z.crc32(bytes));
      assert.equal(crc32(new Uint8Array(0)), 0);
    }
  });

  for (const channels of [1, 2, 3, 4] as const) {
    it(`encodes ${channels}-channel pixels that decode back exactly`, () => {
      const width = 7, height = 5;
      const pixels = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37 + 11) % 256);
      const png = encodePng(pixels, width, height, channels);
      const decoded = decodePng(png);
      assert.equal(decoded.width, width);
      assert.equal(decoded.height, height);
      assert.equal(decoded.channels, channels);
      assert.deepEqual(Array.from(decoded.pixels), Array.from(pixels));
    });
  }

  it("rejects pixel arrays of the wrong size and bad channel counts", () => {
    assert.throws(() => encodePng(new Uint8Array(10), 2, 2, 3), /expected 12 values for 2x2x3, got 10/);
    assert.throws(() => encodePng(new Uint8Array(4), 2, 2, 5 as 1), /channels must be 1, 2, 3 or 4/);
    assert.throws(() => encodePng(new Uint8Array(0), 0, 2, 1), /positive integers/);
  });

  it("lays out a [-1, 1] batch as a grid with padding and scale", () => {
    // Three 2x2 grey images: all -1 (black), all 1 (white), and one with a 0 (mid grey) pixel.
    const images = tf.tensor4d([-1, -1, -1, -1, 1, 1, 1, 1, 0, 1, 1, 1], [3, 2, 2, 1]);
    const grid = imageGrid(images, { cols: 2, scale: 2, padding: 1, background: 50 });
    images.dispose();
    // 2 columns of 4 px + 3 padding = 11 wide; 2 rows of 4 px + 3 padding = 11 high.
    assert.equal(grid.width, 11);
    assert.equal(grid.height, 11);
    const { pixels, width, channels } = decodePng(grid.png);
    assert.equal(channels, 1);
    const at = (x: number, y: number) => pixels[y * width + x];
    assert.equal(at(0, 0), 50, "padding");
    assert.equal(at(1, 1), 0, "image 0 is black");
    assert.equal(at(4, 4), 0, "image 0 spans 4x4 pixels after scaling");
    assert.equal(at(5, 1), 50, "padding between columns");
    assert.equal(at(6, 1), 255, "image 1 is white");
    assert.equal(at(1, 6), 128, "image 2's top-left pixel 0 maps to round(127.5) = 128");
    assert.equal(at(2, 7), 128, "scaled 2x: that pixel covers 2x2");
    assert.equal(at(3, 6), 255);
    assert.equal(at(7, 7), 50, "the missing 4th image is background");
  });

  it("reads [0, 1] RGB images and keeps their colour channels", () => {
    const image = tf.tensor3d([1, 0, 0, 0, 0.5, 1], [1, 2, 3]);
    const grid = imageGrid(image, { padding: 0 });
    image.dispose();
    const { pixels, width, height, channels } = decodePng(grid.png);
    assert.deepEqual([width, height, channels], [2, 1, 3]);
    assert.deepEqual(Array.from(pixels), [255, 0, 0, 0, 128, 255]);
  });

  it("names the expected shape when given a flat batch", () => {
    const flat = tf.zeros([2, 784]);
    assert.throws(() => imageGrid(flat), /\[n, height, width, channels\].*reshape\(\[-1, 28, 28, 1\]\)/);
    flat.dispose();
  });

  it("showImages sends image/png plus a text summary", () => {
    const sent: Array<Parameters<DisplaySink>[0]> = [];
    const previous = setDisplaySink((m) => { sent.push(m); });
    try {
      const images = tf.zeros([4, 3, 3, 1]);
      showImages(images, { title: "noise" });
      const grid = imageGrid(images);
      images.dispose();
      assert.equal(sent.length, 1);
      assert.deepEqual(Object.keys(sent[0].data).sort(), ["image/png", "text/plain"]);
      assert.deepEqual(Buffer.from(sent[0].data["image/png"] as string, "base64"), Buffer.from(grid.png));
      assert.equal(sent[0].data["text/plain"], "noise: 4 images as a 9x9 PNG");
    } finally {
      setDisplaySink(previous);
    }
  });
});
