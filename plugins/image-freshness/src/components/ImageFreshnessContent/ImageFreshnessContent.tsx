import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { MissingAnnotationEmptyState } from '@backstage/plugin-catalog-react';
import {
  ANNOTATION_IMAGES,
  ContainerReport,
  isImageFreshnessAvailable,
} from 'backstage-plugin-image-freshness-common';
import { DateTime } from 'luxon';
import { useEntityImageReport } from '../../hooks/useEntityImageReport';

function shortDigest(digest?: string): string {
  return digest ? digest.replace(/^sha256:/, '').slice(0, 12) : '';
}

function Built({ created }: { created?: string }) {
  if (!created) {
    return <>build time unknown</>;
  }
  const time = DateTime.fromISO(created);
  return (
    <time
      dateTime={created}
      title={time.toLocaleString(DateTime.DATETIME_FULL)}
    >
      {time.toRelative()}
    </time>
  );
}

const columns: TableColumn<ContainerReport>[] = [
  { title: 'Container', field: 'container' },
  {
    title: 'Workload',
    render: row =>
      [
        row.workload.cluster,
        row.workload.namespace,
        row.workload.kind,
        row.workload.name,
      ]
        .filter(Boolean)
        .join(' / '),
  },
  { title: 'Image', field: 'image' },
  {
    title: 'Digest',
    render: row => (
      <code title={row.metadata?.digest}>
        {shortDigest(row.metadata?.digest)}
      </code>
    ),
  },
  { title: 'Built', render: row => <Built created={row.metadata?.created} /> },
  {
    title: 'Freshness',
    render: row => (
      <span title={row.freshness.reason}>{row.freshness.verdict}</span>
    ),
  },
  {
    title: 'Error',
    render: row =>
      row.error ? (
        <span title={row.error.advice}>
          {row.error.class}: {row.error.message}
        </span>
      ) : null,
  },
];

/** The "Image freshness" entity tab. @public */
export function ImageFreshnessContent() {
  const { value, loading, error, entity } = useEntityImageReport();
  if (!isImageFreshnessAvailable(entity)) {
    return <MissingAnnotationEmptyState annotation={ANNOTATION_IMAGES} />;
  }
  if (loading) {
    return <Progress />;
  }
  if (error) {
    return <ResponseErrorPanel error={error} />;
  }
  if (!value || value.containers.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No images yet"
        description={
          value?.refreshedAt
            ? 'The last refresh found no containers for this entity.'
            : 'The images of this entity have not been resolved yet; they appear after the next refresh.'
        }
      />
    );
  }
  return (
    <Table
      title="Container images"
      options={{ paging: false, search: true, padding: 'dense' }}
      columns={columns}
      data={value.containers}
    />
  );
}
