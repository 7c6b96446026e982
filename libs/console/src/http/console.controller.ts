import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
  Sse,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { filter, map, type Observable } from 'rxjs';
import { type ManagementAction } from '../fleet/app-client';
import { type FleetUpdate } from '../fleet/fleet-feed';
import { maskSecrets } from '../fleet/mask-secrets';
import { nonCdcSource } from '../links/console-links';
import { answering } from './console-errors';
import {
  browseQuerySchema,
  browseStart,
  checkBodySchema,
  deadLettersQuerySchema,
  diffQuerySchema,
  listQuerySchema,
  parseInput,
  purgeBodySchema,
  redriveBodySchema,
  replayBodySchema,
  replayResetBodySchema,
  replayRange,
  republishBodySchema,
  snapshotBodySchema,
} from './console-input';
import { CONSOLE_SERVICES, type ConsoleServices } from './console-services';

const ACTIONS: readonly ManagementAction[] = ['pause', 'resume', 'restart'];
const ASSETS: Record<string, string> = {
  'app.js': 'application/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/**
 * The console's API (under /api, JSON; live updates as server-sent events on /api/events) and its
 * single-page front end (/ and /assets). Mutating calls go through the app's bearer-token guard.
 */
@ApiExcludeController()
@Controller()
export class ConsoleController {
  constructor(@Inject(CONSOLE_SERVICES) private readonly s: ConsoleServices) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  index(): string {
    return this.asset('index.html');
  }

  @Get('assets/:file')
  assetFile(
    @Param('file') file: string,
    @Res({ passthrough: true }) reply: { header(name: string, value: string): unknown },
  ): string {
    if (!Object.hasOwn(ASSETS, file)) throw new NotFoundException(`no asset ${file}`);
    const body = this.asset(file);
    reply.header('content-type', ASSETS[file]!);
    return body;
  }

  @Get('api/overview')
  async overview() {
    const update = this.s.feed.latest() ?? (await this.s.feed.refresh());
    return this.overviewOf(update);
  }

  @Sse('api/events')
  events(): Observable<{ type: string; data: object }> {
    return this.s.feed.stream.pipe(
      filter((u): u is FleetUpdate => u !== undefined),
      map((u) => ({ type: 'fleet', data: this.overviewOf(u) })),
    );
  }

  @Get('api/connectors/:name')
  async connector(@Param('name') name: string) {
    const update = this.s.feed.latest() ?? (await this.s.feed.refresh());
    const app = update.reading.apps.find((a) => a.connectors.some((c) => c.name === name));
    const connector = app?.connectors.find((c) => c.name === name);
    if (!app || !connector)
      throw new NotFoundException(`no app of this console has a connector named ${name}`);
    const node = update.map.nodes.find((n) => n.kind === 'connector' && n.name === name);
    const service = this.s.serviceOf(app.url);
    const source = connector.type === 'source' ? nonCdcSource(app.status) : undefined;
    return {
      app: app.url,
      connector,
      node,
      appStatus: app.status ? maskSecrets(app.status) : undefined,
      figures: app.figures,
      links: this.s.links.connector({
        name,
        type: connector.type,
        groups: app.figures.groups,
        ...(service !== undefined ? { service } : {}),
        ...(source !== undefined ? { source } : {}),
      }),
    };
  }

  @Post('api/connectors/:name/:action')
  @HttpCode(200)
  async act(@Param('name') name: string, @Param('action') action: string) {
    if (!ACTIONS.includes(action as ManagementAction))
      throw new NotFoundException(`unknown action ${action}: expected ${ACTIONS.join(', ')}`);
    return answering(async () => {
      const status = await this.s.fleet.act(name, action as ManagementAction);
      await this.s.feed.refresh().catch(() => undefined);
      return status;
    });
  }

  @Post('api/connectors/:name/snapshots')
  @HttpCode(202)
  async snapshot(@Param('name') name: string, @Body() body: unknown) {
    const b = parseInput(snapshotBodySchema, body, 'body');
    return answering(() => this.s.fleet.requestSnapshot(name, b.tables));
  }

  @Get('api/dead-letters')
  async deadLetterGroups() {
    return answering(async () => ({ groups: await this.s.deadLetters.groups() }));
  }

  @Get('api/dead-letters/:group')
  async deadLetters(@Param('group') group: string, @Query() query: unknown) {
    const q = parseInput(deadLettersQuerySchema, query, 'query parameter');
    return answering(() => this.s.deadLetters.view(group, q));
  }

  @Post('api/dead-letters/:group/redrive')
  @HttpCode(200)
  async redrive(@Param('group') group: string, @Body() body: unknown) {
    const b = parseInput(redriveBodySchema, body, 'body');
    return answering(() =>
      this.s.deadLetters.redrive(group, {
        dryRun: b.dryRun,
        actor: b.actor ?? 'console',
        ...(b.ids ? { ids: b.ids } : {}),
      }),
    );
  }

  @Post('api/dead-letters/:group/purge')
  @HttpCode(200)
  async purge(@Param('group') group: string, @Body() body: unknown) {
    const b = parseInput(purgeBodySchema, body, 'body');
    return answering(() =>
      this.s.deadLetters.purge(group, {
        dryRun: b.dryRun,
        force: b.force,
        actor: b.actor ?? 'console',
        ...(b.before !== undefined ? { before: b.before } : {}),
      }),
    );
  }

  @Get('api/topics')
  async topics(@Query() query: unknown) {
    const q = parseInput(listQuerySchema, query, 'query parameter');
    return answering(() => this.s.topics.list(q.filter, q.limit));
  }

  @Get('api/topics/:topic')
  async topic(@Param('topic') topic: string) {
    const described = await answering(() => this.s.topics.describe(topic));
    if (!described) throw new NotFoundException(`topic ${topic} does not exist`);
    return described;
  }

  @Get('api/topics/:topic/records')
  async records(@Param('topic') topic: string, @Query() query: unknown) {
    const q = parseInput(browseQuerySchema, query, 'query parameter');
    return answering(() =>
      this.s.topics.browse({
        topic,
        partition: q.partition,
        start: browseStart(q),
        limit: q.limit,
        ...(q.key !== undefined ? { key: q.key } : {}),
      }),
    );
  }

  @Get('api/schemas')
  async subjects(@Query() query: unknown) {
    const q = parseInput(listQuerySchema, query, 'query parameter');
    return answering(async () => ({ subjects: (await this.s.schemas.subjects(q.filter)).slice(0, q.limit) }));
  }

  @Get('api/schemas/:subject')
  async subject(@Param('subject') subject: string) {
    return answering(() => this.s.schemas.subject(subject));
  }

  @Get('api/schemas/:subject/diff')
  async diff(@Param('subject') subject: string, @Query() query: unknown) {
    const q = parseInput(diffQuerySchema, query, 'query parameter');
    return answering(() => this.s.schemas.diff(subject, q.left, q.right));
  }

  @Post('api/schemas/:subject/check')
  @HttpCode(200)
  async check(@Param('subject') subject: string, @Body() body: unknown) {
    const b = parseInput(checkBodySchema, body, 'body');
    return answering(() => this.s.schemas.check(subject, b.schema));
  }

  @Post('api/replay/plan')
  @HttpCode(200)
  async replayPlan(@Body() body: unknown) {
    const b = parseInput(replayBodySchema, body, 'body');
    return answering(() =>
      this.s.replay.plan({
        topic: b.topic,
        range: replayRange(b),
        ...(b.group !== undefined ? { group: b.group } : { toTopic: b.toTopic! }),
      }),
    );
  }

  @Post('api/replay/reset')
  @HttpCode(200)
  async replayReset(@Body() body: unknown) {
    const b = parseInput(replayResetBodySchema, body, 'body');
    return answering(() =>
      this.s.replay.resetGroup({ topic: b.topic, range: replayRange(b), group: b.group! }),
    );
  }

  /** Runs a re-publish (after its dry run) in the background; its progress at /api/replay/runs/<id>. */
  @Post('api/replay/republish')
  @HttpCode(202)
  async republish(@Body() body: unknown) {
    const b = parseInput(republishBodySchema, body, 'body');
    return answering(() =>
      this.s.replays.start({
        topic: b.topic,
        range: replayRange(b),
        toTopic: b.toTopic,
        actor: b.actor ?? 'console',
        ...(b.reencodeLatest !== undefined ? { reencodeLatest: b.reencodeLatest } : {}),
        ...(b.rate !== undefined ? { ratePerSecond: b.rate } : {}),
      }),
    );
  }

  @Get('api/replay/runs')
  replayRuns() {
    return { runs: this.s.replays.list() };
  }

  @Get('api/replay/runs/:id')
  async replayRun(@Param('id') id: string) {
    return answering(() => this.s.replays.view(id));
  }

  @Post('api/replay/runs/:id/stop')
  @HttpCode(200)
  async stopReplay(@Param('id') id: string) {
    return answering(async () => this.s.replays.stop(id));
  }

  private overviewOf(update: FleetUpdate) {
    return { at: update.reading.at, map: update.map, links: this.s.links.global() };
  }

  private asset(file: string): string {
    try {
      return readFileSync(join(this.s.publicDir, file), 'utf8');
    } catch {
      throw new NotFoundException(
        `${file} is not built in ${this.s.publicDir}: run \`npm run build\` (it bundles the console's front end)`,
      );
    }
  }
}
