import { type DeadLetterService } from '../dead-letters/dead-letter-service';
import { type FleetFeed } from '../fleet/fleet-feed';
import { type FleetReader } from '../fleet/fleet-reader';
import { type ReplayPlanner } from '../replay/replay-planner';
import { type SchemaBrowser } from '../schemas/schema-browser';
import { type TopicBrowser } from '../topics/topic-browser';

export const CONSOLE_SERVICES = Symbol('sluice.console-services');

/** Links out of the console: Jaeger and Prometheus when configured. */
export interface ConsoleLinks {
  readonly jaeger?: string;
  readonly prometheus?: string;
}

/** The parts the console's controller delegates to (each built once by createConsoleApp). */
export interface ConsoleServices {
  readonly fleet: FleetReader;
  readonly feed: FleetFeed;
  readonly deadLetters: DeadLetterService;
  readonly topics: TopicBrowser;
  readonly schemas: SchemaBrowser;
  readonly replay: ReplayPlanner;
  /** Where the built front end is (index.html, app.js, app.css). */
  readonly publicDir: string;
  globalLinks(): ConsoleLinks;
  /** A connector's Jaeger search and Prometheus graph. */
  links(connector: string, app: string): { readonly traces?: string; readonly metrics?: string };
}
