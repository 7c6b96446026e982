// The local API of the source-http-poll benchmark, run as its own process (forked, with an IPC
// channel) so that neither the source's process nor the ceiling's fetch loop shares its event loop:
//   fork('poll-api-server.js', [<items>, <page size>, <items per second of updated_at>])
// A PollTestApi (test/integration/source-http-poll/poll-test-api.ts) without faults or rate limit,
// holding <items> items c000001... (version 1) whose updated_at advances one second every <items per
// second> items, the newest a minute ago. Sends { type: 'listening', url } once it accepts
// connections. On { type: 'arm', count } it answers { type: 'armed' } and then reports the
// wall-clock time (performance.timeOrigin + performance.now(), ms) of the next request it receives
// as { type: 'first', at }, and of the count-th as { type: 'counted', at }. Exits on SIGTERM or
// when the parent goes away.
import { subscribe } from 'node:diagnostics_channel';
import { PollTestApi } from '../../test/integration/source-http-poll/poll-test-api';

const [items, pageSize, perSecond] = process.argv.slice(2).map(Number);
if (!items || !pageSize || !perSecond || !process.send)
  throw new Error('usage: fork(poll-api-server.js, [<items>, <page size>, <items per second>])');
const send = process.send.bind(process);

const api = new PollTestApi({ pageSize });
const width = Math.max(5, String(items).length);
const seconds = Math.ceil(items / perSecond);
const firstSecond = Math.floor(Date.now() / 1000) - 60 - seconds;
// Ascending (updated_at, id): each upsert lands at the end of the API's sorted list.
for (let i = 0; i < items; i++)
  api.upsert(
    `c${String(i + 1).padStart(width, '0')}`,
    undefined,
    new Date((firstSecond + Math.floor(i / perSecond)) * 1000),
  );

// Requests still to see before reporting `counted` (0: disarmed), and how many seen since armed.
let awaited = 0;
let seen = 0;
subscribe('http.server.request.start', () => {
  if (awaited === 0) return;
  seen++;
  const at = performance.timeOrigin + performance.now();
  if (seen === 1) send({ type: 'first', at });
  if (seen === awaited) {
    awaited = 0;
    send({ type: 'counted', at });
  }
});
process.on('message', (message: { type?: string; count?: number }) => {
  if (message.type !== 'arm' || !message.count) return;
  awaited = message.count;
  seen = 0;
  send({ type: 'armed' });
});
process.once('disconnect', () => void api.stop().then(() => process.exit(0)));
process.once('SIGTERM', () => void api.stop().then(() => process.exit(0)));

api.start().then(
  (url) => send({ type: 'listening', url }),
  (error: unknown) => {
    process.stderr.write(`poll-api-server: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
