import { Button, Flex, Link, Text } from '@backstage/ui';
import type {
  BaseImageReport,
  RebuildAttempt,
} from 'backstage-plugin-image-freshness-common';
import { useState } from 'react';
import { RelativeTime } from '../RelativeTime';

/** The attempt that speaks for an image: the one for its current base digest, else its newest. */
export function latestAttempt(
  report: BaseImageReport,
  attempts: RebuildAttempt[],
): RebuildAttempt | undefined {
  const mine = attempts.filter(a => a.image === report.image);
  return mine.find(a => a.baseDigest === report.base?.currentDigest) ?? mine[0];
}

/** A long API message shows four lines; all of it on hover. */
const CLAMPED = {
  display: '-webkit-box',
  WebkitLineClamp: 4,
  WebkitBoxOrient: 'vertical' as const,
  overflow: 'hidden',
};

function errorMessage(error: unknown): string {
  const body = (error as { body?: { error?: { message?: string } } })?.body;
  return body?.error?.message ?? (error as Error)?.message ?? String(error);
}

function RunLink(props: { attempt: RebuildAttempt }) {
  const { run } = props.attempt;
  if (!run?.number && !run?.url) return null;
  const label = run.number ? `run #${run.number}` : 'the run';
  return (
    <>
      ,{' '}
      {run.url ? (
        <Link href={run.url} target="_blank" rel="noopener noreferrer">
          {label}
        </Link>
      ) : (
        label
      )}
    </>
  );
}

function AttemptText(props: { attempt: RebuildAttempt }) {
  const { attempt } = props;
  const by =
    attempt.trigger === 'manual' && attempt.triggeredBy
      ? ` by ${attempt.triggeredBy.replace(/^user:(default\/)?/, '')}`
      : '';
  const tries = attempt.attempts > 1 ? ` (try ${attempt.attempts})` : '';
  switch (attempt.outcome) {
    case 'triggered':
      return (
        <Text as="span" variant="body-small">
          rebuild triggered <RelativeTime time={attempt.attemptedAt} />
          {by}
          <RunLink attempt={attempt} />
          {tries}
        </Text>
      );
    case 'pending':
      return (
        <Text as="span" variant="body-small">
          rebuild being triggered since{' '}
          <RelativeTime time={attempt.attemptedAt} />
        </Text>
      );
    default:
      return (
        <>
          <Text
            as="span"
            variant="body-small"
            color="danger"
            title={attempt.error?.message}
            style={CLAMPED}
          >
            {attempt.outcome === 'failed'
              ? 'trigger failed'
              : 'trigger outcome unknown'}
            {attempt.error ? ` (${attempt.error.class})` : ''}:{' '}
            {attempt.error?.message ?? 'no answer recorded'}
          </Text>
          {attempt.nextRetryAt ? (
            <Text as="span" variant="body-small">
              retried <RelativeTime time={attempt.nextRetryAt} />
              {tries}
            </Text>
          ) : null}
        </>
      );
  }
}

/**
 * An image's rebuild: the latest attempt ("rebuild triggered 2 hours ago,
 * run #123" / "trigger failed: …, retried in 5 minutes") and, when allowed,
 * the Trigger rebuild button.
 */
export function RebuildStatus(props: {
  attempt?: RebuildAttempt;
  /** Managed, rebuild due, the user allowed, and no try standing for this base move. */
  canTrigger: boolean;
  onTrigger(): Promise<void>;
}) {
  const { attempt, canTrigger, onTrigger } = props;
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();
  if (!attempt && !canTrigger) {
    return (
      <Text as="span" variant="body-small" color="secondary">
        –
      </Text>
    );
  }
  const trigger = async () => {
    setBusy(true);
    setFailure(undefined);
    try {
      await onTrigger();
    } catch (error) {
      setFailure(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Flex
      direction="column"
      gap="1"
      align="start"
      style={{ minWidth: 200, maxWidth: 280 }}
    >
      {attempt ? <AttemptText attempt={attempt} /> : null}
      {canTrigger ? (
        <Button
          size="small"
          variant="secondary"
          isPending={busy}
          onPress={trigger}
          style={{ whiteSpace: 'nowrap' }}
        >
          Trigger rebuild
        </Button>
      ) : null}
      {failure ? (
        <Text as="span" variant="body-small" color="danger" role="alert">
          {failure}
        </Text>
      ) : null}
    </Flex>
  );
}
