import Typography from '@material-ui/core/Typography';
import { EmptyState, InfoCard, Progress } from '@backstage/core-components';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import {
  ContainerReport,
  isImageFreshnessAvailable,
} from 'backstage-plugin-image-freshness-common';
import { useMemo, useState } from 'react';
import { useEntityImageReport } from '../../hooks/useEntityImageReport';
import { driftOf } from '../../lib/format';
import { distinctImages, summarizeContainers } from '../../lib/summary';
import { freshnessThreshold } from '../../lib/threshold';
import { GroupedImagesTable } from '../GroupedImagesTable';
import { ContainerFilter, FreshnessSummary } from '../FreshnessSummary';
import { ImageAgeChart } from '../ImageAgeChart';
import { RefreshControl } from '../RefreshButton';
import { useRefreshEntity } from '../../hooks/useRefreshEntity';
import { LastRefreshed, RelativeTime } from '../RelativeTime';
import { ReloadFailed, ReportLoadError, SourceErrors } from '../ReportProblems';
import { IMAGE_FRESHNESS_ANNOTATIONS } from '../../lib/annotations';

const FILTER_LABELS: Record<Exclude<ContainerFilter, 'all'>, string> = {
  fresh: 'fresh',
  aging: 'aging',
  stale: 'stale',
  unknown: 'with an unknown verdict',
  errors: 'with errors',
  drift: 'running another digest than their tag',
};

function applyFilter(
  containers: ContainerReport[],
  filter: ContainerFilter,
): ContainerReport[] {
  switch (filter) {
    case 'all':
      return containers;
    case 'errors':
      return containers.filter(c => c.error);
    case 'drift':
      return containers.filter(
        c => driftOf(c.runningDigest, c.metadata) === 'drift',
      );
    default:
      return containers.filter(c => c.freshness.verdict === filter);
  }
}

function ImageFreshnessReport() {
  const report = useEntityImageReport();
  const { value, loading, error, retry, entity, entityRef } = report;
  const [filter, setFilter] = useState<ContainerFilter>('all');
  const refresher = useRefreshEntity({
    entityRef,
    refreshedAt: value?.refreshedAt,
    reload: retry,
  });
  const containers = useMemo(() => value?.containers ?? [], [value]);
  const summary = useMemo(() => summarizeContainers(containers), [containers]);
  const images = useMemo(() => distinctImages(containers), [containers]);
  const filtered = useMemo(
    () => applyFilter(containers, filter),
    [containers, filter],
  );
  const threshold = useMemo(
    () => freshnessThreshold(entity, value),
    [entity, value],
  );

  if (loading) {
    return <Progress />;
  }
  if (!value) {
    return <ReportLoadError error={error} retry={retry} />;
  }
  const refresh = <RefreshControl {...refresher} />;
  const problems = (
    <>
      <ReloadFailed error={error} />
      <SourceErrors errors={value.errors} />
    </>
  );

  if (containers.length === 0) {
    return (
      <Grid container spacing={3} direction="column">
        <Grid item>{problems}</Grid>
        <Grid item>
          {value.refreshedAt ? (
            <EmptyState
              missing="data"
              title="No containers found"
              description={
                <>
                  The last refresh (<RelativeTime time={value.refreshedAt} />)
                  found no containers for this entity: no workload in any
                  cluster carries its backstage.io/kubernetes-id label or
                  matches its label selector, and image-freshness/images
                  declares no image. Check the annotations, or deploy the
                  workloads.
                </>
              }
              action={refresh}
            />
          ) : (
            <EmptyState
              missing="data"
              title="Not checked yet"
              description="This entity's images are read on the next scheduled refresh. Refresh now to read them at once."
              action={refresh}
            />
          )}
        </Grid>
      </Grid>
    );
  }

  const filterText =
    filter === 'all'
      ? `${containers.length} containers, ${images.length} distinct images`
      : `Showing the ${filtered.length} of ${containers.length} containers ${FILTER_LABELS[filter]}`;

  return (
    <Grid container spacing={3}>
      {error || value.errors.length ? (
        <Grid item xs={12}>
          {problems}
        </Grid>
      ) : null}
      <Grid item xs={12} lg={5}>
        <InfoCard
          title="Summary"
          subheader={<LastRefreshed time={value.refreshedAt} />}
          action={refresh}
          variant="gridItem"
        >
          <FreshnessSummary
            summary={summary}
            filter={filter}
            onFilter={setFilter}
          />
          {value.vulnerabilities && !value.vulnerabilities.available ? (
            <Typography variant="caption" color="textSecondary" component="p">
              Vulnerability summaries are unavailable on this backend:{' '}
              {value.vulnerabilities.reason ?? 'no scanner'}.
            </Typography>
          ) : null}
        </InfoCard>
      </Grid>
      <Grid item xs={12} lg={7}>
        <InfoCard title="Image age" variant="gridItem">
          <ImageAgeChart images={images} threshold={threshold} />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <GroupedImagesTable
          containers={containers}
          matching={filter === 'all' ? undefined : filtered}
          subtitle={filterText}
          vulnerabilitiesUnavailable={
            value.vulnerabilities && !value.vulnerabilities.available
              ? `Vulnerability summaries are unavailable on this backend: ${
                  value.vulnerabilities.reason ?? 'no scanner'
                }`
              : undefined
          }
        />
      </Grid>
    </Grid>
  );
}

/**
 * The "Image freshness" entity tab: a summary with counts that filter, a
 * chart of image ages against the limit, and the table of containers.
 *
 * @public
 */
export function ImageFreshnessContent() {
  const { entity } = useEntity();
  if (!isImageFreshnessAvailable(entity)) {
    return (
      <MissingAnnotationEmptyState annotation={IMAGE_FRESHNESS_ANNOTATIONS} />
    );
  }
  return <ImageFreshnessReport />;
}
