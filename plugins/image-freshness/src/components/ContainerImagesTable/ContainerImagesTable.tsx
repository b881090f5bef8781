import { Table, TableColumn } from '@backstage/core-components';
import { pagedTableOptions } from '../../lib/table';
import Typography from '@material-ui/core/Typography';
import { makeStyles, Theme } from '@material-ui/core/styles';
import type {
  ContainerReport,
  FreshnessVerdict,
} from 'backstage-plugin-image-freshness-common';
import { DateTime } from 'luxon';
import { useMemo } from 'react';
import {
  driftOf,
  Drift,
  formatBytes,
  formatPlatform,
  shortDigest,
  workloadPlace,
} from '../../lib/format';
import { severity } from '../../lib/summary';
import { VulnerabilityCounts } from '../VulnerabilityCounts';
import { DigestText } from '../DigestText';
import { ImageErrorNotice } from '../ImageErrorNotice';
import { ImageName } from '../ImageName';
import { RelativeTime } from '../RelativeTime';
import { VerdictChip } from '../VerdictChip';
import { ImageDetails } from './ImageDetails';

/** A container flattened for sorting and searching. */
export interface ContainerRow {
  report: ContainerReport;
  container: string;
  workload: string;
  image: string;
  digest: string;
  created?: number;
  verdict: FreshnessVerdict;
  size?: number;
  platform: string;
  drift: Drift;
  /** Total vulnerabilities, for sorting; -1 when not scanned. */
  vulnerabilities: number;
  /** Everything else a search should find: labels, annotations, errors. */
  search: string;
}

export function toRow(report: ContainerReport): ContainerRow {
  const { workload, metadata } = report;
  const created = metadata?.created
    ? DateTime.fromISO(metadata.created).toMillis()
    : undefined;
  return {
    report,
    container: report.container,
    workload: [workload.kind, workload.name, workloadPlace(workload)]
      .filter(Boolean)
      .join(' '),
    image: report.image,
    digest: metadata?.digest ?? '',
    created: Number.isFinite(created) ? created : undefined,
    verdict: report.freshness.verdict,
    size: metadata?.size,
    platform: formatPlatform(metadata?.platform),
    drift: driftOf(report.runningDigest, metadata),
    vulnerabilities: report.vulnerabilities?.total ?? -1,
    search: [
      report.freshness.reason,
      formatPlatform(metadata?.platform),
      workload.jsonpath,
      report.runningDigest,
      report.error?.class,
      report.error?.message,
      ...Object.entries(metadata?.labels ?? {}).flat(),
      ...Object.entries(metadata?.annotations ?? {}).flat(),
    ]
      .filter(Boolean)
      .join(' '),
  };
}

const useStyles = makeStyles((theme: Theme) => ({
  primary: { fontWeight: theme.typography.fontWeightMedium as number },
  secondary: {
    display: 'block',
    color: theme.palette.text.secondary,
    fontSize: '0.75rem',
  },
  mono: {
    fontFamily: 'monospace',
    fontSize: '0.75rem',
    color: theme.palette.text.secondary,
    display: 'block',
  },
  table: {
    '& th, & td': {
      paddingLeft: theme.spacing(1),
      paddingRight: theme.spacing(1),
    },
  },
  workload: { overflowWrap: 'anywhere', minWidth: 140, maxWidth: 220 },
  image: { overflowWrap: 'anywhere', minWidth: 150, maxWidth: 260 },
  verdict: { minWidth: 200, maxWidth: 240 },
  nowrap: { whiteSpace: 'nowrap' },
  drift: {
    whiteSpace: 'nowrap',
    color: theme.palette.status.warning,
    fontWeight: theme.typography.fontWeightMedium as number,
  },
  driftMark: { color: theme.palette.status.warning },
  inSync: { whiteSpace: 'nowrap', color: theme.palette.text.secondary },
}));

/** `init container` or `ephemeral container`, from the seed's jsonpath. */
function containerRole(jsonpath?: string): string | undefined {
  if (jsonpath?.includes('.initContainers[')) return 'init container';
  if (jsonpath?.includes('.ephemeralContainers[')) return 'ephemeral container';
  return undefined;
}

function DriftCell(props: { row: ContainerRow }) {
  const classes = useStyles();
  const { drift, report } = props.row;
  if (drift === 'drift') {
    return (
      <span
        className={classes.drift}
        title={`Runs ${report.runningDigest}; the tag now points at ${report.metadata?.digest}`}
      >
        <span className={classes.driftMark} aria-hidden>
          ⚠{' '}
        </span>
        Drift
        <span className={classes.mono}>
          runs {shortDigest(report.runningDigest)}
        </span>
      </span>
    );
  }
  if (drift === 'in-sync') {
    return (
      <span
        className={classes.inSync}
        title={`Runs ${report.runningDigest}, the tag's current digest`}
      >
        In sync
      </span>
    );
  }
  if (drift === 'unknown') {
    return (
      <span
        className={classes.inSync}
        title={`Runs ${report.runningDigest}; the tag's current digest is not known`}
      >
        unknown
      </span>
    );
  }
  return (
    <span
      className={classes.inSync}
      title="Only pods report the digest they run"
      aria-label="not reported"
    >
      –
    </span>
  );
}

