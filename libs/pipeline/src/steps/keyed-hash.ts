import { hash } from 'node:crypto';

const BLOCK_BYTES = 64; // SHA-256's block size

/**
 * HMAC-SHA256 under one key, as RFC 2104 defines it: H((K ^ opad) || H((K ^ ipad) || m)).
 *
 * The mask step hashes a value per record. `createHmac` sets up a new OpenSSL context and key
 * object each time, about 6× the cost of the two one-shot digests below with the padded keys
 * computed once.
 */
export class KeyedHash {
  private readonly innerPad: Buffer;
  private readonly outerPad: Buffer;

  constructor(key: string | Buffer) {
    let k = Buffer.from(key);
    // A key longer than a block is replaced by its digest (RFC 2104, section 2).
    if (k.length > BLOCK_BYTES) k = hash('sha256', k, 'buffer');
    this.innerPad = Buffer.alloc(BLOCK_BYTES, 0x36);
    this.outerPad = Buffer.alloc(BLOCK_BYTES, 0x5c);
    for (let i = 0; i < k.length; i++) {
      this.innerPad[i]! ^= k[i]!;
      this.outerPad[i]! ^= k[i]!;
    }
  }

  /** The hex HMAC of `message` (a string is hashed as its UTF-8 bytes). */
  hex(message: string | Buffer): string {
    const m = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
    const inner = hash('sha256', Buffer.concat([this.innerPad, m], BLOCK_BYTES + m.length), 'buffer');
    return hash('sha256', Buffer.concat([this.outerPad, inner], BLOCK_BYTES + inner.length), 'hex');
  }
}
