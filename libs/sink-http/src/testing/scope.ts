import { type ExpressionScope } from '@sluice/pipeline';

/** An expression scope for specs. */
export function scopeOf(
  value: unknown,
  over: Partial<Omit<ExpressionScope, 'headers'>> & { headers?: Record<string, string> } = {},
): ExpressionScope {
  const { headers = {}, ...rest } = over;
  return {
    value,
    key: null,
    topic: 'shop.orders',
    partition: 2,
    offset: '41',
    timestamp: 1_700_000_000_000,
    ...rest,
    headers: () => headers,
  };
}
