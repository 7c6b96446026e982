import { BufferCursor } from './buffer-cursor';
import {
  type BeginMessage,
  type CommitMessage,
  type DeleteMessage,
  type InsertMessage,
  type LogicalMessage,
  type OldTupleKind,
  type PgOutputMessage,
  type PrepareMessage,
  type Relation,
  type RelationColumn,
  type RelationMessage,
  type ReplicaIdentity,
  type TruncateMessage,
  type TupleValue,
  type UpdateMessage,
  UNCHANGED_TOAST,
} from './pgoutput-message';
import { RelationCache } from './relation-cache';

const REPLICA_IDENTITIES: Readonly<Record<string, ReplicaIdentity>> = {
  d: 'default',
  n: 'nothing',
  f: 'full',
  i: 'index',
};

// Message and tuple type bytes.
const BEGIN = 0x42; // B
const COMMIT = 0x43; // C
const ORIGIN = 0x4f; // O
const RELATION = 0x52; // R
const TYPE = 0x59; // Y
const INSERT = 0x49; // I
const UPDATE = 0x55; // U
const DELETE = 0x44; // D
const TRUNCATE = 0x54; // T
const MESSAGE = 0x4d; // M
const STREAM_START = 0x53; // S
const STREAM_STOP = 0x45; // E
const STREAM_COMMIT = 0x63; // c
const STREAM_ABORT = 0x41; // A
const BEGIN_PREPARE = 0x62; // b
const PREPARE = 0x50; // P
const COMMIT_PREPARED = 0x4b; // K
const ROLLBACK_PREPARED = 0x72; // r
const STREAM_PREPARE = 0x70; // p
const TUPLE_NEW = 0x4e; // N
const TUPLE_KEY = 0x4b; // K
const TUPLE_OLD = 0x4f; // O
const VALUE_NULL = 0x6e; // n
const VALUE_UNCHANGED_TOAST = 0x75; // u
const VALUE_TEXT = 0x74; // t
const VALUE_BINARY = 0x62; // b

const TRUNCATE_CASCADE = 1;
const TRUNCATE_RESTART_IDENTITY = 2;

function byteName(byte: number): string {
  const char = byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}' ` : '';
  return `${char}(0x${byte.toString(16).padStart(2, '0')})`;
}

/**
 * Decodes pgoutput logical-replication messages (protocol versions 1-4): one `Buffer` in, one
 * typed message out, no I/O. Stateful in two ways, both fed by the messages themselves: the
 * relations described so far (so changes come back with their table and columns) and whether a
 * streamed transaction is open (inside one, changes carry their xid). Use one decoder per
 * replication connection, in stream order.
 */
export class PgOutputDecoder {
  readonly relations: RelationCache;
  private readonly cursor = new BufferCursor();
  private inStream = false;

  constructor(relations: RelationCache = new RelationCache()) {
    this.relations = relations;
  }

