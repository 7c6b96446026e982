import { type DynamicModule, Module } from '@nestjs/common';
import { OrdersController } from './orders.controller';
import { ORDERS_CONFIG, OrderTotals } from './order-totals';

@Module({})
export class OrdersModule {
  static forRoot(config: { totalsTopic: string }): DynamicModule {
    return {
      module: OrdersModule,
      controllers: [OrdersController],
      providers: [OrderTotals, { provide: ORDERS_CONFIG, useValue: config }],
    };
  }
}
