import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DOMAIN = join(__dirname, '../../../server/domain');
// yaml: the access policy is parsed in the domain, to name the line and column of each problem.
const ALLOWED = [/^\.\/[a-z-]+$/, /^@bufbuild\/cel(\/.*)?$/, /^zod(\/.*)?$/, /^yaml$/];

function importsOf(source: string): string[] {
  const specifiers = [...source.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)];
  return specifiers.map((m) => m[1]);
}

describe('server/domain (DESIGN §3: pure rules, no I/O)', () => {
  const files = readdirSync(DOMAIN).filter((name) => name.endsWith('.ts'));

  it('has modules to check', () => {
    expect(files).toEqual(expect.arrayContaining(['condition.ts', 'policy-edit.ts']));
  });

  it.each(files)('%s imports only sibling domain modules, @bufbuild/cel, zod and yaml', (file) => {
    const forbidden = importsOf(readFileSync(join(DOMAIN, file), 'utf8')).filter(
      (specifier) => !ALLOWED.some((pattern) => pattern.test(specifier)),
    );
    expect(forbidden).toEqual([]);
  });
});
