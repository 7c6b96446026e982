export {
  type ExecuteSnapshotSignal,
  InvalidSignalError,
  isExecuteSnapshot,
  type OtherSignal,
  type Signal,
  SignalTable,
} from './signal-table';
export { SnapshotProgress, type SnapshotProgressView, type TableProgress } from './snapshot-progress';
export {
  type SnapshotChunk,
  type SnapshotReadOptions,
  SnapshotReader,
  type SnapshotRow,
} from './snapshot-reader';
export { readWatermark, type Watermark, SnapshotWindow } from './snapshot-window';
export { describeTable, type SnapshotTable } from './table-description';
export { WATERMARK_PREFIX, type WatermarkedChunk, WatermarkedChunkReader } from './watermarked-chunk-reader';
