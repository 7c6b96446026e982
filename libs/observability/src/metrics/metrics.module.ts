import { Controller, Get, Module, Res } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import { metricsExposition } from './metrics-registry';

/** `GET /metrics`: the Prometheus text format of the process's registry. */
@Controller()
export class MetricsController {
  @Get('metrics')
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    const { contentType, body } = await metricsExposition();
    await reply.header('Content-Type', contentType).send(body);
  }
}

/** Imported by every app: its `/metrics` endpoint. */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
