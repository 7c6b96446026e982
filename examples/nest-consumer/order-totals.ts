import { Injectable } from '@nestjs/common';
import { type Order } from './orders.controller';

export const ORDERS_CONFIG = Symbol('ORDERS_CONFIG');

/** The Avro schema of the example's order events. */
export const ORDER_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'example',
  fields: [
    { name: 'id', type: 'string' },
    {
      name: 'lines',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Line',
          fields: [
            { name: 'sku', type: 'string' },
            { name: 'quantity', type: 'int' },
            { name: 'priceCents', type: 'long' },
          ],
        },
      },
    },
  ],
});

/** The domain work of the example: an order's total, and how many orders were seen. */
@Injectable()
export class OrderTotals {
  count = 0;

  add(order: Order): number {
    this.count += 1;
    return order.lines.reduce((sum, line) => sum + line.quantity * Number(line.priceCents), 0);
  }
}