function useColumns(
  vulnerabilitiesUnavailable?: string,
): TableColumn<ContainerRow>[] {
  const classes = useStyles();
  return useMemo(
    () => [
      {
        title: 'Container',
        field: 'container',
        render: row => {
          const role = containerRole(row.report.workload.jsonpath);
          return (
            <span title={row.report.workload.jsonpath}>
              <span className={classes.primary}>{row.container}</span>
              {role ? <span className={classes.secondary}>{role}</span> : null}
            </span>
          );
        },
      },
      {
        title: 'Workload',
        field: 'workload',
        render: row => (
          <div className={classes.workload}>
            <span>{row.report.workload.name}</span>
            <span className={classes.secondary}>
              {[row.report.workload.kind, workloadPlace(row.report.workload)]
                .filter(Boolean)
                .join(' · ')}
            </span>
          </div>
        ),
      },
      {
        title: 'Image',
        field: 'image',
        render: row => (
          <div className={classes.image}>
            <ImageName image={row.image} />
            {row.report.error ? (
              <ImageErrorNotice error={row.report.error} compact />
            ) : null}
          </div>
        ),
      },
      {
        title: 'Digest',
        field: 'digest',
        customFilterAndSearch: (term: string, row) =>
          row.digest.includes(term.toLowerCase()),
        render: row => <DigestText digest={row.digest || undefined} />,
      },
      {
        title: 'Built',
        field: 'created',
        customSort: (a, b) =>
          (a.created ?? Number.MAX_SAFE_INTEGER) -
          (b.created ?? Number.MAX_SAFE_INTEGER),
        render: row => (
          <span className={classes.nowrap}>
            <RelativeTime
              time={row.report.metadata?.created}
              fallback={
                row.report.metadata ? 'build time unknown' : 'not resolved'
              }
            />
          </span>
        ),
      },
      {
        title: 'Verdict',
        field: 'verdict',
        defaultSort: 'desc',
        customSort: (a, b) =>
          severity(a.verdict) - severity(b.verdict) ||
          (b.created ?? 0) - (a.created ?? 0),
        render: row => (
          <div className={classes.verdict}>
            <VerdictChip
              verdict={row.verdict}
              reason={row.report.freshness.reason}
              showReason
            />
          </div>
        ),
      },
      {
        title: 'Size',
        field: 'size',
        customSort: (a, b) => (a.size ?? -1) - (b.size ?? -1),
        render: row => (
          <>
            <span
              className={classes.nowrap}
              title={row.size === undefined ? undefined : `${row.size} bytes`}
            >
              {formatBytes(row.size)}
            </span>
            <span className={`${classes.secondary} ${classes.nowrap}`}>
              {row.platform}
            </span>
          </>
        ),
      },
      {
        title: 'Drift',
        field: 'drift',
        render: row => <DriftCell row={row} />,
      },
      {
        title: 'Vulnerabilities',
        field: 'vulnerabilities',
        render: row => (
          <VulnerabilityCounts
            counts={row.report.vulnerabilities}
            unavailable={vulnerabilitiesUnavailable}
          />
        ),
      },
      { title: 'More', field: 'search', hidden: true, searchable: true },
    ],
    [classes, vulnerabilitiesUnavailable],
  );
}

/**
 * Every container with its image, digest, build time, verdict, size,
 * platform and drift; searchable (labels and annotations too), sortable,
 * paged, with labels and annotations in an expandable panel.
 */
export function ContainerImagesTable(props: {
  containers: ContainerReport[];
  title?: string;
  subtitle?: string;
  /** Why the backend has no vulnerability summaries, when it has none. */
  vulnerabilitiesUnavailable?: string;
}) {
  const { containers, title = 'Containers', subtitle } = props;
  const columns = useColumns(props.vulnerabilitiesUnavailable);
  const classes = useStyles();
  // material-table keeps its own state on the row objects: give it fresh ones
  // only when the containers change.
  const data = useMemo(() => containers.map(toRow), [containers]);
  return (
    <div className={classes.table}>
      <Table<ContainerRow>
        title={title}
        subtitle={subtitle}
        columns={columns}
        data={data}
        options={{
          ...pagedTableOptions<ContainerRow>(data.length),
          detailPanelColumnAlignment: 'left',
        }}
        detailPanel={[
          {
            tooltip: 'Labels and annotations',
            render: ({ rowData }) => <ImageDetails row={rowData} />,
          },
        ]}
        emptyContent={
          <Typography variant="body2" style={{ padding: 16 }}>
            No container matches.
          </Typography>
        }
      />
    </div>
  );
}
