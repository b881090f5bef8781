import {
  Alert,
  Card,
  CardBody,
  CardHeader,
  Flex,
  Skeleton,
  Text,
} from '@backstage/ui';
import type { ImageFreshnessCheckResult } from '../../api';
import { useImageFreshnessChecks } from '../../hooks/useImageFreshnessChecks';

type CheckStatus = 'passed' | 'failed' | 'unknown';

const STATUS: Record<
  CheckStatus,
  { mark: string; label: string; color: 'success' | 'danger' | 'secondary' }
> = {
  passed: { mark: '✓', label: 'Passed', color: 'success' },
  failed: { mark: '✗', label: 'Failed', color: 'danger' },
  unknown: { mark: '–', label: 'No facts yet', color: 'secondary' },
};

function statusOf(result: boolean | undefined): CheckStatus {
  if (result === undefined) return 'unknown';
  return result ? 'passed' : 'failed';
}

function CheckRow({ check }: { check: ImageFreshnessCheckResult }) {
  const status = statusOf(check.result);
  const { mark, label, color } = STATUS[status];
  return (
    <Flex
      direction="column"
      gap="0"
      data-testid={`check-${check.id}`}
      data-status={status}
    >
      <Flex align="center" gap="2">
        <Text variant="body-medium" weight="bold" color={color} aria-hidden>
          {mark}
        </Text>
        <Text variant="body-medium">{check.name}</Text>
        <Text variant="body-small" color="secondary">
          {label}
        </Text>
      </Flex>
      {status === 'failed' && (
        <Text variant="body-small" color="secondary">
          {check.description}
        </Text>
      )}
    </Flex>
  );
}

function Body() {
  const { value, loading, error } = useImageFreshnessChecks();
  if (loading) {
    return <Skeleton width="100%" height={80} />;
  }
  if (error || !value) {
    return (
      <Alert
        status="danger"
        title="Could not run the image-freshness checks"
        description={
          error
            ? [error.message, (error as { cause?: Error }).cause?.message]
                .filter(Boolean)
                .join(': ')
            : undefined
        }
      />
    );
  }
  if (!value.installed) {
    return (
      <Text variant="body-small" color="secondary">
        Tech Insights is not installed on this backend: add
        @backstage-community/plugin-tech-insights-backend and the
        image-freshness fact retriever module.
      </Text>
    );
  }
  if (value.checks.length === 0) {
    return (
      <Text variant="body-small" color="secondary">
        No Tech Insights check uses the image-freshness facts; see the example
        checks in the module's README.
      </Text>
    );
  }
  const passed = value.checks.filter(c => c.result === true).length;
  const known = value.checks.filter(c => c.result !== undefined).length;
  return (
    <Flex direction="column" gap="3">
      <Text variant="body-small" color="secondary" data-testid="checks-summary">
        {known === 0
          ? 'No facts yet: the image-freshness fact retriever has not run for this entity.'
          : `${passed} of ${value.checks.length} checks passed`}
      </Text>
      {value.checks.map(check => (
        <CheckRow key={check.id} check={check} />
      ))}
    </Flex>
  );
}

/**
 * The entity's scorecard of Tech Insights checks on image-freshness facts
 * (no stale images, no rebuild due, ...), as the Tech Insights backend
 * evaluates them.
 *
 * @public
 */
export function ImageFreshnessChecksCard() {
  return (
    <Card>
      <CardHeader>
        <Text as="h3" variant="title-x-small">
          Image freshness checks
        </Text>
      </CardHeader>
      <CardBody>
        <Body />
      </CardBody>
    </Card>
  );
}
