import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { terminalSafe } from './dlq-output';

describe('terminalSafe', () => {
  it('shows the escape sequences a dead letter may carry instead of sending them to the terminal', () => {
    const hostile = 'ok\u001b]0;pwned\u0007\u001b[2Jdone\r\u009b31m';
    const safe = terminalSafe(hostile);
    assert.equal(safe, 'ok\\x1b]0;pwned\\x07\\x1b[2Jdone\\x0d\\x9b31m');
    for (const ch of safe) assert.ok(ch.codePointAt(0)! >= 0x20, `no control character left: ${safe}`);
  });

  it('leaves ordinary text alone, non-ASCII included', () => {
    assert.equal(terminalSafe('Zürich — 東京 ok'), 'Zürich — 東京 ok');
  });
});