  /**
   * Decodes the message that starts at `offset` and runs to the end of `buffer` (for a
   * replication stream's XLogData, the payload after its 25-byte header). Throws
   * `PgOutputDecodeError` for unknown types, short or over-long buffers and unknown relations.
   * Binary column values and message contents are copies; the buffer may be reused afterwards.
   */
  decode(buffer: Buffer, offset = 0): PgOutputMessage {
    const cursor = this.cursor;
    cursor.reset(buffer, offset);
    const tag = cursor.uint8('the message type');
    cursor.messageType = String.fromCharCode(tag);
    let message: PgOutputMessage;
    switch (tag) {
      case BEGIN:
        message = this.begin();
        break;
      case COMMIT:
        message = this.commit();
        break;
      case ORIGIN:
        message = {
          type: 'origin',
          originLsn: cursor.lsn('origin LSN'),
          name: cursor.cString('origin name'),
        };
        break;
      case RELATION:
        message = this.relation();
        break;
      case TYPE:
        message = {
          type: 'type',
          xid: this.streamXid(),
          typeOid: cursor.uint32('type OID'),
          schema: cursor.cString('type namespace'),
          name: cursor.cString('type name'),
        };
        break;
      case INSERT:
        message = this.insert();
        break;
      case UPDATE:
        message = this.update();
        break;
      case DELETE:
        message = this.delete();
        break;
      case TRUNCATE:
        message = this.truncate();
        break;
      case MESSAGE:
        message = this.logicalMessage();
        break;
      case STREAM_START:
        message = {
          type: 'stream-start',
          xid: cursor.uint32('xid'),
          firstSegment: cursor.uint8('first-segment flag') === 1,
        };
        this.inStream = true;
        break;
      case STREAM_STOP:
        message = { type: 'stream-stop' };
        this.inStream = false;
        break;
      case STREAM_COMMIT:
        message = {
          type: 'stream-commit',
          xid: cursor.uint32('xid'),
          flags: cursor.uint8('flags'),
          commitLsn: cursor.lsn('commit LSN'),
          endLsn: cursor.lsn('end LSN'),
          commitTime: cursor.timestamp('commit timestamp'),
        };
        break;
      case STREAM_ABORT: {
        const xid = cursor.uint32('xid');
        const subXid = cursor.uint32('subtransaction xid');
        // Protocol 4 with parallel streaming appends the abort LSN and time.
        const parallel = cursor.remaining > 0;
        message = {
          type: 'stream-abort',
          xid,
          subXid,
          abortLsn: parallel ? cursor.lsn('abort LSN') : undefined,
          abortTime: parallel ? cursor.timestamp('abort timestamp') : undefined,
        };
        break;
      }
      case BEGIN_PREPARE:
        message = {
          type: 'begin-prepare',
          prepareLsn: cursor.lsn('prepare LSN'),
          endLsn: cursor.lsn('end LSN'),
          prepareTime: cursor.timestamp('prepare timestamp'),
          xid: cursor.uint32('xid'),
          gid: cursor.cString('gid'),
        };
        break;
      case PREPARE:
        message = this.prepare('prepare');
        break;
      case STREAM_PREPARE:
        message = this.prepare('stream-prepare');
        break;
      case COMMIT_PREPARED:
        message = {
          type: 'commit-prepared',
          flags: cursor.uint8('flags'),
          commitLsn: cursor.lsn('commit LSN'),
          endLsn: cursor.lsn('end LSN'),
          commitTime: cursor.timestamp('commit timestamp'),
          xid: cursor.uint32('xid'),
          gid: cursor.cString('gid'),
        };
        break;
      case ROLLBACK_PREPARED:
        message = {
          type: 'rollback-prepared',
          flags: cursor.uint8('flags'),
          prepareEndLsn: cursor.lsn('prepare end LSN'),
          rollbackEndLsn: cursor.lsn('rollback end LSN'),
          prepareTime: cursor.timestamp('prepare timestamp'),
          rollbackTime: cursor.timestamp('rollback timestamp'),
          xid: cursor.uint32('xid'),
          gid: cursor.cString('gid'),
        };
        break;
      default:
        cursor.messageType = undefined;
        cursor.position = offset;
        return cursor.fail(
          `Unknown pgoutput message type ${byteName(tag)} at offset ${offset}`,
          'PGOUTPUT_UNKNOWN_MESSAGE',
        );
    }
    cursor.expectEnd();
    return message;
  }

  private streamXid(): number | undefined {
    return this.inStream ? this.cursor.uint32('xid') : undefined;
  }

  private begin(): BeginMessage {
    const cursor = this.cursor;
    return {
      type: 'begin',
      finalLsn: cursor.lsn('final LSN'),
      commitTime: cursor.timestamp('commit timestamp'),
      xid: cursor.uint32('xid'),
    };
  }

  private commit(): CommitMessage {
    const cursor = this.cursor;
    return {
      type: 'commit',
      flags: cursor.uint8('flags'),
      commitLsn: cursor.lsn('commit LSN'),
      endLsn: cursor.lsn('end LSN'),
      commitTime: cursor.timestamp('commit timestamp'),
    };
  }

  private relation(): RelationMessage {
    const cursor = this.cursor;
    const xid = this.streamXid();
    const relationId = cursor.uint32('relation OID');
    // pgoutput sends an empty namespace for pg_catalog.
    const schema = cursor.cString('namespace') || 'pg_catalog';
    const table = cursor.cString('relation name');
    const identityByte = cursor.uint8('replica identity');
    const replicaIdentity = REPLICA_IDENTITIES[String.fromCharCode(identityByte)];
    if (replicaIdentity === undefined) {
      cursor.position -= 1;
      cursor.fail(
        `Unknown replica identity ${byteName(identityByte)} for relation ${schema}.${table} in pgoutput ` +
          `${cursor.describe()}, at offset ${cursor.position}`,
      );
    }
    const count = cursor.int16('column count');
    const columns: RelationColumn[] = [];
    for (let index = 0; index < count; index++) {
      const flags = cursor.uint8('column flags');
      columns.push({
        index,
        name: cursor.cString('column name'),
        typeOid: cursor.uint32('column type OID'),
        typeModifier: cursor.int32('column type modifier'),
        isKey: (flags & 1) === 1,
      });
    }
    const relation: Relation = { relationId, schema, table, replicaIdentity, columns };
    this.relations.set(relation);
    return { type: 'relation', xid, relation };
  }

  private knownRelation(): Relation {
    const cursor = this.cursor;
    const relationId = cursor.uint32('relation OID');
    const relation = this.relations.get(relationId);
    if (relation === undefined) {
      cursor.position -= 4;
      return cursor.fail(
        `pgoutput ${cursor.describe()} refers to relation OID ${relationId}, which no Relation message ` +
          `described on this stream`,
        'PGOUTPUT_UNKNOWN_RELATION',
      );
    }
    return relation;
  }

  private insert(): InsertMessage {
    const cursor = this.cursor;
    const xid = this.streamXid();
    const relation = this.knownRelation();
    const kind = cursor.uint8('tuple type');
    if (kind !== TUPLE_NEW) this.unexpectedTupleType(kind, "'N'");
    return { type: 'insert', xid, relation, newValues: this.tuple(relation) };
  }

