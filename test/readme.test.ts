/**
 * "The README is true": its library examples type-check against the built `tsgan` package and run, as a
 * student would paste them, in a fresh Node process (only the step count is cut and the checkpoint directory
 * moved to a temporary one, so that they run in seconds and leave nothing behind).
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..");

/** The fenced ```ts blocks of a markdown text. */
export function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** Type-checks (strict, against the built package) and runs one README block in a fresh Node process. */
function runExample(example: string, name: string): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-readme-"));
  try {
    const checkpoints = path.join(dir, "runs");
    const source = example
      .replace(/steps: \d[\d_]*/, "steps: 3")
      .replace(/checkpointEvery: \d+/, "checkpointEvery: 2")
      .replace(/"runs\/vanilla"/, JSON.stringify(checkpoints));
    assert.notEqual(source, example, `${name}: its steps could not be shortened for the test`);
    // Top-level await, as in a notebook cell or an ES module: wrap it in an async main for CommonJS.
    const program = `${source.split("\n").filter((l) => l.startsWith("import ")).join("\n")}
async function main(): Promise<void> {
${source.split("\n").filter((l) => !l.startsWith("import ")).join("\n")}
  if (history.step.length !== 3) throw new Error("expected 3 recorded steps, got " + history.step.length);
  if (!Object.values(tsgan.flatHistory(history)).flat().every(Number.isFinite)) throw new Error("the history is not finite");
  console.log("readme example: ok");
}
main().catch((e) => { console.error(e); process.exit(1); });
`;
    const file = path.join(ROOT, "build", `readme-${name}.ts`);
    fs.writeFileSync(file, program);
    // Type-check with the project's own strict settings, resolving "tsgan" as a student's code would.
    const host = ts.createCompilerHost({});
    const compiled = ts.createProgram([file], {
      strict: true, target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ["node"],
    }, host);
    const diagnostics = ts.getPreEmitDiagnostics(compiled).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    assert.deepEqual(diagnostics, [], `README ${name} does not type-check:\n` + diagnostics.join("\n"));
    const js = ts.transpileModule(program, { compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS } }).outputText;
    const jsFile = path.join(ROOT, "build", `readme-${name}.js`);
    fs.writeFileSync(jsFile, js);
    const r = spawnSync(process.execPath, [jsFile], { cwd: ROOT, encoding: "utf8", timeout: 150_000, env: { ...process.env, TSGAN_QUIET: "1" } });
    assert.equal(r.status, 0, `the README ${name} failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /readme example: ok/);
    if (example.includes("checkpointDir")) {
      assert.ok(fs.existsSync(checkpoints) && fs.readdirSync(checkpoints).length > 0, `${name} wrote no checkpoint`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("README", function () {
  this.timeout(300_000);
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const examples = typescriptBlocks(readme).filter((b) => b.includes("tsgan.train("));

  it("has library examples that train with tsgan.train: a GanSpec and a game of players", () => {
    assert.ok(examples.length >= 2, `README.md has ${examples.length} \`\`\`ts blocks calling tsgan.train(`);
    assert.ok(examples.some((b) => b.includes("tsgan.Game")), "no example writes a game of players");
  });

  for (const [i, name] of ["the GanSpec example", "the game example"].entries()) {
    it(`${name} type-checks (strict) and runs`, () => runExample(examples[i], `example-${i + 1}`));
  }
});
