import { SluiceError } from '@sluice/errors';
import { type ConnectorState } from './connector';

export type ConnectorAction = 'pause' | 'resume' | 'restart';

/** The states each action applies in; pause and resume are idempotent (Kafka Connect's too). */
const APPLIES_IN: Record<ConnectorAction, readonly ConnectorState[]> = {
  pause: ['STARTING', 'RUNNING', 'PAUSED'],
  resume: ['STARTING', 'RUNNING', 'PAUSED'],
  // A FAILED connector is what a restart is for; a STARTING one is already (re)starting.
  restart: ['RUNNING', 'PAUSED', 'FAILED'],
};

/** An operator asked for an action that does not apply in the connector's current state. */
export class ConnectorStateConflictError extends SluiceError {
  readonly code = 'CONNECTOR_STATE_CONFLICT';
  readonly retriable = false;
  constructor(
    readonly connector: string,
    readonly action: ConnectorAction,
    readonly state: ConnectorState,
  ) {
    super(
      `Connector ${connector} is ${state}: ${action} applies only when it is ${APPLIES_IN[action].join(', ')}`,
    );
  }
}

/** Throws ConnectorStateConflictError when `action` does not apply in `state`. */
export function checkAction(connector: string, action: ConnectorAction, state: ConnectorState): void {
  if (!APPLIES_IN[action].includes(state)) throw new ConnectorStateConflictError(connector, action, state);
}
