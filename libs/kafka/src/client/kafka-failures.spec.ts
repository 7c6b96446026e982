import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { isPermanentKafkaFailure, kafkaFailureHint } from './kafka-failures';

describe('isPermanentKafkaFailure', () => {
  it('refused credentials and permissions are permanent, also as the cause of another error', () => {
    const refused = new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)(
      'SASL SCRAM-SHA-512 authentication failed: Authentication failed',
    );
    assert.ok(isPermanentKafkaFailure(refused));
    const denied = new KafkaJSProtocolError('Not authorized to access topics');
    Object.assign(denied, { type: 'TOPIC_AUTHORIZATION_FAILED' });
    assert.ok(isPermanentKafkaFailure(denied));
    assert.ok(isPermanentKafkaFailure(new Error('send failed', { cause: denied })));
  });

  it('a broker certificate that does not verify is permanent, as kafkajs reports it after its retries', () => {
    for (const code of [
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'ERR_TLS_CERT_ALTNAME_INVALID',
    ]) {
      const refused = new KafkaJSConnectionError(
        'Connection error: self-signed certificate in certificate chain',
        {
          broker: 'kafka:9093',
          code,
        },
      );
      assert.ok(isPermanentKafkaFailure(refused), code);
      assert.ok(
        isPermanentKafkaFailure(
          new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 6000 }),
        ),
      );
    }
    const gone = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED', {
      code: 'ECONNREFUSED',
    });
    assert.equal(isPermanentKafkaFailure(gone), false);
  });

  it("a broker gone or the client's own state after a crash may pass", () => {
    assert.equal(
      isPermanentKafkaFailure(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092')),
      false,
    );
    assert.equal(
      isPermanentKafkaFailure(
        new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first'),
      ),
      false,
    );
    assert.equal(isPermanentKafkaFailure('not an error'), false);
  });
});

describe('kafkaFailureHint', () => {
  it('refused credentials name the sasl settings; an untrusted certificate names tls.ca', () => {
    const refused = new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)(
      'SASL SCRAM-SHA-512 authentication failed: Authentication failed during authentication due to invalid credentials',
    );
    assert.equal(
      kafkaFailureHint(new Error('runtime failed', { cause: refused })),
      'check kafka.sasl username, password and mechanism (the broker refused them)',
    );
    const untrusted = new KafkaJSConnectionError('Connection error: unable to verify the first certificate', {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    assert.match(kafkaFailureHint(untrusted) ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE.*kafka\.tls\.ca/);
    assert.equal(
      kafkaFailureHint(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED')),
      undefined,
    );
  });
});
