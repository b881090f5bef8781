export * from './ImageFreshnessApi';
export * from './ImageFreshnessClient';
