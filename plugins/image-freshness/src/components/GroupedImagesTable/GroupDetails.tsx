import { Flex, Text } from '@backstage/ui';
import type { ContainerReport } from 'backstage-plugin-image-freshness-common';
import {
  driftOf,
  formatBytes,
  formatPlatform,
  platformDigest,
  shortDigest,
  tagDigest,
  workloadPlace,
} from '../../lib/format';
import {
  type ContainerGroup,
  containerRole,
  declaredIn,
} from '../../lib/grouping';
import { KeyValues } from './KeyValues';
import { ImageErrorNotice } from '../ImageErrorNotice';
import { RelativeTime } from '../RelativeTime';
import { VulnerabilityCounts } from '../VulnerabilityCounts';

const grid = {
  display: 'grid',
  gridTemplateColumns: 'repeat(auto-fit, minmax(320px, 1fr))',
  gap: 'var(--bui-space-4, 16px)',
  padding: 'var(--bui-space-3, 12px) var(--bui-space-4, 16px)',
  overflowWrap: 'anywhere' as const,
  whiteSpace: 'normal' as const,
};

function driftText(c: ContainerReport): string {
  switch (driftOf(c.runningDigest, c.metadata)) {
    case 'drift':
      return `⚠ drift: runs ${shortDigest(c.runningDigest)}`;
    case 'in-sync':
      return `runs ${shortDigest(c.runningDigest)}, in sync`;
    case 'unknown':
      return `runs ${shortDigest(c.runningDigest)}`;
    default:
      return '';
  }
}

/** The containers of a group, each with its place and, for pods, the digest it runs. */
function Members(props: { group: ContainerGroup }) {
  const { group } = props;
  return (
    <section aria-label="Containers in this row">
      <Text as="h3" variant="body-medium" weight="bold">
        {group.grouping === 'image' ? 'Where it runs' : 'Folded under this row'}{' '}
        ({group.members.length})
      </Text>
      <ul style={{ margin: 0, paddingLeft: 18 }}>
        {group.members.map((m, i) => (
          <li key={`${m.workload.kind}/${m.workload.name}/${m.container}/${i}`}>
            <Text variant="body-small">
              {m.workload.kind} <strong>{m.workload.name}</strong>
              {workloadPlace(m.workload)
                ? ` · ${workloadPlace(m.workload)}`
                : ''}
              {m.workload.kind === 'Annotation'
                ? ''
                : ` · ${containerRole(m.workload.jsonpath) ?? 'container'} ${
                    m.container
                  }`}
              {m.image !== group.lead.image ? ` · ${m.image}` : ''}
            </Text>{' '}
            <Text
              variant="body-x-small"
              color={
                driftOf(m.runningDigest, m.metadata) === 'drift'
                  ? 'warning'
                  : 'secondary'
              }
              title={m.runningDigest}
            >
              {driftText(m)}
            </Text>
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * The expanded part of a grouped row: the error with what to do, the
 * containers folded under it, the image's digests (the tag's first, the
 * chosen platform's manifest labelled with its platform), size, platform,
 * vulnerabilities, labels and annotations.
 */
export function GroupDetails(props: {
  group: ContainerGroup;
  vulnerabilitiesUnavailable?: string;
}) {
  const { group, vulnerabilitiesUnavailable } = props;
  const { lead } = group;
  const metadata = lead.metadata;
  const platform = formatPlatform(metadata?.platform);
  const facts: Record<string, string> = {};
  const digest = tagDigest(lead);
  if (digest) facts['tag digest'] = digest;
  const child = platformDigest(lead);
  if (child) facts[`${platform || 'platform'} manifest`] = child;
  if (metadata)
    facts.size = `${formatBytes(metadata.size)} (${metadata.size} bytes)`;
  if (platform) facts.platform = platform;
  if (metadata?.mediaType) facts['media type'] = metadata.mediaType;
  const running = group.runningDigests;
  running.forEach((d, i) => {
    facts[running.length > 1 ? `running digest ${i + 1}` : 'running digest'] =
      d;
  });
  if (lead.workload.jsonpath) facts.jsonpath = lead.workload.jsonpath;
  const errored = group.errors[0];
  return (
    <div style={grid} data-testid="group-details">
      {errored?.error ? (
        <section aria-label="Error" style={{ gridColumn: '1 / -1' }}>
          <Text as="h3" variant="body-medium" weight="bold">
            Last error
          </Text>
          <ImageErrorNotice error={errored.error} where={declaredIn(errored)} />
          <Text variant="body-x-small" color="secondary">
            Seen <RelativeTime time={errored.error.at} />
            {errored.resolvedAt
              ? '; the data shown is from the last successful read.'
              : '; this image was never read successfully.'}
          </Text>
        </section>
      ) : null}
      <Members group={group} />
      <section aria-label="Image facts">
        <KeyValues title="Image" values={facts} empty={lead.freshness.reason} />
        <Flex gap="2" align="center" mt="2">
          <Text variant="body-small" color="secondary">
            Vulnerabilities:
          </Text>
          <VulnerabilityCounts
            counts={lead.vulnerabilities}
            unavailable={vulnerabilitiesUnavailable}
          />
        </Flex>
        {lead.resolvedAt ? (
          <Text as="p" variant="body-x-small" color="secondary">
            Last resolved <RelativeTime time={lead.resolvedAt} />
          </Text>
        ) : null}
      </section>
      <KeyValues
        title="Labels"
        values={metadata?.labels ?? {}}
        empty={
          metadata ? 'The image config has no labels.' : lead.freshness.reason
        }
      />
      <KeyValues
        title="Annotations"
        values={metadata?.annotations ?? {}}
        empty={
          metadata ? 'The manifest has no annotations.' : lead.freshness.reason
        }
      />
    </div>
  );
}
