import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, EnvironmentError, RetriableError } from '@sluice/errors';
import { classifyPostgresError } from './postgres-errors';

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyPostgresError', () => {
  it('retries an unreachable server, a terminated backend, a restart and a lost socket', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }),
      pgError('40P01', 'deadlock detected'),
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('57P03', 'the database system is starting up'),
      pgError('08006', 'connection failure'),
      new Error('Connection terminated unexpectedly'),
    ]) {
      const classified = classifyPostgresError(error, 'Replication from slot s');
      assert.ok(classified instanceof RetriableError, error.message);
      assert.match(classified.message, /^Replication from slot s: /);
      assert.equal((classified as RetriableError).cause, error);
    }
  });

  it('names what to do for a slot in use, missing rights, bad credentials and a missing database', () => {
    const inUse = classifyPostgresError(pgError('55006', 'replication slot "s" is active for PID 42'), 'x');
    assert.ok(inUse instanceof RetriableError && inUse.code === 'PG_SLOT_IN_USE');
    const permission = classifyPostgresError(pgError('42501', 'permission denied'), 'x');
    assert.ok(permission instanceof EnvironmentError && permission.code === 'PG_PERMISSION');
    assert.match(permission.message, /ALTER ROLE <role> REPLICATION/);
    const auth = classifyPostgresError(pgError('28P01', 'password authentication failed'), 'x');
    assert.ok(auth instanceof EnvironmentError && auth.code === 'PG_AUTHENTICATION' && !auth.retriable);
    const database = classifyPostgresError(pgError('3D000', 'database "nope" does not exist'), 'x');
    assert.ok(database instanceof ConfigError && database.path === 'postgres.database');
  });

  it('passes already classified errors through and keeps unknown ones fatal with their SQLSTATE', () => {
    const retriable = new RetriableError('already');
    assert.equal(classifyPostgresError(retriable, 'x'), retriable);
    const unknown = classifyPostgresError(pgError('XX000', 'internal error'), 'ctx');
    assert.ok(unknown instanceof EnvironmentError && !unknown.retriable);
    assert.match(unknown.message, /SQLSTATE XX000/);
  });
});
