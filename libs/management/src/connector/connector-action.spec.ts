import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ConnectorState } from './connector';
import { checkAction, ConnectorStateConflictError } from './connector-action';

describe('checkAction', () => {
  const allowed = (action: 'pause' | 'resume' | 'restart', state: ConnectorState) =>
    assert.doesNotThrow(() => checkAction('c', action, state));
  const conflict = (action: 'pause' | 'resume' | 'restart', state: ConnectorState) =>
    assert.throws(
      () => checkAction('orders', action, state),
      (e: unknown) =>
        e instanceof ConnectorStateConflictError &&
        e.code === 'CONNECTOR_STATE_CONFLICT' &&
        e.message.includes('orders') &&
        e.message.includes(state),
    );

  it('pause and resume are idempotent while the connector lives', () => {
    for (const state of ['STARTING', 'RUNNING', 'PAUSED'] as const) {
      allowed('pause', state);
      allowed('resume', state);
    }
  });

  it('pause and resume do not apply to a FAILED or STOPPED connector', () => {
    for (const state of ['FAILED', 'STOPPED'] as const) {
      conflict('pause', state);
      conflict('resume', state);
    }
  });

  it('restart applies to a RUNNING, PAUSED or FAILED connector, not one (re)starting or stopped', () => {
    for (const state of ['RUNNING', 'PAUSED', 'FAILED'] as const) allowed('restart', state);
    conflict('restart', 'STARTING');
    conflict('restart', 'STOPPED');
  });
});
