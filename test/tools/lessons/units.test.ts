/** Pure parts of the lesson runner: wire format, tslab error parsing, notebooks, parameters, CLI arguments. */
import { strict as assert } from "assert";
import { createHmac } from "crypto";
import * as path from "path";
import { DELIMITER, decode, encode, newKey, newMessage } from "../../../tools/lessons/wire";
import { cellFrame, mapJsLineToSource, parseTslabError } from "../../../tools/lessons/errors";
import {
  INJECTED_TAG,
  Notebook,
  OutputCollector,
  ensureCellIds,
  injectParameters,
  nbformatProblems,
  parameterSource,
  sourceText,
} from "../../../tools/lessons/notebook";
import { parseArgs } from "../../../tools/lessons/cli";
import { Message } from "../../../tools/lessons/wire";

describe("lessons: wire protocol", () => {
  it("signs the four JSON frames with HMAC-SHA256 and round-trips a message", () => {
    const key = newKey();
    assert.equal(key.length, 64);
    const msg = newMessage("session-1", "execute_request", { code: "1 + 1" });
    const frames = encode(key, msg);
    assert.ok(frames[0].equals(DELIMITER));
    const expected = createHmac("sha256", key);
    for (const frame of frames.slice(2, 6)) expected.update(frame);
    assert.equal(frames[1].toString(), expected.digest("hex"));
    assert.equal(msg.header.version, "5.3");
    const back = decode(key, [Buffer.from("routing-id"), ...frames]);
    assert.deepEqual(back.content, { code: "1 + 1" });
    assert.equal(back.header.msg_type, "execute_request");
  });

  it("rejects a message with a wrong signature or without the delimiter", () => {
    const frames = encode(newKey(), newMessage("s", "status", {}));
    assert.throws(() => decode(newKey(), frames), /wrong HMAC signature/);
    assert.throws(() => decode(newKey(), frames.slice(1)), /delimiter/);
  });
});

describe("lessons: tslab error text", () => {
  it("reads a compile error's line from the diagnostic", () => {
    const parsed = parseTslabError("2:7 - Type 'string' is not assignable to type 'number'.\n");
    assert.equal(parsed.ename, "CompileError");
    assert.equal(parsed.evalue, "Type 'string' is not assignable to type 'number'.");
    assert.equal(parsed.line, 2);
  });

  it("reads name, message and evalmachine frames of a runtime error, dropping tslab's frames", () => {
    const text = [
      "evalmachine.<anonymous>:5",
      "    throw new RangeError(`bad`);",
      "    ^",
      "",
      "RangeError: expected 3 values, got 2",
      "    at checkShape (evalmachine.<anonymous>:5:15)",
      "    at evalmachine.<anonymous>:11:1",
      "    at evalmachine.<anonymous>:14:3",
      "    at sigintHandlersWrap (node:vm:280:12)",
      "    at Object.execute (/x/node_modules/tslab/dist/executor.js:160:38)",
    ].join("\n");
    const parsed = parseTslabError(text);
    assert.equal(parsed.ename, "RangeError");
    assert.equal(parsed.evalue, "expected 3 values, got 2");
    assert.deepEqual(parsed.jsFrames, [5, 11, 14]);
    assert.equal(parsed.traceback.length, 8);
    // 13 compiled lines: line 14 is tslab's wrapper, so the cell's own frame is line 11
    assert.equal(cellFrame([5, 11, 14], "x\n".repeat(13)), 11);
  });

  it("maps a line of tslab's compiled JavaScript back to the TypeScript line", () => {
    const source = "import * as tf from \"@tensorflow/tfjs\";\n\n// comment\nconst p: P = {a: 1};\n\ntf.tensor([1,2]).reshape([3]);";
    const compiled = [
      'Object.defineProperty(exports, "__esModule", { value: true });',
      "exports.p = exports.tf = exports.tsLastExpr = void 0;",
      'const tf = __importStar(require("@tensorflow/tfjs"));',
      "exports.tf = tf;",
      "const p = { a: 1 };",
      "exports.p = p;",
      "exports.tsLastExpr = tf.tensor([1, 2]).reshape([3]);",
      "",
    ].join("\n");
    assert.equal(mapJsLineToSource(source, compiled, 7), 6);
    assert.equal(mapJsLineToSource(source, compiled, 5), 4);
  });
});

