import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestException } from '@nestjs/common';
import {
  browseQuerySchema,
  browseStart,
  checkBodySchema,
  deadLettersQuerySchema,
  diffQuerySchema,
  listQuerySchema,
  parseInput,
  purgeBodySchema,
  redriveBodySchema,
  replayBodySchema,
  replayResetBodySchema,
  replayRange,
  republishBodySchema,
} from './console-input';

function refused(work: () => unknown, message: RegExp): void {
  assert.throws(work, (e: unknown) => {
    assert.ok(e instanceof BadRequestException, String(e));
    assert.match(e.message, message);
    return true;
  });
}

describe('console API input', () => {
  it('reads a browse query: partition, offset or time, limit, key', () => {
    const q = parseInput(browseQuerySchema, { partition: '2', offset: '15', key: 'k' }, 'query parameter');
    assert.deepEqual(browseStart(q), { offset: 15n });
    assert.equal(q.limit, 50);
    const t = parseInput(
      browseQuerySchema,
      { partition: '0', time: '2026-01-01T00:00:00Z' },
      'query parameter',
    );
    assert.deepEqual(browseStart(t), { timestamp: Date.parse('2026-01-01T00:00:00Z') });
  });

  it('names each malformed query parameter and what it expected', () => {
    const q = (v: unknown) => () => parseInput(browseQuerySchema, v, 'query parameter');
    refused(
      q({ partition: 'x' }),
      /^query parameter partition: expected a whole number \(a partition number\)/,
    );
    refused(q({}), /query parameter partition: /);
    refused(q({ partition: '0', offset: '-1' }), /query parameter offset: expected a whole number/);
    refused(
      q({ partition: '0', time: 'yesterday' }),
      /query parameter time: expected an ISO-8601 time \(2026-01-31T12:00:00Z\) or epoch ms up to 8640000000000000, got "yesterday"/,
    );
    // What V8's Date.parse would have guessed at: "-1" is 2001-01-01, "2024-02-30" March 1st.
    for (const time of ['-1', 'March 7', '2024-02-30', '99999999999999999999'])
      refused(q({ partition: '0', time }), /query parameter time: expected an ISO-8601 time/);
    refused(
      q({ partition: '0', offset: '1', time: '5' }),
      /query parameter time: give offset or time, not both/,
    );
    refused(q({ partition: '0', limit: '100000' }), /query parameter limit: expected at most 500/);
    refused(q({ partition: '0', colour: 'red' }), /query parameter: unknown parameter\(s\) colour/);
    refused(() => parseInput(listQuerySchema, { limit: 'many' }, 'query parameter'), /query parameter limit/);
    refused(
      () => parseInput(deadLettersQuerySchema, { includeRedriven: 'yes' }, 'query parameter'),
      /query parameter includeRedriven: /,
    );
    refused(() => parseInput(diffQuerySchema, { left: '1' }, 'query parameter'), /query parameter right: /);
    refused(
      () => parseInput(diffQuerySchema, { left: '0', right: '1' }, 'query parameter'),
      /query parameter left: expected a version, 1 or more/,
    );
  });

  it('names each malformed body field', () => {
    refused(() => parseInput(redriveBodySchema, {}, 'body'), /^body dryRun: expected true or false/);
    refused(
      () => parseInput(redriveBodySchema, { dryRun: true, ids: ['abc'] }, 'body'),
      /body ids\.0: expected a dead-letter id <dlq partition>\/<offset>/,
    );
    refused(
      () => parseInput(redriveBodySchema, { dryRun: true, ids: [] }, 'body'),
      /body ids: expected at least one/,
    );
    refused(
      () => parseInput(purgeBodySchema, { dryRun: 'no' }, 'body'),
      /body dryRun: expected true or false/,
    );
    refused(() => parseInput(purgeBodySchema, { dryRun: true, before: 'soon' }, 'body'), /body before: /);
    refused(
      () => parseInput(checkBodySchema, { schema: 42 }, 'body'),
      /body schema: expected the schema as a JSON string/,
    );
    refused(() => parseInput(checkBodySchema, null, 'body'), /body schema: /);
    refused(
      () => parseInput(replayBodySchema, { topic: 't' }, 'body'),
      /body toTopic: expected exactly one of toTopic/,
    );
    refused(
      () => parseInput(replayBodySchema, { topic: 't', group: 'g', to: { offset: '5' } }, 'body'),
      /body to: a group reset has no end/,
    );
    refused(
      () => parseInput(replayBodySchema, { topic: 't', group: 'g', from: { offset: 'x' } }, 'body'),
      /body from/,
    );
    refused(
      () => parseInput(replayBodySchema, { topic: 't', group: 'g', extra: 1 }, 'body'),
      /body: unknown field\(s\) extra/,
    );
    // A purge before a time no Date holds deleted everything, then failed writing its audit record.
    refused(
      () => parseInput(purgeBodySchema, { dryRun: false, before: 8_700_000_000_000_000 }, 'body'),
      /body before: /,
    );
    refused(
      () => parseInput(purgeBodySchema, { dryRun: false, before: '99999999999999999999' }, 'body'),
      /body before: /,
    );
    refused(
      () => parseInput(replayBodySchema, { topic: 't', group: 'g', partitions: [] }, 'body'),
      /body partitions: expected at least one partition/,
    );
    // A well-formed re-publish body sent to the reset endpoint is a 400 too (it was a 404).
    refused(
      () => parseInput(replayResetBodySchema, { topic: 't', toTopic: 'u' }, 'body'),
      /body group: only a group reset runs here/,
    );
  });

  it("reads a replay body into @sluice/kafka's range, a bad time named", () => {
    const body = parseInput(
      replayBodySchema,
      { topic: 't', group: 'g', from: { time: '2026-01-01T00:00:00Z' }, partitions: [0, 2] },
      'body',
    );
    assert.deepEqual(replayRange(body), {
      partitions: [0, 2],
      from: { timestamp: Date.parse('2026-01-01T00:00:00Z') },
    });
    const offsets = parseInput(
      replayBodySchema,
      { topic: 't', toTopic: 'u', from: { offset: '3' }, to: { offset: '9' } },
      'body',
    );
    assert.deepEqual(replayRange(offsets), { from: { offset: 3n }, to: { offset: 9n } });
    const bad = parseInput(replayBodySchema, { topic: 't', group: 'g', from: { time: 'noon' } }, 'body');
    refused(() => replayRange(bad), /^body from\.time: expected an ISO-8601 time .* got "noon"/);
  });

  it('reads a re-publish body: a target topic, an optional rate, re-encoding and actor; each bad field named', () => {
    const body = parseInput(
      republishBodySchema,
      { topic: 't', toTopic: 'u', from: { offset: '0' }, to: { offset: '40' }, rate: 4, actor: 'ops' },
      'body',
    );
    assert.deepEqual(
      [body.toTopic, body.rate, body.actor, replayRange(body)],
      ['u', 4, 'ops', { from: { offset: 0n }, to: { offset: 40n } }],
    );
    refused(() => parseInput(republishBodySchema, { topic: 't' }, 'body'), /^body toTopic: /);
    refused(
      () => parseInput(republishBodySchema, { topic: 't', toTopic: 'u', rate: 0 }, 'body'),
      /^body rate: expected records per second, above 0/,
    );
    refused(
      () => parseInput(republishBodySchema, { topic: 't', toTopic: 'u', rate: 'fast' }, 'body'),
      /^body rate: expected records per second/,
    );
    refused(
      () => parseInput(republishBodySchema, { topic: 't', toTopic: 'u', reencodeLatest: 'yes' }, 'body'),
      /^body reencodeLatest: expected true or false/,
    );
    refused(
      () => parseInput(republishBodySchema, { topic: 't', toTopic: 'u', group: 'g' }, 'body'),
      /^body group: a re-publish goes into toTopic/,
    );
  });
});
