import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `sluice stack` as a person uses it, on a second stack of its own (other ports, other folder), so
 * it never disturbs the stack the other suites share.
 */
const projectRoot = join(__dirname, '..', '..', '..');
const home = mkdtempSync(join(tmpdir(), 'sluice-stack-test-'));
const env = {
  ...process.env,
  SLUICE_HOME: home,
  SLUICE_KAFKA_PORT: '19292',
  SLUICE_KAFKA_CONTROLLER_PORT: '19293',
  SLUICE_POSTGRES_PORT: '15633',
  SLUICE_REGISTRY_PORT: '18281',
};

function sluice(args: string[], extraEnv: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [join(projectRoot, 'bin', 'sluice.js'), ...args], {
    env: { ...env, ...extraEnv },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function stackProcesses(): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout;
  // Kafka runs from files in the stack's folder; Postgres may run from a scratch folder when its
  // account cannot reach ours, so it is recognised by its port.
  return ps
    .split('\n')
    .filter((line) => (line.includes(home) || line.includes('-p 15633')) && !line.includes('ps -eo'));
}

describe('sluice stack (own ports and folder)', () => {
  after(() => {
    sluice(['stack', 'down', '--purge']);
    rmSync(home, { recursive: true, force: true });
  });

  it('up starts Kafka (KRaft) and Postgres and returns only once both answer', () => {
    const up = sluice(['stack', 'up', 'postgres', 'kafka']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /kafka\s+127\.0\.0\.1:19292\s+started/);
    assert.match(up.stdout, /postgres\s+127\.0\.0\.1:15633\s+started/);
  });

  it('status reports both parts answering at their addresses, also as JSON', () => {
    const status = sluice(['stack', 'status', '--output', 'json']);
    const parts = JSON.parse(status.stdout) as Array<{
      name: string;
      address: string;
      answering: boolean;
      detail?: string;
    }>;
    const byName = Object.fromEntries(parts.map((p) => [p.name, p]));
    assert.equal(byName.kafka?.answering, true);
    assert.match(byName.kafka?.detail ?? '', /KRaft cluster .*controller 1/);
    assert.equal(byName.postgres?.answering, true);
    assert.match(byName.postgres?.detail ?? '', /wal_level=logical/);
    assert.equal(byName.registry?.answering, false);
    assert.equal(status.code, 1, 'status exits 1 while a part (the registry) does not answer');
  });

  it('a second up finds the parts running and says so', () => {
    const again = sluice(['stack', 'up', 'postgres', 'kafka']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /kafka\s+\S+\s+already running/);
    assert.match(again.stdout, /postgres\s+\S+\s+already running/);
  });

  it('creates the source and sink databases', () => {
    const psql = spawnSync(
      'psql',
      [
        '-h',
        '127.0.0.1',
        '-p',
        '15633',
        '-U',
        'postgres',
        '-Atc',
        'SELECT datname FROM pg_database ORDER BY 1',
        'postgres',
      ],
      {
        env: { ...process.env, PGPASSWORD: 'postgres' },
        encoding: 'utf8',
      },
    );
    assert.equal(psql.status, 0, psql.stderr);
    for (const db of ['registry', 'sink', 'source'])
      assert.ok(psql.stdout.split('\n').includes(db), `database ${db} exists`);
  });

  it('Postgres asks every connection for the password, its socket in a private folder', () => {
    const psql = (host: string, password?: string) =>
      spawnSync(
        'psql',
        ['-h', host, '-p', '15633', '-U', 'postgres', '-Atc', 'SHOW unix_socket_directories', 'postgres'],
        {
          env: { ...process.env, PGPASSWORD: password ?? '', PGCONNECT_TIMEOUT: '5' },
          encoding: 'utf8',
        },
      );
    const socketDir = psql('127.0.0.1', 'postgres').stdout.trim();
    assert.notEqual(socketDir, '/tmp');
    assert.equal(statSync(socketDir).mode & 0o777, 0o700, `${socketDir} is the Postgres account's alone`);
    assert.match(psql('127.0.0.1', 'wrong').stderr, /password authentication failed/);
    // The socket too: no trust for local connections.
    assert.match(psql(socketDir).stderr, /password/);
    assert.equal(psql(socketDir, 'postgres').status, 0);
  });

  it('logs prints the end of a part log', () => {
    const logs = sluice(['stack', 'logs', 'kafka', '-n', '20']);
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, /==> kafka: .*kafka\.log <==/);
    assert.match(logs.stdout, /Kafka Server started|KafkaRaftServer|INFO/);
  });

  it('down stops everything up started and leaves no process behind', async () => {
    assert.ok(stackProcesses().length > 0, 'the stack runs processes from its folder');
    const down = sluice(['stack', 'down']);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /stopped: kafka, postgres/);
    assert.deepEqual(stackProcesses(), []);
    const status = sluice(['stack', 'status']);
    assert.match(status.stdout, /kafka\s+\S+\s+stopped/);
  });
});

