import { type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type Environment } from '@sluice/config';
import { type Connector } from '@sluice/management';
import { type HealthProbe, type HealthProbes, type Logger, type SecretSource } from '@sluice/observability';
import { type SchemaRegistryClient } from '@sluice/schema';
import { type TopicPlan } from '../topics/topic-plan';
import { type ConnectorConfigTail, connectorConfigTail } from './connector-config';

/** Where a connector stands in the data path. */
export type ConnectorKind = 'source' | 'transform' | 'sink';

/** What the host hands a connector it creates. */
export interface ConnectorContext {
  readonly logger: Logger;
  readonly registry: SchemaRegistryClient;
  /** Where relative paths of the configuration are resolved: its file's folder. */
  readonly baseDir: string;
  /** Sluice's version (package.json). */
  readonly version: string;
  /** Probes of what every connector depends on: Kafka and the schema registry. */
  readonly dependencies: { readonly kafka: HealthProbe; readonly registry: HealthProbe };
}

/** What a connector's `secrets` is told: where the configuration's relative paths resolve. */
export interface ConnectorSecretsContext {
  /** The configuration file's folder. */
  readonly baseDir: string;
}

/** A connector at work in an app: what the host serves, starts and stops. */
export interface RunningConnector {
  /** Starts the work; returns once it is underway (a connector may wait for its dependencies in the background). */
  start(): Promise<void> | void;
  /** Drains, commits and releases within the connector's shutdown budget. */
  stop(): Promise<void>;
  /**
   * Settles when the work ended; rejects when it failed for good (the process then exits to be
   * restarted). Absent for a connector that stays up in a failed phase, answering /status.
   */
  readonly done?: Promise<void>;
  /** GET /status. */
  status(): object;
  /** Its entries in the management API (GET /connectors, pause, resume, restart, offsets). */
  readonly management: readonly Connector[];
  /** /health/live and /health/ready. */
  readonly probes: HealthProbes;
  /** The connector's own HTTP endpoints beyond /status, with what they inject. */
  readonly http?: {
    readonly controllers?: readonly Type[];
    readonly providers?: readonly Provider[];
    /** Routes straight on Fastify, beside Nest's (an inbound webhook reads raw bodies). */
    readonly routes?: (fastify: FastifyInstance) => Promise<void> | void;
    /** Time a client gets to send a whole request. Default none. */
    readonly requestTimeoutMs?: number;
  };
  readonly imports?: readonly DynamicModule[];
  /** Released after the work stopped (metric watchers). */
  readonly release?: ReadonlyArray<() => Promise<void> | void>;
}

/** What a configuration file tells a topic plan, with what the planner knows beyond it. */
export interface TopicPlanContext {
  /** The configuration file, named in notes and origins. */
  readonly file: string;
  readonly env: Environment;
  /** schema.table names that resolve table patterns (`sluice topics render --table`). */
  readonly knownTables?: readonly string[];
}

type Shape = z.core.$ZodLooseShape;
/** A connector's full configuration: its own settings, then the shared tail. */
export type ConnectorConfig<S extends Shape> = z.output<z.ZodObject<S>> & ConnectorConfigTail;

/**
 * A connector as Sluice knows it by name: its settings (the zod schema that validates the YAML and
 * generates the docs table), the topics a configuration of it reads and writes, and how it runs.
 * Registered in `@sluice/connectors`; `sluice run`, `sluice topics render`, the docs and the Helm
 * chart read the registry.
 */
export interface ConnectorDefinition<S extends Shape = Shape, T extends Shape = Shape> {
  /** The app's name: `sluice run <name>`, SLUICE_APP, logger, metrics and `sluice-<name>` client ids. */
  readonly name: string;
  readonly kind: ConnectorKind;
  /** One line for `--help` and the docs. */
  readonly summary: string;
  /** The HTTP port in the local stack. */
  readonly port: number;
  /** The user doc whose generated configuration table this schema fills. */
  readonly doc: string;
  /** The whole configuration: the connector's settings and the shared tail. */
  readonly configSchema: z.ZodObject<S & ReturnType<typeof connectorConfigTail>, z.core.$strict>;
  /** The part of the settings that decides topics: planners read only this (no secrets needed). */
  readonly topicSettings: z.ZodObject<T>;
  /** Declares the topics a configuration reads and writes, DLQs included. */
  declareTopics(plan: TopicPlan, settings: z.output<z.ZodObject<T>>, context: TopicPlanContext): void;
  /**
   * Secrets the configuration holds outside itself, for the logger the host makes before `create`
   * (and for a start-up error): other configurations searched as the app's is (passwords, tokens,
   * URL passwords, auth values, mask keys), or secret strings. The transformer's pipeline file, say.
   * Absent when the configuration holds them all; should not throw (an unreadable file is
   * `create`'s error to report).
   */
  secrets?(config: ConnectorConfig<S>, context: ConnectorSecretsContext): readonly SecretSource[];
  /** Builds the connector from a valid configuration; connects to nothing until `start`. */
  create(config: ConnectorConfig<S>, context: ConnectorContext): Promise<RunningConnector> | RunningConnector;
}

/** A definition as written: its settings shape, without the shared tail. */
export interface ConnectorSpec<S extends Shape, T extends Shape> extends Omit<
  ConnectorDefinition<S, T>,
  'configSchema' | 'topicSettings'
> {
  readonly settings: S;
  /** The keys of `settings` that decide topics. */
  readonly topicKeys: ReadonlyArray<keyof S & keyof T>;
  readonly topicSettings?: z.ZodObject<T>;
}

/**
 * Declares a connector: its settings get the shared tail (kafka, registry, http, logging,
 * tracing), strict as every Sluice configuration is (an unknown key is an error naming it).
 */
export function defineConnector<S extends Shape, T extends Shape = S>(
  spec: ConnectorSpec<S, T>,
): ConnectorDefinition<S, T> {
  const { settings, topicKeys, ...rest } = spec;
  const configSchema = z.strictObject({ ...settings, ...connectorConfigTail(spec.name, spec.port) });
  const topicSettings =
    spec.topicSettings ??
    (z.object(Object.fromEntries(topicKeys.map((k) => [k, settings[k]]))) as unknown as z.ZodObject<T>);
  return { ...rest, configSchema, topicSettings } as ConnectorDefinition<S, T>;
}
