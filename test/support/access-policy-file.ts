// Temporary access-policy files (ACCESS_POLICY) for tests, removed with their directories once the test file's
// tests have run: importing this module registers the removal, so callers only create files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TemporaryAccessPolicy {
  /** The file's path: the value of ACCESS_POLICY. */
  readonly path: string;
  /** Replaces the file's YAML; a running service reads it at its next refresh. */
  write(yaml: string): void;
}

const directories: string[] = [];

/**
 * A file in a directory of its own holding this YAML. Call it anywhere in a test file (top level, a hook, a test,
 * a stack's `env` function); every file it made is removed after the file's last test.
 */
export function temporaryAccessPolicy(yaml: string): TemporaryAccessPolicy {
  const directory = mkdtempSync(path.join(tmpdir(), 'access-policy-'));
  directories.push(directory);
  const file = path.join(directory, 'policy.yaml');
  writeFileSync(file, yaml);
  return { path: file, write: (text) => writeFileSync(file, text) };
}

// Jest loads this module afresh for every test file, so this hook belongs to the importing file's top level.
afterAll(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});
