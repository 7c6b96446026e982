import { type SignedRequest } from './signature-verifier';
import { type VerificationConfig } from './verification-config';

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

const bodyField = (body: unknown, field: string): string | undefined =>
  body !== null && typeof body === 'object' ? nonEmpty((body as Record<string, unknown>)[field]) : undefined;

/**
 * The provider's delivery id of a request (for deduplication), or undefined when the scheme has
 * none or the request lacks it. `body` is the parsed JSON body (may be undefined).
 */
export function providerDeliveryId(
  config: VerificationConfig,
  request: SignedRequest,
  body: unknown,
): string | undefined {
  const header = (name: string) => nonEmpty(request.headers[name]);
  switch (config.scheme) {
    case 'sluice':
      return header('idempotency-key');
    case 'stripe':
      return bodyField(body, 'id');
    case 'github':
      return header('x-github-delivery');
    case 'shopify':
      return header('x-shopify-webhook-id') ?? header('x-shopify-event-id');
    case 'slack':
      return bodyField(body, 'event_id');
    case 'hmac':
      return config.deliveryIdHeader ? header(config.deliveryIdHeader.toLowerCase()) : undefined;
    case 'none':
      return undefined;
  }
}
