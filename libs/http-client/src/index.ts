// @sluice/http-client — what every connector that calls HTTP APIs shares: request templates over
// the transformer's expression language, static credentials, a circuit breaker and Retry-After.
// Used by sink-http (deliveries) and source-http-poll (polls).
export { TextTemplate } from './template/text-template';
export { templateText } from './template/template-field';
export { JsonTemplate } from './template/json-template';
export { toJsonText, toText } from './template/json-body';
export { TemplateRenderError } from './template/template-error';
export { headerName, staticAuthOptions, staticAuthHeaders, type StaticAuth } from './auth/http-auth';
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitCounters,
  type CircuitPermit,
  type CircuitState,
  type CircuitTransition,
} from './limits/circuit-breaker';
export { parseRetryAfter } from './retry/retry-after';
