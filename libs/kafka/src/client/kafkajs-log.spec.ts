import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { logLevel } from 'kafkajs';
import { kafkajsConsoleLog } from './kafkajs-log';

const CONCURRENT =
  'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';

function entry(level: logLevel, label: string, error: string) {
  return {
    namespace: 'Producer',
    level,
    label,
    log: {
      timestamp: '2026-12-05T00:00:00.000Z',
      logger: 'kafkajs',
      message: 'Failed to send messages',
      error,
    },
  };
}

function captured(level: logLevel, entries: ReturnType<typeof entry>[]) {
  const lines: Array<[string, Record<string, unknown>]> = [];
  const capture = (stream: string) => (line: string) => lines.push([stream, JSON.parse(line)]);
  const spies = [
    mock.method(console, 'log', capture('log')),
    mock.method(console, 'error', capture('error')),
    mock.method(console, 'warn', capture('warn')),
    mock.method(console, 'info', capture('info')),
  ];
  try {
    const log = kafkajsConsoleLog(level);
    for (const e of entries) log(e);
  } finally {
    for (const spy of spies) spy.mock.restore();
  }
  return lines;
}

describe('kafkajsConsoleLog', () => {
  it("writes kafkajs's console lines: level label first, namespace in the message, errors to stderr", () => {
    const lines = captured(logLevel.WARN, [entry(logLevel.ERROR, 'ERROR', 'Connection timeout')]);
    assert.deepEqual(lines, [
      [
        'error',
        {
          level: 'ERROR',
          timestamp: '2026-12-05T00:00:00.000Z',
          logger: 'kafkajs',
          message: '[Producer] Failed to send messages',
          error: 'Connection timeout',
        },
      ],
    ]);
    assert.deepEqual(Object.keys(lines[0]![1])[0], 'level');
  });

  it('drops the CONCURRENT_TRANSACTIONS retries kafkajs logs at ERROR unless the level is debug', () => {
    assert.deepEqual(captured(logLevel.WARN, [entry(logLevel.ERROR, 'ERROR', CONCURRENT)]), []);
    const debug = captured(logLevel.DEBUG, [entry(logLevel.ERROR, 'ERROR', CONCURRENT)]);
    assert.equal(debug.length, 1);
    assert.equal(debug[0]![0], 'log');
    assert.equal(debug[0]![1].level, 'DEBUG');
  });

  it("drops the producer's own line for the same retry, the error in its message", () => {
    const line = {
      namespace: 'Producer',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { message: `Failed to send messages: ${CONCURRENT}`, retryCount: 0, retryTime: 1 },
    };
    assert.deepEqual(captured(logLevel.WARN, [line as never]), []);
    const other = { ...line, log: { ...line.log, message: 'Failed to send messages: Connection timeout' } };
    assert.equal(captured(logLevel.WARN, [other as never]).length, 1, 'other failures stay errors');
  });
});
