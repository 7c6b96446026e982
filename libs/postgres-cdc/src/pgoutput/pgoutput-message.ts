import type { Lsn } from '../lsn/lsn';
import type { PgTimestamp } from './buffer-cursor';

/**
 * A column value sent as 'u': a TOASTed value the change did not touch, so Postgres did not send
 * it. It is not NULL; whoever turns a tuple into an event must never emit null for it.
 */
export const UNCHANGED_TOAST: unique symbol = Symbol('sluice.pgoutput.unchangedToast');
export type UnchangedToast = typeof UNCHANGED_TOAST;

/**
 * One column of a tuple, by its wire kind: `null` ('n'), `UNCHANGED_TOAST` ('u'), a string ('t',
 * Postgres's text output of the value) or a Buffer ('b', binary send format, a copy).
 * Converting to a typed value is a later step, with one converter per column decided once.
 */
export type TupleValue = string | Buffer | null | UnchangedToast;

/** `REPLICA IDENTITY` of a table: which old values updates and deletes carry. */
export type ReplicaIdentity = 'default' | 'nothing' | 'full' | 'index';

export interface RelationColumn {
  /** Position in the relation's tuples (0-based). */
  readonly index: number;
  readonly name: string;
  readonly typeOid: number;
  /** `atttypmod`: e.g. varchar(n) length + 4, numeric precision/scale; -1 when none. */
  readonly typeModifier: number;
  /** Part of the replica identity key (the primary key under REPLICA IDENTITY DEFAULT). */
  readonly isKey: boolean;
}

/** A table as described by an 'R' message. Changes refer to it by `relationId` (the table's OID). */
export interface Relation {
  readonly relationId: number;
  readonly schema: string;
  readonly table: string;
  readonly replicaIdentity: ReplicaIdentity;
  readonly columns: readonly RelationColumn[];
}

/** Which old values an update or delete carries: only the key columns ('K') or the whole row ('O'). */
export type OldTupleKind = 'key' | 'full';

/**
 * `xid` on changes is set only inside a streamed (in-progress) transaction, between Stream Start
 * and Stream Stop; otherwise the transaction is the one of the enclosing Begin.
 */
export interface BeginMessage {
  readonly type: 'begin';
  /** LSN of the transaction's commit record. */
  readonly finalLsn: Lsn;
  readonly commitTime: PgTimestamp;
  readonly xid: number;
}

export interface CommitMessage {
  readonly type: 'commit';
  readonly flags: number;
  readonly commitLsn: Lsn;
  /** End of the commit record: the position to confirm once the transaction is safely delivered. */
  readonly endLsn: Lsn;
  readonly commitTime: PgTimestamp;
}

export interface OriginMessage {
  readonly type: 'origin';
  readonly originLsn: Lsn;
  readonly name: string;
}

export interface RelationMessage {
  readonly type: 'relation';
  readonly xid: number | undefined;
  readonly relation: Relation;
}

export interface TypeMessage {
  readonly type: 'type';
  readonly xid: number | undefined;
  readonly typeOid: number;
  readonly schema: string;
  readonly name: string;
}

export interface InsertMessage {
  readonly type: 'insert';
  readonly xid: number | undefined;
  readonly relation: Relation;
  readonly newValues: TupleValue[];
}

export interface UpdateMessage {
  readonly type: 'update';
  readonly xid: number | undefined;
  readonly relation: Relation;
  /** Null when Postgres sent no old values (key unchanged under REPLICA IDENTITY DEFAULT/INDEX). */
  readonly oldKind: OldTupleKind | null;
  readonly oldValues: TupleValue[] | null;
  readonly newValues: TupleValue[];
}

export interface DeleteMessage {
  readonly type: 'delete';
  readonly xid: number | undefined;
  readonly relation: Relation;
  readonly oldKind: OldTupleKind;
  /** With 'key', only the key columns hold values; the others are null. */
  readonly oldValues: TupleValue[];
}

export interface TruncateMessage {
  readonly type: 'truncate';
  readonly xid: number | undefined;
  readonly relations: Relation[];
  readonly cascade: boolean;
  readonly restartIdentity: boolean;
}

/** `pg_logical_emit_message` output (sent when the `messages` option is on). */
export interface LogicalMessage {
  readonly type: 'message';
  readonly xid: number | undefined;
  readonly transactional: boolean;
  readonly lsn: Lsn;
  readonly prefix: string;
  readonly content: Buffer;
}

export interface StreamStartMessage {
  readonly type: 'stream-start';
  readonly xid: number;
  readonly firstSegment: boolean;
}

export interface StreamStopMessage {
  readonly type: 'stream-stop';
}

export interface StreamCommitMessage {
  readonly type: 'stream-commit';
  readonly xid: number;
  readonly flags: number;
  readonly commitLsn: Lsn;
  readonly endLsn: Lsn;
  readonly commitTime: PgTimestamp;
}

export interface StreamAbortMessage {
  readonly type: 'stream-abort';
  readonly xid: number;
  readonly subXid: number;
  /** Protocol 4 with `streaming = parallel` only. */
  readonly abortLsn: Lsn | undefined;
  readonly abortTime: PgTimestamp | undefined;
}

export interface BeginPrepareMessage {
  readonly type: 'begin-prepare';
  readonly prepareLsn: Lsn;
  readonly endLsn: Lsn;
  readonly prepareTime: PgTimestamp;
  readonly xid: number;
  readonly gid: string;
}

/** Prepare ('P') and Stream Prepare ('p') carry the same fields. */
export interface PrepareMessage {
  readonly type: 'prepare' | 'stream-prepare';
  readonly flags: number;
  readonly prepareLsn: Lsn;
  readonly endLsn: Lsn;
  readonly prepareTime: PgTimestamp;
  readonly xid: number;
  readonly gid: string;
}

export interface CommitPreparedMessage {
  readonly type: 'commit-prepared';
  readonly flags: number;
  readonly commitLsn: Lsn;
  readonly endLsn: Lsn;
  readonly commitTime: PgTimestamp;
  readonly xid: number;
  readonly gid: string;
}

export interface RollbackPreparedMessage {
  readonly type: 'rollback-prepared';
  readonly flags: number;
  readonly prepareEndLsn: Lsn;
  readonly rollbackEndLsn: Lsn;
  readonly prepareTime: PgTimestamp;
  readonly rollbackTime: PgTimestamp;
  readonly xid: number;
  readonly gid: string;
}

/** Every message of pgoutput protocol versions 1-4, discriminated by `type`. */
export type PgOutputMessage =
  | BeginMessage
  | CommitMessage
  | OriginMessage
  | RelationMessage
  | TypeMessage
  | InsertMessage
  | UpdateMessage
  | DeleteMessage
  | TruncateMessage
  | LogicalMessage
  | StreamStartMessage
  | StreamStopMessage
  | StreamCommitMessage
  | StreamAbortMessage
  | BeginPrepareMessage
  | PrepareMessage
  | CommitPreparedMessage
  | RollbackPreparedMessage;
