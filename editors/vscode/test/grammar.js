// The grammar test: tokenizes every shipped policy (../../policies/**/*.pol) with
// vscode-textmate + vscode-oniguruma and compares the scopes with test/snapshots/.
// `npm run test:update` writes the snapshots again (read the diff before committing).
"use strict";
const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.resolve(__dirname, "..");
const policies = path.resolve(root, "../../policies");
const snapshots = path.join(__dirname, "snapshots");
const update = process.argv.includes("--update");

function polFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...polFiles(p));
    else if (e.name.endsWith(".pol")) out.push(p);
  }
  return out;
}

async function main() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (p) => new oniguruma.OnigScanner(p),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      if (scope !== "source.pol") return null;
      const file = path.join(root, "syntaxes/pol.tmLanguage.json");
      return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
  const grammar = await registry.loadGrammar("source.pol");
  const files = polFiles(policies);
  if (files.length === 0) throw new Error(`no .pol files below ${policies}`);
  let failed = 0;
  fs.mkdirSync(snapshots, { recursive: true });
  for (const file of files) {
    const rel = path.relative(policies, file);
    let stack = vsctm.INITIAL;
    const out = [];
    fs.readFileSync(file, "utf8").split("\n").forEach((line, i) => {
      const r = grammar.tokenizeLine(line, stack);
      for (const t of r.tokens) {
        const text = line.slice(t.startIndex, t.endIndex);
        if (text.trim() === "") continue;
        const scopes = t.scopes.filter((s) => s !== "source.pol").join(" ");
        out.push(`${i + 1}:${t.startIndex + 1} ${JSON.stringify(text)} ${scopes || "-"}`);
      }
      stack = r.ruleStack;
    });
    const snap = path.join(snapshots, rel.replace(/[\\/]/g, "__") + ".snap");
    const got = out.join("\n") + "\n";
    if (update) {
      fs.writeFileSync(snap, got);
      console.log(`wrote ${path.relative(root, snap)}`);
    } else if (!fs.existsSync(snap) || fs.readFileSync(snap, "utf8") !== got) {
      failed++;
      console.error(`FAIL ${rel}: the scopes differ from ${path.relative(root, snap)} (npm run test:update)`);
    } else {
      console.log(`ok   ${rel}`);
    }
  }
  if (failed > 0) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
