/**
 * Avro's decimal logical type: the unscaled value as two's-complement big-endian bytes (Java's
 * BigInteger.toByteArray), the scale in the schema. One codec for every reader of decimals (the
 * cast step, the Postgres sink, `sluice dlq show`), so they agree to the digit.
 */

/** The unscaled value of decimal bytes; empty bytes are 0. */
export function unscaledFromBytes(bytes: Buffer): bigint {
  if (bytes.length === 0) return 0n;
  const unsigned = BigInt(`0x${bytes.toString('hex')}`);
  return bytes[0]! & 0x80 ? unsigned - (1n << BigInt(bytes.length * 8)) : unsigned;
}

/** Unscaled value and scale → exact decimal text (`-1.28`; `12300` for scale -2). */
export function decimalText(unscaled: bigint, scale: number): string {
  if (scale <= 0) return (unscaled * 10n ** BigInt(-scale)).toString();
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** Decimal bytes with their scale → exact decimal text. */
export function decimalBytesText(bytes: Buffer, scale: number): string {
  return decimalText(unscaledFromBytes(bytes), scale);
}
