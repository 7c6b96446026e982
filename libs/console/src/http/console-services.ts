import { type DeadLetterService } from '../dead-letters/dead-letter-service';
import { type FleetFeed } from '../fleet/fleet-feed';
import { type FleetReader } from '../fleet/fleet-reader';
import { type ConsoleLinkBuilder } from '../links/console-links';
import { type ReplayPlanner } from '../replay/replay-planner';
import { type ReplayRunner } from '../replay/replay-runner';
import { type SchemaBrowser } from '../schemas/schema-browser';
import { type TopicBrowser } from '../topics/topic-browser';

export const CONSOLE_SERVICES = Symbol('sluice.console-services');

/** The parts the console's controller delegates to (each built once by createConsoleApp). */
export interface ConsoleServices {
  readonly fleet: FleetReader;
  readonly feed: FleetFeed;
  readonly deadLetters: DeadLetterService;
  readonly topics: TopicBrowser;
  readonly schemas: SchemaBrowser;
  readonly replay: ReplayPlanner;
  /** Re-publishes started from the console, with their progress. */
  readonly replays: ReplayRunner;
  /** Where the built front end is (index.html, app.js, app.css). */
  readonly publicDir: string;
  /** Links into Jaeger and Prometheus (none without `links`). */
  readonly links: ConsoleLinkBuilder;
  /** The Jaeger service name of the app at this URL, when its configuration gives one. */
  serviceOf(appUrl: string): string | undefined;
}