describe('sluice stack: errors a person can act on', () => {
  let blocker: Server;
  before(async () => {
    blocker = createServer(() => undefined);
    await new Promise<void>((resolve) => blocker.listen(19392, '127.0.0.1', resolve));
  });
  after(() => blocker.close());

  it('a port already in use: one line naming the port and the variable that moves it, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-port-'));
    const up = sluice(['stack', 'up', 'kafka'], {
      SLUICE_HOME: dir,
      SLUICE_KAFKA_PORT: '19392',
      SLUICE_KAFKA_CONTROLLER_PORT: '19393',
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(up.code, 1);
    assert.match(
      up.stderr.trim().split('\n').at(-1)!,
      /^sluice: port 19392 \(Kafka\) is in use by another process; .*SLUICE_KAFKA_PORT/,
    );
  });

  it('a Kafka data folder from an incompatible version is refused with the way out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-old-'));
    mkdirSync(join(dir, 'kafka', 'data'), { recursive: true });
    writeFileSync(join(dir, 'kafka', 'data', 'meta.properties'), 'version=1\ncluster.id=abc\nnode.id=1\n');
    writeFileSync(
      join(dir, 'kafka', 'storage.json'),
      JSON.stringify({ kafkaVersion: '3.9.0', clusterId: 'abc', controllerPort: 19493 }),
    );
    const up = sluice(['stack', 'up', 'kafka'], {
      SLUICE_HOME: dir,
      SLUICE_KAFKA_PORT: '19492',
      SLUICE_KAFKA_CONTROLLER_PORT: '19493',
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(up.code, 1);
    assert.match(
      up.stderr,
      /sluice: Kafka data folder .* cannot be used: it was written by Kafka 3\.9\.0.*sluice stack down --purge/,
    );
  });

  it('Java missing: a one-line actionable error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-nojava-'));
    const up = sluice(['stack', 'up', 'kafka'], {
      SLUICE_HOME: dir,
      SLUICE_KAFKA_PORT: '19592',
      SLUICE_KAFKA_CONTROLLER_PORT: '19593',
      PATH: '/nonexistent',
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(up.code, 1);
    assert.match(up.stderr, /sluice: Java not found on PATH: Kafka needs Java 17\+/);
  });

  it('bad usage exits 2: an unknown part, an unknown command, a bad flag value', () => {
    assert.equal(sluice(['stack', 'up', 'zookeeper']).code, 2);
    assert.match(sluice(['stack', 'up', 'zookeeper']).stderr, /unknown stack part 'zookeeper'/);
    assert.equal(sluice(['stack', 'frobnicate']).code, 2);
    assert.equal(sluice(['stack', 'logs', 'kafka', '-n', 'many']).code, 2);
    assert.equal(sluice(['stack', 'status', '--output', 'xml']).code, 2);
  });
});
