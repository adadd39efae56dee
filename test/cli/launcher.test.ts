// The `jit` bin as npx runs it: cli/jit.js compiles the CLI into dist/cli when that is missing or older
// than the sources, then runs it with the process's arguments and exit code.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import packageJson from '../../package.json';

const BIN = path.join(__dirname, '..', '..', packageJson.bin.jit);

function jit(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 120_000 });
}

test('the bin runs the CLI: version, help, and exit code 2 with a message for a mistake', () => {
  const version = jit('--version');
  expect(version.stdout).toBe(`${packageJson.version}\n`);
  expect(version.status).toBe(0);
  expect(jit('activate', '--help').stdout).toContain('Usage: jit activate PROJECT ROLE... -j JUSTIFICATION -d DURATION');
  const mistake = jit('roles');
  expect(mistake.status).toBe(2);
  expect(mistake.stderr).toContain('jit: missing PROJECT');
}, 120_000);
