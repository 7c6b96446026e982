import { Controller, Get } from '@nestjs/common';

@Controller()
export class RootController {
  /** Confluent answers the root with an empty object; clients use it as a ping. */
  @Get()
  root(): Record<string, never> {
    return {};
  }
}
