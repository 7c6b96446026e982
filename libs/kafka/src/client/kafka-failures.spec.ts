import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { isPermanentKafkaFailure } from './kafka-failures';

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
