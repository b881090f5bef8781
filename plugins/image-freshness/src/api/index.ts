export * from './ImageFreshnessApi';
export * from './ImageFreshnessClient';
export { retryAfterSeconds } from './retryAfter';
export * from './ImageFreshnessChecksClient';
