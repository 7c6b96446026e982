/**
 * The 32-bit murmur2 hash exactly as the Java client computes it
 * (`org.apache.kafka.common.utils.Utils.murmur2`), so that a key lands on the same partition whichever
 * Kafka client (Java, Go, Python, kafkajs, Sluice) wrote it.
 *
 * Written here rather than imported because kafkajs only exposes its copy through an internal path
 * (`kafkajs/src/...`, no types, free to move); and `Math.imul` gives Java's wrapping `int`
 * multiplication directly, where kafkajs's copy goes through a 64-bit `Long` emulation per step.
 * `murmur2.spec.ts` pins both the hash and the resulting partitions to vectors computed by the Java
 * client itself.
 */

// Seed and mixing constants of Kafka's murmur2 (Utils.java); changing any of them breaks the contract.
const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Java's `Utils.murmur2(byte[])`: a signed 32-bit hash of the bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;

  // Whole 4-byte little-endian blocks. `|`, `^` and `Math.imul` all work on int32, like Java's int.
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }

  // The last 1-3 bytes: Java's fall-through switch on `length % 4`, spelled as cumulative ifs.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, M);
  }

  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * Java's `Utils.toPositive(int)`: clears the sign bit. Not `Math.abs`, which the Java client never
 * used here, and which would map a key to a different partition for every negative hash.
 */
export function toPositive(value: number): number {
  return value & 0x7fffffff;
}
