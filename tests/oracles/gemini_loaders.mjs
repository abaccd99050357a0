// Gemini CLI's own loaders, run on a project: node gemini_loaders.mjs BUNDLE_DIR PROJECT_DIR ARGS
//
// Gemini CLI lists custom commands and subagents only inside its interactive UI, so this script
// imports the two loaders from the installed package's bundle and prints what they load, as JSON:
// - `loadAgentsFromDirectory(<project>/.gemini/agents)`: the agents and the load errors;
// - `new FileCommandLoader(null).loadCommands()`: the commands (user folder, then the project's);
//   each command is then run as `/name ARGS` the way the UI runs it, with a configuration that
//   refuses any use, so a prompt that asks for shell (`!{...}`) or file (`@{...}`) injection shows
//   up as an error instead of reading files or running commands;
// - every "user feedback" event the loaders emit (invalid TOML, a missing `prompt`).
// The bundle's chunk names change between releases, so the modules are found by what they export.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [bundle, project, args] = process.argv.slice(2);

function exportsOf(file) {
  const text = fs.readFileSync(file, "utf8");
  const blocks = [...text.matchAll(/\nexport \{([^}]*)\}/g)];
  const names = blocks.length ? blocks[blocks.length - 1][1].split(",").map((s) => s.trim().split(/\s+as\s+/).pop()) : [];
  return { text, names };
}

const files = fs.readdirSync(bundle).filter((f) => f.endsWith(".js")).sort();
const loaderFile = files.find((f) => exportsOf(path.join(bundle, f)).names.includes("FileCommandLoader"));
if (!loaderFile) throw new Error(`no module of ${bundle} exports FileCommandLoader`);
// The core chunk the loader imports coreEvents from: the event bus instance it reports through.
const loaderText = fs.readFileSync(path.join(bundle, loaderFile), "utf8");
const coreImport = [...loaderText.matchAll(/import \{([^}]*)\} from "\.\/([^"]+)"/g)]
  .find((m) => m[1].split(",").map((s) => s.trim()).includes("coreEvents"));
if (!coreImport) throw new Error(`${loaderFile} does not import coreEvents`);
const core = await import(pathToFileURL(path.join(bundle, coreImport[2])).href);
const cli = await import(pathToFileURL(path.join(bundle, loaderFile)).href);
if (typeof core.loadAgentsFromDirectory !== "function") throw new Error(`${coreImport[2]} lacks loadAgentsFromDirectory`);

const feedback = [];
core.coreEvents.on("user-feedback", (p) => {
  const error = p.error instanceof Error ? p.error.message : p.error;
  feedback.push({ severity: p.severity, message: String(p.message), error: error === undefined ? null : JSON.stringify(error) });
});

process.chdir(project);
const agents = await core.loadAgentsFromDirectory(path.join(project, ".gemini", "agents"));

// Any use of the configuration (to check a shell command's policy, to read a file) throws.
const refusing = new Proxy({}, { get: (_, key) => { throw new Error(`configuration used: ${String(key)}`); } });
const commands = [];
for (const command of await new cli.FileCommandLoader(null).loadCommands(new AbortController().signal)) {
  const uiErrors = [];
  const context = {
    invocation: { raw: `/${command.name} ${args}`, name: command.name, args },
    services: { agentContext: { config: refusing } },
    session: { sessionShellAllowlist: new Set() },
    ui: { addItem: (item) => { if (item.type === "error") uiErrors.push(item.text); } },
  };
  let result;
  try {
    const done = await command.action(context, args);
    result = { type: done.type, text: (done.content || []).map((part) => part.text ?? "").join("") };
  } catch (error) {
    result = { type: "exception", text: String(error && error.message ? error.message : error) };
  }
  commands.push({ name: command.name, description: command.description, kind: command.kind, result, uiErrors });
}

process.stdout.write(JSON.stringify({
  modules: [loaderFile, coreImport[2]],
  agents: agents.agents.map((a) => ({ name: a.name, description: a.description, kind: a.kind })),
  agentErrors: agents.errors.map((e) => String(e.message)),
  commands,
  feedback,
}));
