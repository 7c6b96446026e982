import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { murmur2, toPositive } from './murmur2';
import { partitionForKey } from './partition-for-key';
import { murmur2Partitioner } from './murmur2-partitioner';

interface Vector {
  label: string;
  key: Buffer;
  /** Java's signed `Utils.murmur2(key)`. */
  murmur2: number;
  /** partition count → `Utils.toPositive(murmur2) % count`. */
  partitions: Record<1 | 3 | 6 | 12 | 100, number>;
}

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const bytes0to255 = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/**
 * Computed with kafka-clients 4.1.2 `Utils.murmur2` / `Utils.toPositive` (Java 17), by a throwaway
 * program that printed murmur2 and `toPositive(murmur2) % n` for each key below. Keys are given as
 * their exact bytes (hex) so there is no doubt about the encoding that was hashed.
 */
const JAVA_VECTORS: Vector[] = [
  { label: 'empty', key: hex(''), murmur2: 275646681, partitions: { 1: 0, 3: 0, 6: 3, 12: 9, 100: 81 } },
  {
    label: "ascii 'a'",
    key: hex('61'),
    murmur2: -1563381124,
    partitions: { 1: 0, 3: 1, 6: 4, 12: 4, 100: 24 },
  },
  {
    label: "ascii 'ab'",
    key: hex('6162'),
    murmur2: 316155434,
    partitions: { 1: 0, 3: 2, 6: 2, 12: 2, 100: 34 },
  },
  {
    label: "ascii 'abc'",
    key: hex('616263'),
    murmur2: 479470107,
    partitions: { 1: 0, 3: 0, 6: 3, 12: 3, 100: 7 },
  },
  {
    label: "ascii 'abcd'",
    key: hex('61626364'),
    murmur2: -1323649548,
    partitions: { 1: 0, 3: 2, 6: 2, 12: 8, 100: 0 },
  },
  {
    label: "ascii 'hello'",
    key: hex('68656c6c6f'),
    murmur2: 2132663229,
    partitions: { 1: 0, 3: 0, 6: 3, 12: 9, 100: 29 },
  },
  {
    label: "ascii 'order-42'",
    key: hex('6f726465722d3432'),
    murmur2: 501153024,
    partitions: { 1: 0, 3: 0, 6: 0, 12: 0, 100: 24 },
  },
  {
    label: "ascii 'customer:123456789'",
    key: hex('637573746f6d65723a313233343536373839'),
    murmur2: 934710481,
    partitions: { 1: 0, 3: 1, 6: 1, 12: 1, 100: 81 },
  },
  {
    label: "utf8 'é'",
    key: hex('c3a9'),
    murmur2: 186971271,
    partitions: { 1: 0, 3: 0, 6: 3, 12: 3, 100: 71 },
  },
  {
    label: "utf8 'Zürich'",
    key: hex('5ac3bc72696368'),
    murmur2: -1551140815,
    partitions: { 1: 0, 3: 1, 6: 1, 12: 1, 100: 33 },
  },
  {
    label: "utf8 '日本語'",
    key: hex('e697a5e69cace8aa9e'),
    murmur2: 1431860170,
    partitions: { 1: 0, 3: 1, 6: 4, 12: 10, 100: 70 },
  },
  {
    label: "utf8 '🚀 launch' (4-byte sequence)",
    key: hex('f09f9a80206c61756e6368'),
    murmur2: -1476899679,
    partitions: { 1: 0, 3: 2, 6: 5, 12: 5, 100: 69 },
  },
  {
    label: 'binary 00',
    key: hex('00'),
    murmur2: 375494588,
    partitions: { 1: 0, 3: 2, 6: 2, 12: 8, 100: 88 },
  },
  {
    label: 'binary ff',
    key: hex('ff'),
    murmur2: -311467685,
    partitions: { 1: 0, 3: 0, 6: 3, 12: 3, 100: 63 },
  },
  {
    label: 'binary 80 81 82 (sign bits set, 3-byte tail)',
    key: hex('808182'),
    murmur2: -1975640061,
    partitions: { 1: 0, 3: 2, 6: 5, 12: 11, 100: 87 },
  },
  {
    label: 'binary ff ff ff ff (one negative block)',
    key: hex('ffffffff'),
    murmur2: 644171429,
    partitions: { 1: 0, 3: 2, 6: 5, 12: 5, 100: 29 },
  },
  {
    label: 'binary de ad be ef 00 01 fe',
    key: hex('deadbeef0001fe'),
    murmur2: 1512463079,
    partitions: { 1: 0, 3: 2, 6: 5, 12: 11, 100: 79 },
  },
  {
    label: 'binary 00..ff (256 bytes)',
    key: bytes0to255,
    murmur2: -1948347274,
    partitions: { 1: 0, 3: 1, 6: 4, 12: 10, 100: 74 },
  },
  {
    label: "long: 'sluice-' x 150 (1050 bytes)",
    key: Buffer.from('sluice-'.repeat(150), 'utf8'),
    murmur2: -1619275069,
    partitions: { 1: 0, 3: 1, 6: 1, 12: 7, 100: 79 },
  },
  {
    label: 'Avro, Confluent-framed: schema id 1, long 42',
    key: hex('000000000154'),
    murmur2: -1664553866,
    partitions: { 1: 0, 3: 0, 6: 0, 12: 6, 100: 82 },
  },
  {
    label: "Avro, Confluent-framed: schema id 7, string 'abc'",
    key: hex('000000000706616263'),
    murmur2: 1063057714,
    partitions: { 1: 0, 3: 1, 6: 4, 12: 10, 100: 14 },
  },
  {
    label: "Avro, Confluent-framed: schema id 100042, record {int -1, string 'k'}",
    key: hex('00000186ca01026b'),
    murmur2: 1239997562,
    partitions: { 1: 0, 3: 2, 6: 2, 12: 2, 100: 62 },
  },
  // The keys the round-trip integration test uses, 'key-<n>'.
  {
    label: "'key-0'",
    key: hex('6b65792d30'),
    murmur2: 29210041,
    partitions: { 1: 0, 3: 1, 6: 1, 12: 1, 100: 41 },
  },
  {
    label: "'key-1'",
    key: hex('6b65792d31'),
    murmur2: 193331640,
    partitions: { 1: 0, 3: 0, 6: 0, 12: 0, 100: 40 },
  },
  {
    label: "'key-2'",
    key: hex('6b65792d32'),
    murmur2: 852269702,
    partitions: { 1: 0, 3: 2, 6: 2, 12: 2, 100: 2 },
  },
  {
    label: "'key-42'",
    key: hex('6b65792d3432'),
    murmur2: -187086521,
    partitions: { 1: 0, 3: 0, 6: 3, 12: 3, 100: 27 },
  },
  {
    label: "'key-137'",
    key: hex('6b65792d313337'),
    murmur2: 2028175896,
    partitions: { 1: 0, 3: 0, 6: 0, 12: 0, 100: 96 },
  },
  {
    label: "'key-499'",
    key: hex('6b65792d343939'),
    murmur2: 320548976,
    partitions: { 1: 0, 3: 2, 6: 2, 12: 8, 100: 76 },
  },
];

