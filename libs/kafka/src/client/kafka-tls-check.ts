import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { EnvironmentError } from '@sluice/errors';
import { type KafkaConfig } from '../config/kafka-config';
import { untrustedCertificateCode } from './kafka-failures';
import { type ConfigLocation, readTlsFiles } from './tls-files';

/** What one TLS handshake with the brokers showed. */
export type KafkaTlsCheck =
  /** TLS off, or certificate checking turned off: nothing to check. */
  | { readonly outcome: 'skipped' }
  /** A broker's certificate verified. */
  | { readonly outcome: 'verified'; readonly broker: string }
  /** No broker completed a handshake (down, unresolvable, reset): kafkajs's retries decide. */
  | { readonly outcome: 'unreachable'; readonly reasons: readonly string[] };

/** A broker's certificate the client refuses, or a handshake the broker refuses: the same on every try. */
export class KafkaTlsError extends EnvironmentError {
  constructor(
    message: string,
    readonly broker: string,
    readonly tlsCode: string,
    options?: { cause?: unknown },
  ) {
    super(message, { ...options, code: 'KAFKA_TLS' });
  }
}

export interface KafkaTlsCheckOptions extends Partial<ConfigLocation> {
  /** Budget for the whole check, across brokers. Default `config.connectionTimeoutMs`. */
  readonly timeoutMs?: number;
}

/**
 * One TLS handshake, at start-up, with the first broker that answers, as kafkajs would make it (the
 * configured CA and client certificate, the broker's name as SNI unless it is an IP address). A
 * certificate that does not verify, or a handshake the broker refuses, throws one `KafkaTlsError`
 * naming the broker, Node's code and the setting to change, instead of kafkajs marking the failure
 * retriable and handshaking `retry.retries` more times first. A broker that does not answer is not
 * an error here: kafkajs retries it as for any start-up.
 */
export async function checkKafkaTls(
  config: KafkaConfig,
  options: KafkaTlsCheckOptions = {},
): Promise<KafkaTlsCheck> {
  if (!config.tls.enabled || !config.tls.rejectUnauthorized) return { outcome: 'skipped' };
  const where = { source: options.source ?? 'configuration', path: options.path ?? 'kafka' };
  const material = readTlsFiles(config.tls, where);
  const deadline = Date.now() + (options.timeoutMs ?? config.connectionTimeoutMs);
  const reasons: string[] = [];
  for (const broker of config.brokers) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const { host, port } = hostAndPort(broker);
    const result = await handshake({ host, port, ...material }, remaining);
    if (result.ok) return { outcome: 'verified', broker };
    const refusal = refusalOf(result.error, broker, host, config, where.path);
    if (refusal) throw refusal;
    reasons.push(`${broker}: ${result.error.message}`);
  }
  return { outcome: 'unreachable', reasons };
}

function hostAndPort(broker: string): { host: string; port: number } {
  const at = broker.lastIndexOf(':');
  const host = broker.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(broker.slice(at + 1)) };
}

type Handshake = { ok: true } | { ok: false; error: Error & { code?: string } };

function handshake(
  target: { host: string; port: number; ca?: string; cert?: string; key?: string },
  timeoutMs: number,
): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket: TLSSocket = connect(
      { ...target, ...(isIP(target.host) ? {} : { servername: target.host }), rejectUnauthorized: true },
      () => done({ ok: true }),
    );
    const timer = setTimeout(
      () => done({ ok: false, error: new Error(`no TLS handshake within ${timeoutMs} ms`) }),
      timeoutMs,
    );
    let settled = false;
    function done(result: Handshake): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    }
    socket.on('error', (error: Error & { code?: string }) => done({ ok: false, error }));
  });
}

/** The failure as one clear, permanent error, or undefined when it may pass (network, broker down). */
function refusalOf(
  error: Error & { code?: string },
  broker: string,
  host: string,
  config: KafkaConfig,
  path: string,
): KafkaTlsError | undefined {
  const code = untrustedCertificateCode(error);
  if (code !== undefined) {
    const hint =
      code === 'HOSTNAME_MISMATCH' || code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? `it does not name ${host}: list the broker in ${path}.brokers by a name its certificate holds, or reissue the certificate`
        : code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID'
          ? "the broker needs a certificate valid now (check its dates and this host's clock)"
          : config.tls.ca !== undefined
            ? `${path}.tls.ca (${config.tls.ca}) did not sign it: set ${path}.tls.ca to the CA that signed it`
            : `set ${path}.tls.ca to the CA that signed it (without it only Node's bundled public CAs are trusted)`;
    return new KafkaTlsError(
      `Kafka broker ${broker}'s certificate is not trusted (${code}): ${hint}`,
      broker,
      code,
      { cause: error },
    );
  }
  // A TLS alert from the broker during the handshake (e.g. it does not accept our client
  // certificate, or no protocol version or cipher in common): its answer to this configuration.
  if (typeof error.code === 'string' && /^ERR_SSL_.*ALERT/.test(error.code)) {
    const hint =
      config.tls.cert !== undefined
        ? `check ${path}.tls.cert and ${path}.tls.key (a client certificate the broker's truststore accepts)`
        : `the broker may require a client certificate (${path}.tls.cert and ${path}.tls.key)`;
    return new KafkaTlsError(
      `Kafka broker ${broker} refused the TLS handshake (${error.code}): ${hint}`,
      broker,
      error.code,
      { cause: error },
    );
  }
  return undefined;
}
