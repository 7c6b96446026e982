import { type ConsoleApp } from '../config/console-config';
import { AppClient, type ManagementAction, type ConnectorStatusAnswer } from './app-client';
import { type AppReading, type ConnectorReading, figuresOf } from './app-reading';

/** Every app's reading at one moment. */
export interface FleetReading {
  readonly at: string;
  readonly apps: readonly AppReading[];
}

/** No app of the console has a connector of that name. */
export class UnknownConnectorError extends Error {}

/**
 * Reads every configured app (connectors with status and offsets, /status, /metrics) at once and
 * keeps the last reading; rates come from the totals of consecutive reads. An app that does not
 * answer is shown as not answering, with why, never dropped.
 */
export class FleetReader {
  private readonly clients: readonly AppClient[];
  private readonly previous = new Map<string, { total: number; at: number }>();
  private last: FleetReading | undefined;

  constructor(apps: readonly ConsoleApp[], clients?: readonly AppClient[]) {
    this.clients = clients ?? apps.map((app) => new AppClient(app));
  }

  lastReading(): FleetReading | undefined {
    return this.last;
  }

  async read(now = Date.now()): Promise<FleetReading> {
    const apps = await Promise.all(this.clients.map((client) => this.readApp(client, now)));
    this.last = { at: new Date(now).toISOString(), apps };
    return this.last;
  }

  /** Pause, resume or restart a connector on the app that has it; the status after, from the app. */
  async act(connector: string, action: ManagementAction): Promise<ConnectorStatusAnswer> {
    const reading = this.last ?? (await this.read());
    const index = reading.apps.findIndex((a) => a.connectors.some((c) => c.name === connector));
    if (index < 0)
      throw new UnknownConnectorError(
        `no app of this console has a connector named ${connector} (apps: ${this.clients.map((c) => c.url).join(', ') || 'none'})`,
      );
    return this.clients[index]!.act(connector, action);
  }

  /** An incremental snapshot of `tables` on the source app that has `connector`. */
  async requestSnapshot(connector: string, tables: readonly string[]) {
    const reading = this.last ?? (await this.read());
    const index = reading.apps.findIndex((a) =>
      a.connectors.some((c) => c.name === connector && c.type === 'source'),
    );
    if (index < 0)
      throw new UnknownConnectorError(`no app of this console has a source connector named ${connector}`);
    return this.clients[index]!.requestSnapshot(tables);
  }

  private async readApp(client: AppClient, now: number): Promise<AppReading> {
    const errors: string[] = [];
    const note = (error: unknown) => {
      errors.push((error as Error).message);
      return undefined;
    };
    const [summaries, status, metrics] = await Promise.all([
      client.connectors().catch(note),
      client.status().catch(note),
      client.metrics().catch(note),
    ]);
    const connectors: ConnectorReading[] = await Promise.all(
      (summaries ?? []).map(async (summary) => {
        const [connectorStatus, offsets] = await Promise.all([
          client.connectorStatus(summary.name).catch(note),
          client.connectorOffsets(summary.name).catch(note),
        ]);
        return {
          ...summary,
          ...(connectorStatus ? { status: connectorStatus, state: connectorStatus.state } : {}),
          ...(offsets ? { offsets } : {}),
        };
      }),
    );
    const previous = this.previous.get(client.url);
    const figures = figuresOf(metrics, status, previous, now);
    if (metrics !== undefined) this.previous.set(client.url, { total: figures.total, at: now });
    return {
      url: client.url,
      answering: summaries !== undefined || status !== undefined,
      ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
      connectors,
      ...(status ? { status } : {}),
      figures,
    };
  }
}
