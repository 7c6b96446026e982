// @sluice/webhook-signing — webhook signatures: Sluice's own (WebhookSignature, which the HTTP sink
// signs outgoing requests with) and the verification of inbound ones under a configured scheme
// (sluice, stripe, github, shopify, slack, a generic hmac, or none), with the provider's delivery
// id for deduplication. HMACs over the raw body bytes, compared in constant time.
export { WebhookSignature, SIGNATURE_HEADER } from './webhook-signature';
export { type SignedRequest, type Verification, type SignatureVerifier } from './signature-verifier';
export {
  verificationConfigSchema,
  type VerificationConfig,
  type VerificationConfigInput,
} from './verification-config';
export { compileVerifier } from './compile-verifier';
export { providerDeliveryId } from './delivery-id';