const PARTITION_COUNTS = [1, 3, 6, 12, 100] as const;

function metadata(count: number, leaderless: number[] = []): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 1,
    replicas: [1],
    isr: [1],
  }));
}

describe('murmur2 (computed with kafka-clients 4.1.2 Utils.murmur2)', () => {
  for (const v of JAVA_VECTORS) {
    it(`hashes ${v.label} as Java does`, () => {
      assert.equal(murmur2(v.key), v.murmur2);
    });
  }

  it('toPositive clears the sign bit like Java, it is not Math.abs', () => {
    assert.equal(toPositive(-1), 0x7fffffff);
    assert.equal(toPositive(-2147483648), 0);
    assert.equal(toPositive(42), 42);
  });
});

describe('partitionForKey (vectors from kafka-clients 4.1.2 Utils.murmur2 / toPositive)', () => {
  for (const v of JAVA_VECTORS) {
    it(`places ${v.label} where the Java client does`, () => {
      for (const count of PARTITION_COUNTS) {
        assert.equal(partitionForKey(v.key, count), v.partitions[count], `${count} partitions`);
      }
    });
  }

  it('refuses a partition count that is not a positive integer', () => {
    assert.throws(() => partitionForKey(Buffer.from('a'), 0), RangeError);
    assert.throws(() => partitionForKey(Buffer.from('a'), 2.5), RangeError);
  });
});

describe('murmur2Partitioner', () => {
  it('agrees with the Java vectors for Buffer and UTF-8 string keys', () => {
    const partition = murmur2Partitioner();
    for (const v of JAVA_VECTORS) {
      for (const count of PARTITION_COUNTS) {
        const args = { topic: 't', partitionMetadata: metadata(count), message: { key: v.key, value: null } };
        assert.equal(partition(args), v.partitions[count], `${v.label}, ${count} partitions`);
      }
    }
    const utf8 = { topic: 't', partitionMetadata: metadata(12), message: { key: '日本語', value: null } };
    assert.equal(partition(utf8), 10);
  });

  it("agrees with kafkajs's own DefaultPartitioner for keyed messages", () => {
    const ours = murmur2Partitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const v of JAVA_VECTORS) {
      const args = { topic: 't', partitionMetadata: metadata(100), message: { key: v.key, value: null } };
      assert.equal(ours(args), theirs(args), v.label);
    }
  });

  it('hashes over all partitions, even when some have no leader (as Java does)', () => {
    const partition = murmur2Partitioner();
    const args = {
      topic: 't',
      partitionMetadata: metadata(6, [3]),
      message: { key: hex('68656c6c6f'), value: null },
    };
    assert.equal(partition(args), 3);
  });

  it('honours an explicit partition', () => {
    const partition = murmur2Partitioner();
    assert.equal(
      partition({
        topic: 't',
        partitionMetadata: metadata(6),
        message: { key: 'a', value: null, partition: 5 },
      }),
      5,
    );
  });

  it('spreads keyless messages round-robin over partitions that have a leader', () => {
    const partition = murmur2Partitioner();
    const seen = new Map<number, number>();
    for (let i = 0; i < 600; i++) {
      const p = partition({
        topic: 't',
        partitionMetadata: metadata(6, [2]),
        message: { key: null, value: 'v' },
      });
      seen.set(p, (seen.get(p) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), [0, 1, 3, 4, 5]);
    for (const count of seen.values()) assert.equal(count, 120);
  });
});
