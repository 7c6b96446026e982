// The HTTP ceiling of the source-webhook benchmark, run as its own process:
//   node http-ceiling-server.js <port> <path>
// A bare Fastify server that reads each POST body as raw bytes (as source-webhook does, for the
// signature) and answers 200 with a small JSON body at once: no verification, no Kafka. Prints
// `listening` once it accepts connections; exits on SIGTERM.
import fastify from 'fastify';

const [port, path] = process.argv.slice(2);
if (!port || !path) throw new Error('usage: http-ceiling-server.js <port> <path>');

const app = fastify({ logger: false, bodyLimit: 1_048_576 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post(path, async () => ({ status: 'accepted' }));

app.listen({ host: '127.0.0.1', port: Number(port) }).then(
  () => process.stdout.write('listening\n'),
  (error: unknown) => {
    process.stderr.write(`http-ceiling-server: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
