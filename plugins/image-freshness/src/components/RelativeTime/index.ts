export { RelativeTime, absoluteTime } from './RelativeTime';
