import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Pool } from 'pg';
import { isDependencyOutage } from '@sluice/errors';
import { type TargetTable } from '../plan/row-change';
import { type BookkeepingTables } from '../sql/change-statements';
import { TargetUnavailableError } from '../sink-errors';
import { TableShaper } from './table-shaper';

/** A pool whose connect and query fail with `error`: the catalogue queries the shaper runs. */
function failingPool(error: Error): Pool {
  return {
    connect: async () => {
      throw error;
    },
    query: async () => {
      throw error;
    },
  } as unknown as Pool;
}

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const table = {
  schema: 'public',
  name: 'orders',
  qualified: '"public"."orders"',
  signature: 's',
} as TargetTable;
const shaper = (error: Error) =>
  new TableShaper(failingPool(error), {} as BookkeepingTables, { autoCreate: true, autoEvolve: true });

describe('TableShaper: a failed catalogue query', () => {
  const outages = [
    withCode('terminating connection due to administrator command', '57P01'),
    withCode('the database system is starting up', '57P03'),
    withCode('connection failure', '08006'),
    withCode('read ECONNRESET', 'ECONNRESET'),
    new Error('timeout exceeded when trying to connect'),
  ];

  for (const error of outages)
    it(`is the target's outage, not the record's fault: ${error.message}`, async () => {
      const isOutage = (e: unknown) => e instanceof TargetUnavailableError && isDependencyOutage(e);
      await assert.rejects(async () => shaper(error).ensure(table, 1), isOutage);
      await assert.rejects(shaper(error).exists(table.qualified), isOutage);
    });

  it('a server error about the statement itself stays what it is (the record is dead-lettered)', async () => {
    const syntax = withCode('syntax error at or near "x"', '42601');
    await assert.rejects(
      async () => shaper(syntax).ensure(table, 1),
      (e: unknown) => e === syntax,
    );
  });
});

describe('TableShaper: table versions known to fit', () => {
  /** A shaper whose shapings (the catalogue work) end as `outcomes` say, in turn; counted. */
  function shaperWith(outcomes: Array<'fits' | Error>) {
    const shaper = new TableShaper(failingPool(new Error('no catalogue here')), {} as BookkeepingTables, {
      autoCreate: true,
      autoEvolve: true,
    });
    let shapings = 0;
    (shaper as unknown as { shape: () => Promise<void> }).shape = async () => {
      const outcome = outcomes[shapings++] ?? 'fits';
      if (outcome !== 'fits') throw outcome;
    };
    return { shaper, shapings: () => shapings };
  }

  it('answers at once (undefined) once a shaping succeeded; a failed one is decided again', async () => {
    const refused = withCode('column "x" is of type integer', '42804');
    const { shaper, shapings } = shaperWith([refused, 'fits']);
    await assert.rejects(
      async () => shaper.ensure(table, 1),
      (e: unknown) => e === refused,
    );
    const again = shaper.ensure(table, 1);
    assert.ok(again instanceof Promise, 'a failed table version is checked again');
    await again;
    assert.equal(shaper.ensure(table, 1), undefined, 'known to fit: no promise');
    assert.equal(shapings(), 2);
  });

  it('checks every table again after forget(), also one whose shaping was under way', async () => {
    const { shaper, shapings } = shaperWith([]);
    const running = shaper.ensure(table, 1);
    shaper.forget();
    await running;
    const next = shaper.ensure(table, 1);
    assert.ok(next instanceof Promise, 'checked again after forget()');
    await next;
    assert.equal(shaper.ensure(table, 1), undefined);
    assert.equal(shapings(), 2);
  });
});
