import { EmptyState, InfoCard, Progress } from '@backstage/core-components';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import {
  type BaseImageReport,
  BaseVerdict,
  type EntityRebuilds,
  imageFreshnessRebuildTriggerPermission,
  isImageFreshnessAvailable,
} from 'backstage-plugin-image-freshness-common';
import { useMemo, useState } from 'react';
import { useEntityImageReport } from '../../hooks/useEntityImageReport';
import { summarizeBases } from '../../lib/summary';
import { BaseImagesTable } from '../BaseImagesTable';
import { useRebuilds } from '../../hooks/useRebuilds';
import { usePermission } from '@backstage/plugin-permission-react';
import { IMAGE_FRESHNESS_ANNOTATIONS } from '../../lib/annotations';
import { RefreshControl } from '../RefreshButton';
import { useRefreshEntity } from '../../hooks/useRefreshEntity';
import { LastRefreshed } from '../RelativeTime';
import { ReloadFailed, ReportLoadError, SourceErrors } from '../ReportProblems';
import { SummaryTile, SummaryTiles } from '../SummaryTiles';

type BaseFilter = 'all' | BaseVerdict | 'errors';

const FILTER_LABELS: Record<Exclude<BaseFilter, 'all'>, string> = {
  current: 'on a current base',
  updated: 'whose base moved recently',
  'rebuild-due': 'due for a rebuild',
  unknown: 'with an unknown base',
  errors: 'with errors',
};

type TableProps = { bases: BaseImageReport[]; subtitle?: string };

/** The table with the rebuild column, asking whether the user may trigger. */
function TableWithRebuilds(
  props: TableProps & {
    rebuilds: EntityRebuilds;
    trigger(image: string): Promise<void>;
  },
) {
  const { allowed } = usePermission({
    permission: imageFreshnessRebuildTriggerPermission,
  });
  const { rebuilds, trigger, ...table } = props;
  const column = useMemo(
    () => ({ attempts: rebuilds.attempts, allowed, trigger }),
    [rebuilds, allowed, trigger],
  );
  return <BaseImagesTable {...table} rebuilds={column} />;
}

/** The table; with the rebuild module's routes, its Rebuild column too (nothing without them). */
function BaseImagesWithRebuilds(props: TableProps) {
  const { rebuilds, trigger } = useRebuilds();
  if (!rebuilds) return <BaseImagesTable {...props} />;
  return <TableWithRebuilds {...props} rebuilds={rebuilds} trigger={trigger} />;
}

function BaseImagesReport() {
  const { value, loading, error, retry, entityRef } = useEntityImageReport();
  const [filter, setFilter] = useState<BaseFilter>('all');
  const refresher = useRefreshEntity({
    entityRef,
    refreshedAt: value?.refreshedAt,
    reload: retry,
  });
  const bases = useMemo(() => value?.baseImages ?? [], [value]);
  const counts = useMemo(() => summarizeBases(bases), [bases]);
  const filtered = useMemo(() => {
    if (filter === 'all') return bases;
    if (filter === 'errors') return bases.filter(b => b.error);
    return bases.filter(b => b.verdict.verdict === filter);
  }, [bases, filter]);

  if (loading) {
    return <Progress />;
  }
  if (!value) {
    return <ReportLoadError error={error} retry={retry} />;
  }
  const refresh = <RefreshControl {...refresher} />;
  const problems =
    error || value.errors.length ? (
      <Grid item xs={12}>
        <ReloadFailed error={error} />
        <SourceErrors errors={value.errors} />
      </Grid>
    ) : null;

  if (bases.length === 0) {
    const images = new Set(value.containers.map(c => c.image)).size;
    return (
      <Grid container spacing={3}>
        {problems}
        <Grid item xs={12}>
          <EmptyState
            missing="info"
            title="No base images known yet"
            description={
              <>
                {images
                  ? `None of this entity's ${images} image${
                      images === 1 ? '' : 's'
                    } names its base yet. `
                  : 'This entity has no images yet. '}
                A base is read from the image's
                org.opencontainers.image.base.name annotation, BuildKit's
                provenance attestation, the same label, or from the final FROM
                line of the Dockerfile that the image-freshness/dockerfile
                annotation points to. Set one, and the base image it was built
                on, its current digest and when a rebuild is due appear here
                after the next refresh.
              </>
            }
            action={refresh}
          />
        </Grid>
      </Grid>
    );
  }

  const tiles: SummaryTile<BaseFilter>[] = [
    { key: 'all', label: 'Images', count: bases.length },
    {
      key: 'current',
      label: 'Current',
      count: counts.current,
      verdict: 'current',
    },
    {
      key: 'updated',
      label: 'Base updated',
      count: counts.updated,
      verdict: 'updated',
    },
    {
      key: 'rebuild-due',
      label: 'Rebuild due',
      count: counts['rebuild-due'],
      verdict: 'rebuild-due',
    },
    {
      key: 'unknown',
      label: 'Unknown',
      count: counts.unknown,
      verdict: 'unknown',
    },
    {
      key: 'errors',
      label: 'Errors',
      count: bases.filter(b => b.error).length,
      error: true,
    },
  ];

  return (
    <Grid container spacing={3}>
      {problems}
      <Grid item xs={12}>
        <InfoCard
          title="Rebuilds"
          subheader={<LastRefreshed time={value.refreshedAt} />}
          action={refresh}
        >
          <SummaryTiles
            label="Images by base verdict"
            tiles={tiles}
            selected={filter}
            allKey="all"
            onSelect={setFilter}
          />
          <Typography
            variant="body2"
            color="textSecondary"
            style={{ marginTop: 16 }}
          >
            For every image, the base image it was built on and whether that
            base moved since. An image is due for a rebuild once its base tag
            has pointed at a newer digest for longer than the rebuild delay.
          </Typography>
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <BaseImagesWithRebuilds
          bases={filtered}
          subtitle={
            filter === 'all'
              ? `${bases.length} images`
              : `Showing the ${filtered.length} of ${bases.length} images ${FILTER_LABELS[filter]}`
          }
        />
      </Grid>
    </Grid>
  );
}

/**
 * The "Base images" entity tab: for every image, the base it was built on,
 * whether that base moved, and when a rebuild is (or was) due.
 *
 * @public
 */
export function BaseImagesContent() {
  const { entity } = useEntity();
  if (!isImageFreshnessAvailable(entity)) {
    return (
      <MissingAnnotationEmptyState annotation={IMAGE_FRESHNESS_ANNOTATIONS} />
    );
  }
  return <BaseImagesReport />;
}
