export { LastRefreshed, RelativeTime, absoluteTime } from './RelativeTime';
