export { readMetricsConfig } from './config';
export type { MetricsConfig } from './config';
export { MetricsCollector } from './MetricsCollector';
export type {
  RegistryRequestObservation,
  SnapshotSummary,
} from './MetricsCollector';
export { MetricsSnapshot } from './MetricsSnapshot';
export { createMetricsRouter } from './router';
export { DEFAULT_SNAPSHOT_SERIES } from './series';
export type { SnapshotSeries, SeriesGuards, Sample } from './series';
