#!/usr/bin/env node
// The `jit` command (package.json "bin"). Runs the compiled CLI in dist/cli; when that is missing or older
// than the sources in cli/ (a fresh clone after `npm install`, or after a pull), compiles it first with
// the project's TypeScript, which takes a few seconds once.
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'dist', 'cli', 'main.js');
const sources = path.join(root, 'cli');

function newestSource() {
  return Math.max(...readdirSync(sources).filter((f) => /\.(ts|json)$/.test(f)).map((f) => statSync(path.join(sources, f)).mtimeMs));
}

function compile() {
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  } catch {
    process.stderr.write('jit: the CLI is not built and TypeScript is not installed: run `npm install` and `npm run build` in the JIT Access checkout.\n');
    process.exit(1);
  }
  process.stderr.write('jit: compiling the CLI (once)…\n');
  const { status } = require('node:child_process').spawnSync(process.execPath, [tsc, '-p', path.join(sources, 'tsconfig.json')], { stdio: 'inherit' });
  if (status !== 0) process.exit(1);
}

// A checkout without sources (an installed package) runs what it has.
if (existsSync(sources) && (!existsSync(compiled) || statSync(compiled).mtimeMs < newestSource())) compile();

require(compiled)
  .run(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  })
  .then((code) => {
    process.exitCode = code;
  });
