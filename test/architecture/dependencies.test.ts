import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';

/*
 * The shape ARCHITECTURE.md promises, checked on every run: no import cycles in src/, each layer
 * imports only itself and what lies below it (.dependency-cruiser.cjs), and the envelope
 * aggregate's tables are written by the aggregate alone.
 */

const root = join(import.meta.dirname, '..', '..');
const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as {
  forbidden: IForbiddenRuleType[];
  options: { exclude: { path: string } };
};

async function violations(): Promise<string[]> {
  const { output } = await cruise([join(root, 'src')], {
    validate: true,
    ruleSet: { forbidden: config.forbidden },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: config.options.exclude,
    baseDir: root,
  });
  const result = output as ICruiseResult;
  return result.summary.violations.map((v) =>
    v.cycle && v.cycle.length > 0
      ? `${v.rule.name}: ${[v.from, ...v.cycle.map((step) => step.name)].join(' → ')}`
      : `${v.rule.name}: ${v.from} → ${v.to}`,
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the dependencies of src/', () => {
  it('point one way: no cycles, and no layer imports one above it', async () => {
    assert.deepEqual(await violations(), []);
  });

  it('leave the envelope aggregate’s tables to the aggregate: no other module writes them', () => {
    const write =
      /\b(?:update|insert\s+into|delete\s+from)\s+(envelopes|documents|recipients|fields|signing_tokens)\b/gi;
    const writers = sourceFiles(join(root, 'src'))
      .filter((file) => !relative(root, file).startsWith(join('src', 'envelopes', 'aggregate')))
      .flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(write)].map(
          (match) => `${relative(root, file)}: ${match[0]}`,
        ),
      );
    assert.deepEqual(writers, []);
  });
});
