import { z } from 'zod';
import { decimal, flag, wholeNumber } from '@sluice/config';

/**
 * `host:port`, where host is a DNS name (underscores tolerated, as Docker Compose service names use
 * them), an IPv4 address or a bracketed IPv6 address, and port is 1-65535. Checked here because
 * kafkajs accepts any string and only fails, much later, with a connection error.
 */
const BROKER_ADDRESS = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

const brokerAddress = z
  .string()
  .trim()
  .refine((value) => {
    const port = BROKER_ADDRESS.exec(value)?.[1];
    return port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
  }, 'expected host:port with a port in 1-65535 (e.g. kafka-0.kafka:9092 or [::1]:9092)');

/** The SASL mechanisms kafkajs implements without plug-ins (OAUTHBEARER and AWS IAM need code). */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

const saslSchema = z.strictObject({
  mechanism: z
    // Java client configs spell it SCRAM-SHA-512; accept either case.
    .preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(SASL_MECHANISMS))
    .describe('plain, scram-sha-256 or scram-sha-512 (case-insensitive).'),
  username: z.string().min(1).describe('SASL user name.'),
  password: z.string().min(1).describe('SASL password; use ${ENV_VAR} interpolation, never a literal.'),
  allowPlainWithoutTls: flag()
    .default(false)
    .describe(
      'Let mechanism plain send the password over a connection without TLS (readable by anyone on the path). Default false: plain needs tls.enabled.',
    ),
});

const pemFile = z.string().min(1);

const tlsSchema = z
  .strictObject({
    enabled: flag().default(false).describe('Connect over TLS. Default false.'),
    ca: pemFile
      .optional()
      .describe("PEM file of the CA(s) to trust instead of Node's bundled roots. Default: bundled roots."),
    cert: pemFile.optional().describe('PEM client certificate file, for mutual TLS. Requires key.'),
    key: pemFile.optional().describe('PEM private key file of the client certificate. Requires cert.'),
    rejectUnauthorized: flag()
      .default(true)
      .describe(
        'Refuse brokers whose certificate does not verify. Default true; false only for local tests.',
      ),
  })
  .superRefine((tls, ctx) => {
    // Certificate files with TLS off would be silently ignored: a connection the operator believes is
    // encrypted would go out in plain text. Refuse instead.
    for (const field of ['ca', 'cert', 'key'] as const) {
      if (tls[field] !== undefined && !tls.enabled) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} is set but tls.enabled is false` });
      }
    }
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      const missing = tls.cert === undefined ? 'cert' : 'key';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'cert and key go together: set both or neither',
      });
    }
  });

const retrySchema = z.strictObject({
  retries: wholeNumber()
    .default(5)
    .describe(
      'Attempts after the first for a retriable failure. Default 5 (kafkajs). The idempotent producer ignores it and retries until it succeeds.',
    ),
  initialRetryTimeMs: wholeNumber()
    .default(300)
    .describe(
      'First backoff in ms. Default 300. A transactional producer retries a failed send first after 1 ms.',
    ),
  maxRetryTimeMs: wholeNumber().default(30_000).describe('Longest backoff in ms. Default 30000.'),
  multiplier: decimal().default(2).describe('Backoff growth per attempt. Default 2.'),
  factor: decimal().default(0.2).describe('Random jitter, as a fraction of the backoff. Default 0.2.'),
});

/** kafkajs log levels by name; `nothing` silences it. */
export const KAFKA_LOG_LEVELS = ['nothing', 'error', 'warn', 'info', 'debug'] as const;

/**
 * Connection settings for a Kafka cluster, as they appear under `kafka:` in every Sluice app's YAML.
 * The schema is also the documentation: each field says its default.
 */
export const kafkaConfigSchema = z
  .strictObject({
    brokers: z
      .preprocess(
        // One environment variable usually carries the whole list: KAFKA_BROKERS=a:9092,b:9092.
        (v) =>
          typeof v === 'string'
            ? v
                .split(',')
                .map((s) => s.trim())
                .filter((s) => s !== '')
            : v,
        z.array(brokerAddress).min(1, 'expected at least one broker (host:port)'),
      )
      .describe('Bootstrap brokers, a list of host:port or one comma-separated string. Required.'),
    clientId: z
      .string()
      .min(1)
      .default('sluice')
      .describe('client.id sent to the brokers, visible in their logs and quotas. Default "sluice".'),
    sasl: saslSchema.optional().describe('SASL authentication. Default: none.'),
    tls: tlsSchema.prefault({}).describe('TLS to the brokers. Default: plain TCP.'),
    connectionTimeoutMs: wholeNumber()
      .default(10_000)
      .describe(
        "Time to open a TCP (and TLS) connection, in ms. Default 10000, the Java client's socket.connection.setup.timeout.ms; kafkajs's 1000 is too short for TLS across zones.",
      ),
    requestTimeoutMs: wholeNumber()
      .default(30_000)
      .describe('Time to wait for a broker response, in ms. Default 30000.'),
    retry: retrySchema
      .prefault({})
      .describe('Backoff for retriable failures (exponential with jitter, kafkajs retrier).'),
    logLevel: z
      .enum(KAFKA_LOG_LEVELS)
      .default('warn')
      .describe(
        "Lowest kafkajs log level passed on to the log creator. Default warn (kafkajs's is info, which is chatty).",
      ),
  })
  .superRefine((kafka, ctx) => {
    // PLAIN sends the password as it is: over plain TCP anyone on the path reads it.
    if (kafka.sasl?.mechanism === 'plain' && !kafka.tls.enabled && !kafka.sasl.allowPlainWithoutTls)
      ctx.addIssue({
        code: 'custom',
        path: ['sasl', 'mechanism'],
        message:
          'plain sends the password in clear text: enable tls (tls.enabled: true), use scram-sha-512, or set sasl.allowPlainWithoutTls: true',
      });
  })
  .describe('Kafka connection settings.');

/** Validated Kafka settings, defaults applied. */
export type KafkaConfig = z.output<typeof kafkaConfigSchema>;
/** Kafka settings as written in YAML, before defaults. */
export type KafkaConfigInput = z.input<typeof kafkaConfigSchema>;
export type KafkaSaslConfig = NonNullable<KafkaConfig['sasl']>;
export type KafkaTlsConfig = KafkaConfig['tls'];
