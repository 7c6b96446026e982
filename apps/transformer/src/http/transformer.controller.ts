import { Controller, Get, Inject } from '@nestjs/common';
import { type Transformer, type TransformerStatus } from '../processing/transformer';
import { TRANSFORMER } from './tokens';

/** What the transformer is doing: pipeline, group, assignment and record counters. */
@Controller()
export class TransformerController {
  constructor(@Inject(TRANSFORMER) private readonly transformer: Transformer) {}

  @Get('status')
  status(): TransformerStatus {
    return this.transformer.status();
  }
}
