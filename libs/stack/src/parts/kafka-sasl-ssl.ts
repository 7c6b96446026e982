import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '@sluice/errors';
import { type StackCertificates } from './stack-certificates';

/** The SASL user of the local stack's SASL_SSL listener: one name and password for SCRAM and PLAIN. */
export interface KafkaSaslUser {
  username: string;
  password: string;
}

/** Where a client reaches the SASL_SSL listener, and what it needs to. */
export interface KafkaSaslSslEndpoint {
  /** `127.0.0.1:<saslSslPort>`. */
  address: string;
  /** The CA certificate a client trusts (`kafka.tls.ca`). */
  caFile: string;
  /** The user, valid with scram-sha-512 and with plain. */
  user: KafkaSaslUser;
  /** `KAFKA_SASL_USERNAME=...` / `KAFKA_SASL_PASSWORD=...`, for `set -a; . <file>` in a shell. */
  credentialsFile: string;
}

/** The SASL mechanisms the listener offers; SCRAM users live in the cluster metadata. */
export const STACK_SASL_MECHANISMS = ['SCRAM-SHA-512', 'PLAIN'] as const;
/** The SCRAM mechanism the local stack creates its user for. */
export const STACK_SCRAM_MECHANISM = 'SCRAM-SHA-512';

const USERNAME = 'sluice';

/**
 * The stack's SASL user, made once with a random password into `file` (readable by the owner only)
 * and read back afterwards, so apps configured against it keep working across restarts.
 */
export function stackSaslUser(file: string): KafkaSaslUser {
  if (existsSync(file)) {
    const values = Object.fromEntries(
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2]]),
    );
    if (values.KAFKA_SASL_USERNAME && values.KAFKA_SASL_PASSWORD)
      return { username: values.KAFKA_SASL_USERNAME, password: values.KAFKA_SASL_PASSWORD };
  }
  // Hex: nothing to quote in a JAAS line, a SCRAM argument or a shell.
  const user = { username: USERNAME, password: randomBytes(18).toString('hex') };
  writeFileSync(
    file,
    `# The local stack's Kafka SASL_SSL user (scram-sha-512 or plain); written once by sluice stack.\nKAFKA_SASL_USERNAME=${user.username}\nKAFKA_SASL_PASSWORD=${user.password}\n`,
    { mode: 0o600 },
  );
  chmodSync(file, 0o600);
  return user;
}

/**
 * The broker's key store in PEM form (`ssl.keystore.type=PEM`): the unencrypted PKCS#8 server key,
 * then the certificate chain (server certificate, CA). Owner-readable only.
 */
export function writePemKeystore(certs: StackCertificates, file: string): void {
  const pem = [certs.serverKey, certs.serverCert, certs.caCert]
    .map((path) => readFileSync(path, 'utf8').trim())
    .join('\n');
  writeFileSync(file, `${pem}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * server.properties lines for a `SASL_SSL` listener named SASL_SSL on `host:port`, beside the
 * plaintext one (which stays the inter-broker listener): TLS with the PEM key store, SCRAM-SHA-512
 * (users in the cluster metadata) and PLAIN (the one user declared in its JAAS line).
 */
export function saslSslListenerProperties(keystoreFile: string, user: KafkaSaslUser): string[] {
  const prefix = 'listener.name.sasl_ssl';
  return [
    `${prefix}.sasl.enabled.mechanisms=${STACK_SASL_MECHANISMS.join(',')}`,
    `${prefix}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    `${prefix}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${user.username}="${user.password}";`,
    `${prefix}.ssl.keystore.type=PEM`,
    `${prefix}.ssl.keystore.location=${keystoreFile}`,
    `${prefix}.ssl.client.auth=none`,
  ];
}

/** `kafka-storage format --add-scram` argument creating the user while formatting. */
export function scramFormatArgs(user: KafkaSaslUser): string[] {
  return ['--add-scram', `${STACK_SCRAM_MECHANISM}=[name=${user.username},password=${user.password}]`];
}

/**
 * Creates (or resets) the SCRAM user on a running broker with Kafka's own ConfigCommand
 * (`kafka-configs --alter --add-config SCRAM-SHA-512=[...] --entity-type users`), over the
 * plaintext listener: for a data folder formatted before TLS was asked for.
 */
export function addScramUser(
  java: string,
  classpath: string,
  log4jFile: string,
  bootstrap: string,
  user: KafkaSaslUser,
): void {
  const result = spawnSync(
    java,
    [
      `-Dlog4j2.configurationFile=${log4jFile}`,
      '-cp',
      classpath,
      'kafka.admin.ConfigCommand',
      '--bootstrap-server',
      bootstrap,
      '--alter',
      '--add-config',
      `${STACK_SCRAM_MECHANISM}=[password=${user.password}]`,
      '--entity-type',
      'users',
      '--entity-name',
      user.username,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (result.status !== 0) {
    const out = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-2).join(' | ');
    throw new EnvironmentError(`creating the Kafka SCRAM user ${user.username} failed: ${out}`, {
      code: 'KAFKA_SCRAM_USER_FAILED',
    });
  }
}

/** The endpoint description for a stack folder (`<home>/kafka`) and its certificates. */
export function saslSslEndpoint(
  host: string,
  port: number,
  certs: Pick<StackCertificates, 'caCert'>,
  kafkaDir: string,
): KafkaSaslSslEndpoint {
  const credentialsFile = join(kafkaDir, 'sasl.env');
  return {
    address: `${host}:${port}`,
    caFile: certs.caCert,
    user: stackSaslUser(credentialsFile),
    credentialsFile,
  };
}
