import type { PipelineInput, WorkingRecord } from '../record/pipeline-record';

/** A Debezium-shaped change-event schema of `public.orders`, as source-postgres writes it; for specs. */
export const ORDERS_ENVELOPE = {
  type: 'record',
  name: 'Envelope',
  namespace: 'sluice.public.orders',
  fields: [
    {
      name: 'before',
      type: [
        'null',
        {
          type: 'record',
          name: 'Value',
          fields: [
            { name: 'id', type: 'long' },
            { name: 'customer_id', type: 'long' },
            { name: 'email', type: ['null', 'string'], default: null },
            { name: 'status', type: 'string' },
            { name: 'region', type: ['null', 'string'], default: null },
            { name: 'total', type: 'double' },
            { name: 'created_at', type: { type: 'long', 'connect.name': 'io.debezium.time.MicroTimestamp' } },
          ],
        },
      ],
      default: null,
    },
    { name: 'after', type: ['null', 'Value'], default: null },
    {
      name: 'source',
      type: {
        type: 'record',
        name: 'Source',
        namespace: 'io.debezium.connector.postgresql',
        fields: [
          { name: 'version', type: 'string' },
          { name: 'connector', type: 'string' },
          { name: 'name', type: 'string' },
          { name: 'ts_ms', type: 'long' },
          { name: 'db', type: 'string' },
          { name: 'schema', type: 'string' },
          { name: 'table', type: 'string' },
          { name: 'lsn', type: ['null', 'long'], default: null },
        ],
      },
    },
    { name: 'op', type: 'string' },
    { name: 'ts_ms', type: ['null', 'long'], default: null },
  ],
};

export const ORDERS_KEY = {
  type: 'record',
  name: 'Key',
  namespace: 'sluice.public.orders',
  fields: [{ name: 'id', type: 'long' }],
};

export const ORDERS_ENVELOPE_TEXT = JSON.stringify(ORDERS_ENVELOPE);
export const ORDERS_KEY_TEXT = JSON.stringify(ORDERS_KEY);

export function orderRow(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 7,
    customer_id: 42,
    email: 'ada@example.com',
    status: 'paid',
    region: 'eu',
    total: 99.5,
    created_at: 1_700_000_000_123_456,
    ...overrides,
  };
}

export function orderEvent(
  op: string,
  row: Record<string, unknown> | null,
  before: Record<string, unknown> | null = null,
) {
  return {
    before,
    after: row,
    source: {
      version: '0.1.0',
      connector: 'postgresql',
      name: 'sluice',
      ts_ms: 1_700_000_000_000,
      db: 'source',
      schema: 'public',
      table: 'orders',
      lsn: 12345,
    },
    op,
    ts_ms: 1_700_000_000_500,
  };
}

export function orderInput(value: unknown, overrides: Partial<PipelineInput> = {}): PipelineInput {
  return {
    topic: 'sluice.public.orders',
    partition: 0,
    offset: '10',
    timestamp: 1_700_000_001_000,
    key: { id: 7 },
    value,
    headers: [],
    keySchema: { id: 1, text: ORDERS_KEY_TEXT },
    valueSchema: value === null ? undefined : { id: 2, text: ORDERS_ENVELOPE_TEXT },
    ...overrides,
  };
}

export function workingRecord(value: unknown, overrides: Partial<WorkingRecord> = {}): WorkingRecord {
  return {
    metadata: { topic: 'sluice.public.orders', partition: 0, offset: '10', timestamp: 1_700_000_001_000 },
    key: { id: 7 },
    value,
    headers: [],
    ...overrides,
  };
}