  private update(): UpdateMessage {
    const cursor = this.cursor;
    const xid = this.streamXid();
    const relation = this.knownRelation();
    let kind = cursor.uint8('tuple type');
    let oldKind: OldTupleKind | null = null;
    let oldValues: TupleValue[] | null = null;
    if (kind === TUPLE_KEY || kind === TUPLE_OLD) {
      oldKind = kind === TUPLE_KEY ? 'key' : 'full';
      oldValues = this.tuple(relation);
      kind = cursor.uint8('tuple type');
    }
    if (kind !== TUPLE_NEW) this.unexpectedTupleType(kind, oldKind === null ? "'K', 'O' or 'N'" : "'N'");
    return { type: 'update', xid, relation, oldKind, oldValues, newValues: this.tuple(relation) };
  }

  private delete(): DeleteMessage {
    const cursor = this.cursor;
    const xid = this.streamXid();
    const relation = this.knownRelation();
    const kind = cursor.uint8('tuple type');
    if (kind !== TUPLE_KEY && kind !== TUPLE_OLD) this.unexpectedTupleType(kind, "'K' or 'O'");
    return {
      type: 'delete',
      xid,
      relation,
      oldKind: kind === TUPLE_KEY ? 'key' : 'full',
      oldValues: this.tuple(relation),
    };
  }

  private truncate(): TruncateMessage {
    const cursor = this.cursor;
    const xid = this.streamXid();
    const count = cursor.int32('relation count');
    const options = cursor.uint8('truncate options');
    const relations: Relation[] = [];
    for (let i = 0; i < count; i++) relations.push(this.knownRelation());
    return {
      type: 'truncate',
      xid,
      relations,
      cascade: (options & TRUNCATE_CASCADE) !== 0,
      restartIdentity: (options & TRUNCATE_RESTART_IDENTITY) !== 0,
    };
  }

  private logicalMessage(): LogicalMessage {
    const cursor = this.cursor;
    const xid = this.streamXid();
    const transactional = (cursor.uint8('flags') & 1) === 1;
    const lsn = cursor.lsn('message LSN');
    const prefix = cursor.cString('prefix');
    const length = cursor.int32('content length');
    if (length < 0) cursor.fail(`Negative content length ${length} in pgoutput ${cursor.describe()}`);
    return { type: 'message', xid, transactional, lsn, prefix, content: cursor.bytes(length, 'content') };
  }

  private prepare(type: 'prepare' | 'stream-prepare'): PrepareMessage {
    const cursor = this.cursor;
    return {
      type,
      flags: cursor.uint8('flags'),
      prepareLsn: cursor.lsn('prepare LSN'),
      endLsn: cursor.lsn('end LSN'),
      prepareTime: cursor.timestamp('prepare timestamp'),
      xid: cursor.uint32('xid'),
      gid: cursor.cString('gid'),
    };
  }

  /** TupleData: Int16 column count, then per column a kind byte and, for 't'/'b', Int32 length + bytes. */
  private tuple(relation: Relation): TupleValue[] {
    const cursor = this.cursor;
    const count = cursor.int16('tuple column count');
    if (count !== relation.columns.length) {
      cursor.position -= 2;
      cursor.fail(
        `pgoutput ${cursor.describe()} has a tuple of ${count} column(s) at offset ${cursor.position}, but ` +
          `relation ${relation.schema}.${relation.table} was described with ${relation.columns.length}`,
      );
    }
    const values: TupleValue[] = [];
    for (let i = 0; i < count; i++) {
      const kind = cursor.uint8('column value type');
      if (kind === VALUE_TEXT) {
        values.push(cursor.text(this.valueLength(), 'column value'));
      } else if (kind === VALUE_NULL) {
        values.push(null);
      } else if (kind === VALUE_UNCHANGED_TOAST) {
        values.push(UNCHANGED_TOAST);
      } else if (kind === VALUE_BINARY) {
        values.push(cursor.bytes(this.valueLength(), 'column value'));
      } else {
        cursor.position -= 1;
        cursor.fail(
          `Unknown tuple value type ${byteName(kind)} for column ${relation.columns[i].name} of ` +
            `${relation.schema}.${relation.table} in pgoutput ${cursor.describe()}, at offset ${cursor.position}`,
        );
      }
    }
    return values;
  }

  private valueLength(): number {
    const length = this.cursor.int32('column value length');
    if (length < 0) {
      this.cursor.position -= 4;
      this.cursor.fail(
        `Negative column value length ${length} in pgoutput ${this.cursor.describe()}, at offset ${this.cursor.position}`,
      );
    }
    return length;
  }

  private unexpectedTupleType(kind: number, expected: string): never {
    this.cursor.position -= 1;
    return this.cursor.fail(
      `Unexpected tuple type ${byteName(kind)} in pgoutput ${this.cursor.describe()} at offset ` +
        `${this.cursor.position}; expected ${expected}`,
    );
  }
}
