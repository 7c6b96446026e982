/**
 * What a Postgres failure means, judged once for every lib that talks to Postgres: by the SQLSTATE
 * the server sent (its class, the first two characters, with a few codes singled out; the Postgres
 * docs' "Error Codes" appendix), else by the Node socket code, else — never where a SQLSTATE or a
 * socket code says what happened — by the text of the `pg` client's own connection errors, which
 * carry no code.
 * No `pg` types: anything with a string `code` is read.
 */
export type PostgresFailureKind =
  /** A socket error: the server cannot be reached (ECONNREFUSED, ETIMEDOUT, ...). */
  | 'unreachable'
  /** The `pg` client's connection ended under it ("Connection terminated unexpectedly"). */
  | 'connection-lost'
  /** Class 08, and 57P05: the connection failed or was closed by the server. */
  | 'connection'
  /** Class 40: the transaction was rolled back (serialization failure 40001, deadlock 40P01; 40002, a
   * constraint checked at commit, is not transient). */
  | 'transaction-rollback'
  /** Class 53: out of connections, memory or disk. */
  | 'insufficient-resources'
  /** 57P01-57P03: the server is shutting down, crashed, or is starting up. */
  | 'shutdown'
  /** 57014: the statement was cancelled (statement_timeout, a cancel request). */
  | 'query-canceled'
  /** 55006: another process holds the object (a replication slot, a table being altered). */
  | 'object-in-use'
  /** Class 28: wrong user name or password. */
  | 'authentication'
  /**
   * TLS could not be set up: the server's certificate is not trusted or not for this host name, or
   * the server does not speak TLS. Trying again gives the same answer until the settings change.
   */
  | 'tls'
  /** 42501: the role lacks a privilege. */
  | 'privilege'
  /** 3D000: the database does not exist. */
  | 'missing-database'
  /** 42704: the object does not exist (a dropped slot or publication). */
  | 'missing-object'
  /** 55000: the object is not in the state the command needs. */
  | 'prerequisite'
  /** Class 22, and 54000: a value the column, its index or a function cannot take. */
  | 'data'
  /** Class 23: a constraint refused the row; 23505 is a unique violation. */
  | 'integrity'
  /**
   * 42703, 42804, 42883: the statement does not fit the table any more — a column missing, or of
   * another type than the statement was built for (changed by hand since it was checked).
   */
  | 'definition'
  /** Any other SQLSTATE: a bug, a missing table, an internal error. */
  | 'other';

export interface PostgresFailure {
  readonly kind: PostgresFailureKind;
  /** Doing the same again, later, may succeed: the connection, the server or the transaction was cut off. */
  readonly transient: boolean;
  /** What happened, in words, for messages ("a deadlock"). */
  readonly reason: string;
  /** The SQLSTATE, when the server sent one. */
  readonly sqlState?: string;
  /** The Node socket code, when the network failed. */
  readonly socketCode?: string;
}

type Judgement = Pick<PostgresFailure, 'kind' | 'transient' | 'reason'>;

const judge = (kind: PostgresFailureKind, transient: boolean, reason: string): Judgement => ({
  kind,
  transient,
  reason,
});

/** SQLSTATE codes judged apart from the rest of their class. */
const BY_CODE: Readonly<Record<string, Judgement>> = {
  '40001': judge('transaction-rollback', true, 'a serialization failure'),
  '40P01': judge('transaction-rollback', true, 'a deadlock'),
  '40002': judge('transaction-rollback', false, 'a constraint refused the transaction at commit'),
  '53300': judge('insufficient-resources', true, 'the server has too many connections'),
  '57P01': judge(
    'shutdown',
    true,
    'the server is shutting down or the connection was terminated by an administrator',
  ),
  '57P02': judge('shutdown', true, 'the server crashed and is restarting'),
  '57P03': judge('shutdown', true, 'the server is starting up and cannot accept connections yet'),
  '57P05': judge('connection', true, 'the session was closed by idle_session_timeout'),
  '57014': judge(
    'query-canceled',
    true,
    'the statement was cancelled (statement_timeout or a cancel request)',
  ),
  '55006': judge('object-in-use', true, 'another process holds the object'),
  '55000': judge('prerequisite', false, 'the object is not in the state the command needs'),
  '42501': judge('privilege', false, 'the role lacks a privilege'),
  '42704': judge('missing-object', false, 'the object does not exist'),
  '3D000': judge('missing-database', false, 'the database does not exist'),
  '42703': judge('definition', false, 'a column the statement names does not exist'),
  '42804': judge('definition', false, "a value's type does not match its column's"),
  '42883': judge('definition', false, 'no operator or function for these types (a column of another type)'),
  // An index row over the btree limit (~2.7 KB): a property of the value, as class 22 is. The rest
  // of class 54 (statement too complex, too many columns or arguments) is the statement's.
  '54000': judge('data', false, 'a value too large for the server (an index row over its limit)'),
};

