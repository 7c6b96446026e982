// A self-signed certificate for 127.0.0.1 (EC P-256, valid for 100 years), for specs that need an
// HTTPS server nobody trusts. Test material only: the key protects nothing.
export const SELF_SIGNED_KEY =
  '-----BEGIN PRIVATE KEY-----\n' +
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg42ucMTYGj7cQTruK\n' +
  'zq6Z5F9CrMUWREMaoTIrqr5iiQGhRANCAAR05lt/uO3CrQY2eVR6xV+35l0xM9Yi\n' +
  'SN9t6gXozIuoxnFqMGlgaTGVdafCGTb0ZwqTyJp4nnaVvGDyvDLg3yMb\n' +
  '-----END PRIVATE KEY-----\n';

export const SELF_SIGNED_CERT =
  '-----BEGIN CERTIFICATE-----\n' +
  'MIIBjzCCATagAwIBAgIULnuJJI+Af8BuUFXUuO5yghxxn64wCgYIKoZIzj0EAwIw\n' +
  'FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMjA0NTAzNVoYDzIxMjYxMDI5\n' +
  'MDQ1MDM1WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n' +
  'PQMBBwNCAAR05lt/uO3CrQY2eVR6xV+35l0xM9YiSN9t6gXozIuoxnFqMGlgaTGV\n' +
  'dafCGTb0ZwqTyJp4nnaVvGDyvDLg3yMbo2QwYjAdBgNVHQ4EFgQUzQBDmyzaEjMQ\n' +
  'Hr0j0IGpr8FGfIIwHwYDVR0jBBgwFoAUzQBDmyzaEjMQHr0j0IGpr8FGfIIwDwYD\n' +
  'VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQC\n' +
  'IH4sUuVnjqRqp8R7ZC8661fafseYPLt0rrKhekAZVNcWAiAtqn5DEvpqljcyV+ta\n' +
  'ApAAbosf9gYFTEjxPQSnZo1uog==\n' +
  '-----END CERTIFICATE-----\n';
