import { Controller, Get, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { type OutputRecord, SluiceRecordContext } from '@sluice/stream';
import { ORDERS_CONFIG, OrderTotals } from './order-totals';

/** The Avro value of an order event (schema in order-totals.ts). */
export interface Order {
  readonly id: string;
  readonly lines: ReadonlyArray<{
    readonly sku: string;
    readonly quantity: number;
    readonly priceCents: number;
  }>;
}

/**
 * An @EventPattern handler on the Sluice transport: it receives the decoded order and where it came
 * from, keeps no business logic of its own (OrderTotals does the work) and returns the record to
 * produce — in the same transaction as the consumed offset. An HTTP endpoint of the same app shows
 * the hybrid setup.
 */
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly totals: OrderTotals,
    @Inject(ORDERS_CONFIG) private readonly config: { totalsTopic: string },
  ) {}

  @EventPattern('orders')
  onOrder(@Payload() order: Order, @Ctx() context: SluiceRecordContext): OutputRecord[] {
    const total = this.totals.add(order);
    return [
      {
        topic: this.config.totalsTopic,
        key: context.getKey(),
        value: JSON.stringify({ id: order.id, totalCents: total, offset: String(context.getOffset()) }),
      },
    ];
  }

  @Get('count')
  count(): { orders: number } {
    return { orders: this.totals.count };
  }
}