describe("lessons: notebooks", () => {
  const message = (msg_type: string, content: Record<string, unknown>): Message => ({
    header: { msg_id: "m", session: "s", username: "u", date: "", msg_type, version: "5.3" },
    parent_header: {},
    metadata: {},
    content,
    buffers: [],
  });

  it("merges consecutive stream text and applies update_display_data to the earlier display", () => {
    const displays = new Map();
    const first = new OutputCollector(displays);
    first.add(message("stream", { name: "stdout", text: "a\n" }));
    first.add(message("stream", { name: "stdout", text: "b\n" }));
    first.add(message("stream", { name: "stderr", text: "w\n" }));
    first.add(message("display_data", { data: { "text/plain": "1" }, metadata: {}, transient: { display_id: "d" } }));
    const second = new OutputCollector(displays);
    second.add(message("update_display_data", { data: { "text/plain": "2" }, metadata: {}, transient: { display_id: "d" } }));
    assert.deepEqual(first.outputs, [
      { output_type: "stream", name: "stdout", text: "a\nb\n" },
      { output_type: "stream", name: "stderr", text: "w\n" },
      { output_type: "display_data", data: { "text/plain": "2" }, metadata: {} },
    ]);
    assert.deepEqual(second.outputs, []);
  });

  it("injects a profile's values after the parameters cell, and nothing for a profile without values", () => {
    const make = (): Notebook => ({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { tsgan: { profiles: { smoke: { steps: 20, label: "s" } } } },
      cells: [
        { cell_type: "markdown", metadata: {}, source: "# t" },
        { cell_type: "code", metadata: { tags: ["parameters"] }, source: "let steps = 1;\nlet label = \"d\";", outputs: [], execution_count: null },
        { cell_type: "code", metadata: {}, source: "steps", outputs: [], execution_count: null },
      ],
    });
    const notebook = make();
    assert.equal(injectParameters(notebook, "smoke"), 2);
    assert.deepEqual(notebook.cells[2].metadata.tags, [INJECTED_TAG]);
    assert.match(sourceText(notebook.cells[2].source), /\nsteps = 20;\nlabel = "s";\nundefined;$/);
    // running again replaces the injected cell instead of adding a second one
    assert.equal(injectParameters(notebook, "smoke"), 2);
    assert.equal(notebook.cells.length, 4);
    const quick = make();
    assert.equal(injectParameters(quick, "quick"), -1);
    assert.equal(quick.cells.length, 3);
    assert.throws(() => parameterSource("smoke", { "not valid": 1 }), /not a TypeScript identifier/);
    const untagged = make();
    untagged.cells[1].metadata = {};
    assert.throws(() => injectParameters(untagged, "smoke"), /no code cell is tagged "parameters"/);
  });

  it("gives cells unique valid ids and reports nbformat 4.5 problems", () => {
    const notebook: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        { id: "same", cell_type: "code", metadata: {}, source: "", outputs: [], execution_count: null },
        { id: "same", cell_type: "markdown", metadata: {}, source: "" },
        { cell_type: "raw", metadata: {}, source: "" },
      ],
    };
    assert.match(nbformatProblems(notebook).join("\n"), /id same is not unique/);
    ensureCellIds(notebook.cells);
    assert.deepEqual(nbformatProblems(notebook), []);
    assert.equal(new Set(notebook.cells.map((c) => c.id)).size, 3);
    assert.equal(notebook.cells[0].id, "same");
  });
});

describe("lessons: command line", () => {
  it("defaults to profile quick and every notebook in notebooks/, sorted", () => {
    const root = path.dirname(path.dirname(path.dirname(path.dirname(__filename))));
    const args = parseArgs([], root);
    assert.equal(args.profile, "quick");
    assert.equal(args.outDir, path.join(root, "out", "notebooks"));
    assert.deepEqual(args.notebooks, [...args.notebooks].sort());
    assert.ok(args.notebooks.every((f) => f.startsWith(path.join(root, "notebooks")) && f.endsWith(".ipynb")));
  });

  it("reads --profile, --cell-timeout and rejects bad values", () => {
    const args = parseArgs(["--profile", "smoke", "--cell-timeout=2.5", "--help"], "/nonexistent");
    assert.equal(args.profile, "smoke");
    assert.equal(args.cellTimeoutMs, 2500);
    assert.equal(args.help, true);
    assert.throws(() => parseArgs(["--profile", "fast"], "/nonexistent"), /--profile must be one of smoke, quick, full/);
    assert.throws(() => parseArgs(["--cell-timeout", "-1"], "/nonexistent"), /positive number of seconds/);
    assert.throws(() => parseArgs(["--bogus"], "/nonexistent"), /Unknown option --bogus/);
  });
});
