import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPostgresFailure, type PostgresFailureKind, sqlStateOf } from './postgres-failure';

/** What `pg` throws for a server error: an Error with the SQLSTATE in `code`. */
const pgError = (code: string, message = `pg ${code}`): Error => Object.assign(new Error(message), { code });

describe('classifyPostgresFailure', () => {
  const bySqlState: Array<[string, PostgresFailureKind, boolean]> = [
    ['08000', 'connection', true],
    ['08006', 'connection', true],
    ['08P01', 'connection', true],
    ['40001', 'transaction-rollback', true],
    ['40P01', 'transaction-rollback', true],
    ['40003', 'transaction-rollback', true],
    ['40002', 'transaction-rollback', false],
    ['53300', 'insufficient-resources', true],
    ['53100', 'insufficient-resources', true],
    ['57P01', 'shutdown', true],
    ['57P02', 'shutdown', true],
    ['57P03', 'shutdown', true],
    ['57P05', 'connection', true],
    ['57014', 'query-canceled', true],
    ['57P04', 'other', false],
    ['55006', 'object-in-use', true],
    ['55000', 'prerequisite', false],
    ['28000', 'authentication', false],
    ['28P01', 'authentication', false],
    ['42501', 'privilege', false],
    ['3D000', 'missing-database', false],
    ['42704', 'missing-object', false],
    ['22003', 'data', false],
    ['54000', 'data', false],
    ['54001', 'other', false],
    ['23505', 'integrity', false],
    ['23502', 'integrity', false],
    ['42P01', 'other', false],
    ['42703', 'definition', false],
    ['42804', 'definition', false],
    ['42883', 'definition', false],
    ['XX000', 'other', false],
  ];
  for (const [sqlState, kind, transient] of bySqlState) {
    it(`judges SQLSTATE ${sqlState}: ${kind}, ${transient ? 'transient' : 'not transient'}`, () => {
      const failure = classifyPostgresFailure(pgError(sqlState));
      assert.equal(failure?.kind, kind);
      assert.equal(failure?.transient, transient);
      assert.equal(failure?.sqlState, sqlState);
      assert.ok((failure?.reason.length ?? 0) > 0);
    });
  }

  it('judges by the SQLSTATE, never by the message, when there is one', () => {
    const failure = classifyPostgresFailure(
      pgError('42P01', 'Connection terminated: relation "t" does not exist'),
    );
    assert.equal(failure?.kind, 'other');
    assert.equal(failure?.transient, false);
  });

  for (const socketCode of [
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'EHOSTUNREACH',
    'ENOTFOUND',
    // A live connection torn down locally (a firewall, or `ss -K` in the chaos suite).
    'ECONNABORTED',
  ]) {
    it(`judges the socket error ${socketCode} transient: Postgres is unreachable`, () => {
      const failure = classifyPostgresFailure(pgError(socketCode, `connect ${socketCode} 127.0.0.1:5433`));
      assert.deepEqual(failure, {
        kind: 'unreachable',
        transient: true,
        reason: 'Postgres is unreachable',
        socketCode,
      });
    });
  }

  it("judges the pg client's code-less connection errors transient by their text", () => {
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated',
      'Client was closed and is not queryable',
    ]) {
      assert.equal(classifyPostgresFailure(new Error(message))?.kind, 'connection-lost', message);
    }
  });

  for (const socketCode of [
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_SSL_WRONG_VERSION_NUMBER',
  ]) {
    it(`judges the TLS error ${socketCode} permanent: the certificate was refused`, () => {
      const failure = classifyPostgresFailure(
        pgError(socketCode, 'self-signed certificate in certificate chain'),
      );
      assert.equal(failure?.kind, 'tls');
      assert.equal(failure?.transient, false);
      assert.equal(failure?.socketCode, socketCode);
    });
  }

  it('judges a server that refuses TLS permanent (mode require against a server without ssl)', () => {
    const failure = classifyPostgresFailure(new Error('The server does not support SSL connections'));
    assert.deepEqual(failure, {
      kind: 'tls',
      transient: false,
      reason: 'the server does not accept TLS connections',
    });
  });

  it('says nothing of errors Postgres and the network did not give', () => {
    for (const error of [
      new TypeError('x is undefined'),
      new Error('boom'),
      'text',
      undefined,
      null,
      { code: 42 },
    ]) {
      assert.equal(classifyPostgresFailure(error), undefined, String(error));
    }
  });
});

describe('sqlStateOf', () => {
  it('reads five digits or capitals in `code`, nothing else', () => {
    assert.equal(sqlStateOf(pgError('40P01')), '40P01');
    assert.equal(sqlStateOf(pgError('ECONNRESET')), undefined);
    assert.equal(sqlStateOf(pgError('EPIPE')), undefined);
    assert.equal(sqlStateOf(pgError('4001')), undefined);
    assert.equal(sqlStateOf(new Error('40001')), undefined);
    assert.equal(sqlStateOf(undefined), undefined);
  });
});
