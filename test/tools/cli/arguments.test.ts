/**
 * `tsgan`'s command line: every mistake gives one line that names the wrong value and the right ones, and a
 * non-zero exit; every command has --help; `list` names every variant; package.json's bin reaches the CLI.
 * The CLI runs as a child process, as `npx tsgan` would run it.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { DATASET_NAMES, variantNames } from "../../../lib/models/registry";
import { CLI, expectExit, projectRoot, runCli, tempDir } from "./helpers";

describe("tools/cli: arguments, help and list", function () {
  this.timeout(120000);
  const root = tempDir("cli-args");
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const variants = variantNames().join(", ");
  const mistakes: [string, string[], RegExp][] = [
    ["an unknown variant", ["train", "stylegan", "--dataset", "ring", "--steps", "5"], new RegExp(`unknown variant "stylegan"; the variants are ${variants}\\.`)],
    ["an unknown dataset", ["train", "vanilla", "--dataset", "cifar10", "--steps", "5"], /unknown dataset "cifar10" for --dataset; the datasets are mnist, mnist-train, fashion-mnist, ring, grid\./],
    ["negative steps", ["train", "vanilla", "--dataset", "ring", "--steps", "-5"], /--steps must be a positive integer, got "-5"\./],
    ["non-integer steps", ["train", "vanilla", "--dataset", "ring", "--steps", "2.5"], /--steps must be a positive integer, got "2\.5"\./],
    ["zero steps", ["train", "vanilla", "--dataset", "ring", "--steps=0"], /--steps must be a positive integer, got "0"\./],
    ["steps of resume", ["resume", "runs/x", "--steps", "ten"], /--steps must be a positive integer, got "ten"\./],
    ["a missing --steps", ["train", "vanilla", "--dataset", "ring"], /tsgan train needs --steps N: steps to train/],
    ["a missing variant", ["train", "--dataset", "ring", "--steps", "3"], /tsgan train needs <variant>: the variant: vanilla, dcgan/],
    ["an unknown flag", ["train", "vanilla", "--dataset", "ring", "--steps", "3", "--epochs", "2"], /unknown flag --epochs for tsgan train; its flags are --dataset, --steps, --out, .*--overwrite, --help\./],
    ["an unknown flag of sample", ["sample", "runs/x", "--count", "3"], /unknown flag --count for tsgan sample; its flags are --n, --out, --seed, --help\./],
    ["a flag without its value", ["train", "vanilla", "--dataset", "ring", "--steps"], /--steps needs a value \(N\)\./],
    ["a bad seed", ["train", "vanilla", "--dataset", "ring", "--steps", "3", "--seed", "x1"], /--seed must be an integer from 0 to 4294967295, got "x1"\./],
    ["a variant on data it does not take", ["train", "dcgan", "--dataset", "ring", "--steps", "3"], /variant "dcgan" does not train on "ring" \(2-D points\); it trains on mnist, mnist-train, fashion-mnist\./],
    ["a trunk a variant lacks", ["train", "wgan", "--dataset", "mnist", "--steps", "3", "--trunk", "resnet"], /variant "wgan" has no trunk "resnet"; its trunks are mlp, conv\./],
    ["bad hidden sizes", ["train", "vanilla", "--dataset", "grid", "--steps", "3", "--hidden-sizes", "64,,64"], /--hidden-sizes must be positive integers separated by commas \(e\.g\. 128,128,128\), got "64,,64"\./],
    ["hidden sizes on images", ["train", "vanilla", "--dataset", "mnist", "--steps", "3", "--hidden-sizes", "64"], /hiddenSizes sets the MLPs on 2-D points; on "mnist" \(images\) "vanilla" builds its chapter's networks\./],
    ["a zero learning rate", ["train", "vanilla", "--dataset", "ring", "--steps", "3", "--learning-rate", "0"], /--learning-rate must be a positive number, got "0"\./],
    ["an anneal above 1", ["train", "vanilla", "--dataset", "ring", "--steps", "3", "--anneal", "2"], /--anneal must be a number in \(0, 1\], got "2"\./],
    ["an odd batch for PacGAN", ["train", "pacgan", "--dataset", "ring", "--steps", "3", "--batch-size", "33"], /--batch-size must be a multiple of 2 for pacgan .*got 33\./],
    ["--resume with --overwrite", ["train", "vanilla", "--dataset", "ring", "--steps", "3", "--resume", "--overwrite", "--out", "nowhere"], /give --resume .* or --overwrite .*, not both\./],
    ["a missing run folder (resume)", ["resume", "no/such/run"], /no run folder at no\/such\/run; train one with: tsgan train <variant> --dataset NAME --steps N --out no\/such\/run/],
    ["a missing run folder (sample)", ["sample", "no/such/run"], /no run folder at no\/such\/run/],
    ["a missing run folder (eval)", ["eval", "no/such/run"], /no run folder at no\/such\/run/],
    ["an unknown command", ["fit", "vanilla"], /unknown command "fit"; the commands are train, resume, sample, eval, list/],
    ["an argument too many", ["list", "vanilla"], /unexpected argument "vanilla" for tsgan list, which takes none/],
  ];

  it("each mistake: exit 2 and one line on stderr naming the wrong value and the valid ones", async () => {
    // Independent processes: run them side by side.
    const results = await Promise.all(mistakes.map(([, args]) => runCli(args, { cwd: root })));
    mistakes.forEach(([what, args], i) => {
      const r = results[i];
      expectExit(r, 2, `${what} (tsgan ${args.join(" ")})`);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
      assert.match(lines[0], /^tsgan( \w+)?: error: /, what);
      assert.match(lines[0], mistakes[i][2], what);
      assert.equal(r.stdout, "", `${what}: nothing on stdout`);
    });
    assert.deepEqual(fs.readdirSync(root), [], "no mistake created a run folder");
  });

  it("a folder that is not a run: resume, sample and eval say so", async () => {
    const folder = path.join(root, "plain");
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, "x.txt"), "");
    for (const command of ["resume", "sample", "eval"]) {
      const r = await runCli([command, folder]);
      expectExit(r, 2, command);
      assert.match(r.stderr, /is not a tsgan run folder \(it has no run\.json\); give the folder `tsgan train --out` wrote\./);
    }
    fs.rmSync(folder, { recursive: true });
  });

  it("--help for every command: usage, each flag, exit 0; no arguments at all: the usage and exit 2", async () => {
    const commands = ["train", "resume", "sample", "eval", "list"];
    const results = await Promise.all(commands.map((c) => runCli([c, "--help"])));
    commands.forEach((c, i) => {
      expectExit(results[i], 0, `${c} --help`);
      assert.match(results[i].stdout, new RegExp(`^usage: tsgan ${c}\\b`), c);
      assert.match(results[i].stdout, /--help +show this help/, c);
    });
    for (const flag of ["--dataset", "--steps", "--out", "--batch-size", "--seed", "--sample-every", "--checkpoint-every", "--resume", "--overwrite"]) {
      assert.ok(results[0].stdout.includes(`  ${flag}`), `train --help lists ${flag}`);
    }
    // --help wins over mistakes elsewhere on the line.
    expectExit(await runCli(["train", "nope", "--steps", "-1", "--help"]), 0, "--help with mistakes");
    const bare = await runCli([]);
    expectExit(bare, 2, "no command");
    assert.match(bare.stderr, /^usage: tsgan <command>/);
    const top = await runCli(["--help"]);
    expectExit(top, 0, "--help");
    for (const c of commands) assert.match(top.stdout, new RegExp(`^  ${c} `, "m"));
  });

  it("list names every registered variant, with its paper and datasets, and every dataset", async () => {
    const r = await runCli(["list"]);
    expectExit(r, 0, "list");
    for (const name of variantNames()) assert.match(r.stdout, new RegExp(`^  ${name} +\\S`, "m"), name);
    for (const name of DATASET_NAMES) assert.match(r.stdout, new RegExp(`^  ${name} +\\S`, "m"), name);
    assert.match(r.stdout, /Goodfellow et al\. 2014/);
    assert.match(r.stdout, /^ +datasets: mnist, mnist-train, fashion-mnist$/m, "dcgan trains on images only");
  });

  it("package.json's bin is the compiled CLI, which starts with a shebang; `files` ships what it needs", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot(), "package.json"), "utf8"));
    assert.equal(path.join(projectRoot(), manifest.bin.tsgan), CLI);
    assert.ok(fs.readFileSync(CLI, "utf8").startsWith("#!/usr/bin/env node\n"), "tsc kept the shebang on the first line");
    // The CLI's code, the library it imports, and the stored classifiers `tsgan eval` loads.
    for (const entry of ["build/tools/cli", "build/lib", "data/classifiers"]) assert.ok(manifest.files.includes(entry), entry);
  });
});
