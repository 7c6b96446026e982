import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { basicAuthorization } from '@sluice/schema';
import { BasicAuthVerifier, basicCredentials } from './basic-auth';

const users = [
  { username: 'sluice-apps', password: 'correct horse battery' },
  { username: 'ci', password: 'p:with:colons and ünïcode' },
];

describe('BasicAuthVerifier', () => {
  const verifier = new BasicAuthVerifier(users);

  it('lets in each configured user, as a Confluent client encodes them', () => {
    for (const u of users) assert.equal(verifier.verify(basicAuthorization(u)), u.username);
  });

  it('refuses a wrong password, an unknown user, and another user’s password', () => {
    assert.equal(verifier.verify(basicAuthorization({ username: 'ci', password: 'nope' })), undefined);
    assert.equal(
      verifier.verify(basicAuthorization({ username: 'mallory', password: 'correct horse battery' })),
      undefined,
    );
    assert.equal(
      verifier.verify(basicAuthorization({ username: 'sluice-apps', password: users[1]!.password })),
      undefined,
    );
  });

  it('refuses missing, malformed and non-basic headers', () => {
    for (const header of [
      undefined,
      '',
      'Basic',
      'Basic !!!',
      `Bearer ${Buffer.from('ci:x').toString('base64')}`,
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      ['Basic a', 'Basic b'],
    ])
      assert.equal(verifier.verify(header), undefined, JSON.stringify(header));
  });

  it('splits user and password at the first colon (a password may hold colons)', () => {
    assert.deepEqual(basicCredentials(`basic ${Buffer.from('u:a:b').toString('base64')}`), {
      username: 'u',
      password: 'a:b',
    });
  });

  it('with no users, nobody gets in', () => {
    assert.equal(new BasicAuthVerifier([]).verify(basicAuthorization(users[0]!)), undefined);
  });
});
