export { RebuildStatus, latestAttempt } from './RebuildStatus';
