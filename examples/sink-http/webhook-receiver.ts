// A webhook receiver for trying sink-http on one machine (examples/sink-http.yaml sends to it):
//   node dist/examples/sink-http/webhook-receiver.js        (listens on 127.0.0.1:8190)
// It checks each request's signature, accepts each Idempotency-Key once (a repeat is answered 200
// and not applied again, as a real receiver should) and prints what it applied.
import { createServer } from 'node:http';
import { envInt, envString } from '@sluice/config';
import { verifySluiceSignature } from './verify-signature';

const secret = envString('SLUICE_WEBHOOK_SECRET', 'example-only-secret-change-me');
const port = envInt('SLUICE_RECEIVER_PORT', 8190);
const applied = new Set<string>();

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (!verifySluiceSignature(req.headers['x-sluice-signature'] as string | undefined, body, secret)) {
      res.writeHead(401).end('bad signature');
      return;
    }
    const key = String(req.headers['idempotency-key'] ?? '');
    if (applied.has(key)) {
      res.writeHead(200).end('already applied');
      return;
    }
    applied.add(key);
    process.stdout.write(`${req.method} ${req.url} ${key} ${body.toString('utf8').slice(0, 200)}\n`);
    res.writeHead(200).end('ok');
  });
}).listen(port, '127.0.0.1', () => process.stdout.write(`webhook receiver on http://127.0.0.1:${port}\n`));
