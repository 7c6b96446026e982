import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILT_IN_STEPS } from '../steps/step-registry';
import { stepReferenceMarkdown } from './step-reference';

const projectRoot = join(__dirname, '..', '..', '..', '..', '..');

describe('step reference documentation', () => {
  it('docs/pipeline-steps.md is up to date with the step schemas (regenerate: sluice pipeline docs --out docs/pipeline-steps.md)', () => {
    const committed = readFileSync(join(projectRoot, 'docs', 'pipeline-steps.md'), 'utf8');
    assert.equal(committed, stepReferenceMarkdown());
  });

  it('documents every step and every setting with its default', () => {
    const doc = stepReferenceMarkdown();
    for (const step of BUILT_IN_STEPS) assert.match(doc, new RegExp(`^## ${step.name}$`, 'm'));
    assert.match(doc, /\| `deletes` \| .*`"tombstone"`.*\| no \| `"tombstone"` \|/);
    assert.match(doc, /\| `rules\[\]\.check` \|/);
    assert.match(doc, /`rules\[\]\.check: range` — A non-null number lies in/);
  });
});
