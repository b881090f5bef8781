import { DateTime } from 'luxon';

/** `November 12, 2026 at 9:15 AM UTC`, in the viewer's zone and locale. */
export function absoluteTime(iso: string): string {
  return DateTime.fromISO(iso).toLocaleString(DateTime.DATETIME_FULL);
}

/**
 * A time relative to now (`19 days ago`, `in 3 days`), the absolute time on
 * hover. Without a time (or an unreadable one) it shows `fallback`.
 */
export function RelativeTime(props: { time?: string; fallback?: string }) {
  const { time, fallback = '' } = props;
  const parsed = time ? DateTime.fromISO(time) : undefined;
  if (!time || !parsed?.isValid) {
    return <>{fallback}</>;
  }
  // within a few seconds either way (clocks differ a little): "just now"
  const close = Math.abs(parsed.diffNow().as('seconds')) < 10;
  return (
    <time dateTime={time} title={absoluteTime(time)}>
      {close ? 'just now' : parsed.toRelative()}
    </time>
  );
}

/** `Last refreshed 5 minutes ago` (or `never`), as the tabs and the card say it. */
export function LastRefreshed(props: { time?: string; className?: string }) {
  return (
    <span className={props.className}>
      Last refreshed <RelativeTime time={props.time} fallback="never" />
    </span>
  );
}
