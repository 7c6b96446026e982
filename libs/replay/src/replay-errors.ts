import { SluiceError } from '@sluice/errors';

/**
 * A replay asked for with settings that differ from the stored checkpoint of the same replay id
 * (another source, target, range or re-encoding): resuming would publish a different replay under
 * the same id. `differences` names each one.
 */
export class ReplayMismatchError extends SluiceError {
  readonly code = 'REPLAY_MISMATCH';
  readonly retriable = false;
  constructor(
    readonly replayId: string,
    readonly differences: readonly string[],
  ) {
    super(`replay ${replayId} was started with other settings: ${differences.join('; ')}`);
  }
}

/** `--resume <id>` of a replay id that has no checkpoint. */
export class UnknownReplayError extends SluiceError {
  readonly code = 'REPLAY_UNKNOWN';
  readonly retriable = false;
  constructor(readonly replayId: string) {
    super(`no replay ${replayId} is recorded (nothing to resume)`);
  }
}

/** A consumer group that cannot be reset now: it has active members. */
export class GroupActiveError extends SluiceError {
  readonly code = 'GROUP_ACTIVE';
  readonly retriable = true;
  constructor(
    readonly group: string,
    readonly state: string,
    readonly members: number,
  ) {
    super(
      `consumer group ${group} has ${members} active member(s) (state ${state}): stop them before resetting its offsets`,
    );
  }
}

/** The target topic of a re-publish does not exist. */
export class MissingTopicError extends SluiceError {
  readonly code = 'TOPIC_MISSING';
  readonly retriable = false;
  constructor(readonly topic: string) {
    super(`topic ${topic} does not exist (create it first, e.g. with the source's partition count)`);
  }
}
