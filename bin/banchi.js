#!/usr/bin/env node
// The `banchi` command. The CLI is TypeScript run directly by Node 24; an older `node` on the PATH
// (Node 20 cannot run .ts) re-runs this under the Node 24 that `npm install` put in node_modules.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'src', 'cli', 'main.ts');
const major = Number(process.versions.node.split('.')[0]);

function projectNode() {
  const candidates = [path.join(root, 'node_modules', 'node', 'bin', 'node'), path.join(root, 'node_modules', '.bin', 'node')];
  try {
    // banchi installed as a dependency: the `node` package may be hoisted next to it.
    candidates.push(path.join(path.dirname(createRequire(path.join(root, 'package.json')).resolve('node/package.json')), 'bin', 'node'));
  } catch {
    /* not installed */
  }
  return candidates.find((p) => existsSync(p));
}

if (major >= 24) {
  const { runFromProcess } = await import(pathToFileURL(entry).href);
  await runFromProcess();
} else {
  const node = projectNode();
  if (!node) {
    process.stderr.write(`banchi: needs Node.js 24 or later (this is ${process.version}). Run "npm install" in ${root} to get it.\n`);
    process.exit(2);
  }
  const child = spawn(node, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  // A terminal's Ctrl-C reaches the child directly; signals sent to this process are passed on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1)));
}
