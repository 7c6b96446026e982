export { Heartbeat, HEARTBEAT_PREFIX, type HeartbeatOptions, isHeartbeat } from './heartbeat';