/** SQLSTATE classes (the first two characters) judged as a whole. */
const BY_CLASS: Readonly<Record<string, Judgement>> = {
  '08': judge('connection', true, 'a connection failure'),
  '40': judge('transaction-rollback', true, 'the transaction was rolled back'),
  '53': judge('insufficient-resources', true, 'the server lacks resources'),
  '28': judge('authentication', false, 'authentication failed'),
  '22': judge('data', false, 'a value the server cannot take'),
  '23': judge('integrity', false, 'a constraint refused the row'),
};

const OTHER = judge('other', false, 'a server error');

/** Node's codes for a network that failed: connecting or talking to the server may work later. */
const SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  // A connection torn down locally (a firewall or `ss -K` killing the socket).
  'ECONNABORTED',
  'ENETRESET',
  'ENETDOWN',
  'EHOSTDOWN',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * OpenSSL's verification codes as Node reports them (`err.code`) when the server's certificate is
 * refused, besides Node's own ERR_TLS_* and ERR_SSL_* codes (host name mismatch, a handshake that
 * went wrong).
 */
const TLS_CODES: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
]);

/** pg's own words when the server answers the SSL request with "no" (it carries no code). */
const CLIENT_TLS_REFUSED = /server does not support SSL connections/i;

/** The `pg` client's own connection errors, which carry no code ("Connection terminated unexpectedly"). */
const CLIENT_CONNECTION_LOST = /connection terminated|ended unexpectedly|not queryable|closed/i;

/**
 * The SQLSTATE of an error (five digits or capitals in `code`), when it has one. A five-letter Node
 * errno name (EPIPE, EPERM) is not one: no SQLSTATE class starts with E.
 */
export function sqlStateOf(error: unknown): string | undefined {
  const code = codeOf(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !/^E[A-Z]{4}$/.test(code) ? code : undefined;
}

/**
 * What a failure of `pg` or its socket means, or undefined when `error` says nothing Postgres or
 * the network would say (a bug, an error of some other library): the caller decides about those.
 */
export function classifyPostgresFailure(error: unknown): PostgresFailure | undefined {
  const code = codeOf(error);
  const sqlState = sqlStateOf(error);
  if (sqlState !== undefined) {
    return { ...(BY_CODE[sqlState] ?? BY_CLASS[sqlState.slice(0, 2)] ?? OTHER), sqlState };
  }
  if (code !== undefined && (TLS_CODES.has(code) || /^ERR_(TLS|SSL)_/.test(code))) {
    return {
      kind: 'tls',
      transient: false,
      reason: "the server's TLS certificate was refused",
      socketCode: code,
    };
  }
  if (code !== undefined && SOCKET_CODES.has(code)) {
    return { kind: 'unreachable', transient: true, reason: 'Postgres is unreachable', socketCode: code };
  }
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === 'string' && CLIENT_TLS_REFUSED.test(message))
    return { kind: 'tls', transient: false, reason: 'the server does not accept TLS connections' };
  return typeof message === 'string' && CLIENT_CONNECTION_LOST.test(message)
    ? { kind: 'connection-lost', transient: true, reason: 'the Postgres connection was lost' }
    : undefined;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
