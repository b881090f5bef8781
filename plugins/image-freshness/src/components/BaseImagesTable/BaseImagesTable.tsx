import { Link, Table, TableColumn } from '@backstage/core-components';
import { pagedTableOptions } from '../../lib/table';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { makeStyles, Theme } from '@material-ui/core/styles';
import type {
  BaseImageReport,
  BaseSource,
  BaseVerdict,
  RebuildAttempt,
} from 'backstage-plugin-image-freshness-common';
import { DateTime } from 'luxon';
import { useMemo } from 'react';
import { severity } from '../../lib/summary';
import { DigestText } from '../DigestText';
import { ImageErrorNotice } from '../ImageErrorNotice';
import { ImageName } from '../ImageName';
import { RelativeTime } from '../RelativeTime';
import { VerdictChip } from '../VerdictChip';
import { latestAttempt, RebuildStatus } from '../RebuildStatus';
import { nowMillis } from '../../lib/clock';

interface BaseRow {
  report: BaseImageReport;
  image: string;
  base: string;
  builtOn: string;
  current: string;
  newestTag: string;
  movedAt?: number;
  rebuildDueAt?: number;
  verdict: BaseVerdict;
  source: string;
  search: string;
}

function millis(iso?: string): number | undefined {
  if (!iso) return undefined;
  const value = DateTime.fromISO(iso).toMillis();
  return Number.isFinite(value) ? value : undefined;
}

function toRow(report: BaseImageReport): BaseRow {
  const base = report.base;
  const dockerfile = base?.source.dockerfile;
  return {
    report,
    image: report.image,
    base: base?.name ?? '',
    builtOn: base?.builtOnDigest ?? '',
    current: base?.currentDigest ?? '',
    newestTag: base?.newestTag ?? '',
    movedAt: millis(base?.movedAt),
    rebuildDueAt: millis(base?.rebuildDueAt),
    verdict: report.verdict.verdict,
    source: base
      ? `${base.source.kind}${dockerfile ? ` ${dockerfile.path}` : ''}`
      : '',
    search: [
      report.verdict.reason,
      report.imageDigest,
      base?.strategy,
      dockerfile?.text,
      base?.source.provenance?.uri,
      base?.builtOnInferred ? 'inferred' : undefined,
      report.error?.class,
      report.error?.message,
      report.managed ? 'managed' : 'external',
    ]
      .filter(Boolean)
      .join(' '),
  };
}

const SOURCE_TITLES: Record<BaseSource, string> = {
  annotation:
    'From the manifest annotation org.opencontainers.image.base.name (and .base.digest)',
  provenance:
    "From BuildKit's SLSA provenance attestation attached to the image's index",
  label:
    'From the image config label org.opencontainers.image.base.name (and .base.digest)',
  dockerfile: "From the Dockerfile's final FROM line",
};

/** How an inferred built-on digest is shown: never as a recorded fact. */
const INFERRED = {
  'build-time': {
    label: 'inferred from build time',
    title:
      "No record of the digest the image was built on: this is the digest the base tag pointed at when the image was built, as the base's history saw it",
  },
  'first-seen': {
    label: 'assumed: first digest seen',
    title:
      'No record of the digest the image was built on, and the image was built before the base was first seen: this is the first digest seen for the base tag',
  },
};

const PROVENANCE_HOW = {
  'build-steps': "final stage's base, from the build steps",
  'only-image': 'the only image the build used',
};

function slsaVersion(predicateType: string): string {
  const version = /\/provenance\/(v[\d.]+)$/.exec(predicateType)?.[1];
  return version ? `SLSA ${version}` : predicateType;
}

const useStyles = makeStyles((theme: Theme) => ({
  table: {
    '& th, & td': {
      paddingLeft: theme.spacing(1),
      paddingRight: theme.spacing(1),
    },
  },
  cell: { overflowWrap: 'anywhere', minWidth: 140, maxWidth: 240 },
  mono: { fontFamily: 'monospace', overflowWrap: 'anywhere' },
  secondary: {
    display: 'block',
    color: theme.palette.text.secondary,
    fontSize: '0.75rem',
  },
  code: {
    display: 'block',
    fontFamily: 'monospace',
    fontSize: '0.75rem',
    whiteSpace: 'pre-wrap',
    overflowWrap: 'anywhere',
    marginTop: theme.spacing(0.5),
    padding: theme.spacing(0.25, 0.75),
    borderRadius: theme.shape.borderRadius,
    backgroundColor: theme.palette.action.hover,
  },
  digests: {
    margin: 0,
    display: 'grid',
    gridTemplateColumns: 'max-content auto',
    columnGap: theme.spacing(1),
    alignItems: 'baseline',
    '& dt': { color: theme.palette.text.secondary, fontSize: '0.75rem' },
    '& dd': { margin: 0 },
  },
  inferred: {
    display: 'block',
    color: theme.palette.text.secondary,
    fontSize: '0.75rem',
    fontStyle: 'italic',
  },
  moved: {
    display: 'block',
    color: theme.palette.status.warning,
    fontSize: '0.75rem',
    fontWeight: theme.typography.fontWeightMedium as number,
  },
  overdue: {
    color: theme.palette.status.error,
    fontWeight: theme.typography.fontWeightMedium as number,
  },
  nowrap: { whiteSpace: 'nowrap' },
  chips: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    marginTop: theme.spacing(0.5),
  },
  none: { color: theme.palette.text.secondary },
  verdict: { minWidth: 180, maxWidth: 220 },
}));

function SourceCell(props: { report: BaseImageReport }) {
  const classes = useStyles();
  const base = props.report.base;
  if (!base) {
    return <span className={classes.none}>–</span>;
  }
  const { kind, dockerfile, platform } = base.source;
  if (kind === 'dockerfile' && dockerfile) {
    const where = `${dockerfile.path}:${dockerfile.line}`;
    return (
      <div title={SOURCE_TITLES.dockerfile} className={classes.cell}>
        {dockerfile.url ? (
          <Link to={dockerfile.url} className={classes.mono}>
            {where}
          </Link>
        ) : (
          <span className={classes.mono}>{where}</span>
        )}
        <code className={classes.code}>{dockerfile.text}</code>
        {platform ? (
          <span className={classes.secondary}>platform {platform}</span>
        ) : null}
      </div>
    );
  }
  const provenance = base.source.provenance;
  if (kind === 'provenance' && provenance) {
    return (
      <div title={SOURCE_TITLES.provenance} className={classes.cell}>
        <Chip size="small" label="Provenance" />
        <span className={classes.secondary}>
          {slsaVersion(provenance.predicateType)},{' '}
          {PROVENANCE_HOW[provenance.determinedBy] ?? provenance.determinedBy}
        </span>
        {provenance.dockerfile ? (
          <>
            <span className={classes.mono}>
              {provenance.dockerfile.path}:{provenance.dockerfile.line}
            </span>
            <code className={classes.code}>{provenance.dockerfile.text}</code>
          </>
        ) : (
          <code className={classes.code}>{provenance.uri}</code>
        )}
        <DigestText
          digest={provenance.attestation}
          label="attestation digest"
        />
      </div>
    );
  }
  return (
    <Chip
      size="small"
      label={kind === 'annotation' ? 'Annotation' : 'Label'}
      title={SOURCE_TITLES[kind]}
    />
  );
}

/** The rebuild module's part of the table: each image's attempts, and the trigger when allowed. */
export interface BaseImageRebuilds {
  attempts: RebuildAttempt[];
  /** Whether the user may trigger rebuilds (`image-freshness.rebuild.trigger`). */
  allowed: boolean;
  trigger(image: string): Promise<void>;
}

/** Whether the Trigger rebuild button shows: managed, due, allowed, and no try standing for this base move. */
function triggerable(
  report: BaseImageReport,
  attempt: RebuildAttempt | undefined,
  allowed: boolean,
): boolean {
  if (!allowed || !report.managed) return false;
  if (report.verdict.verdict !== 'rebuild-due') return false;
  const standing =
    attempt?.baseDigest === report.base?.currentDigest &&
    (attempt?.outcome === 'triggered' || attempt?.outcome === 'pending');
  return !standing;
}

function rebuildColumn(rebuilds: BaseImageRebuilds): TableColumn<BaseRow> {
  return {
    title: 'Rebuild',
    field: 'rebuild',
    sorting: false,
    render: row => {
      const attempt = latestAttempt(row.report, rebuilds.attempts);
      return (
        <RebuildStatus
          attempt={attempt}
          canTrigger={triggerable(row.report, attempt, rebuilds.allowed)}
          onTrigger={() => rebuilds.trigger(row.image)}
        />
      );
    },
  };
}

function useColumns(rebuilds?: BaseImageRebuilds): TableColumn<BaseRow>[] {
  const classes = useStyles();
  return useMemo(
    () => [
      {
        title: 'Image',
        field: 'image',
        render: row => (
          <div className={classes.cell}>
            <ImageName image={row.image} />
            <div className={classes.chips}>
              <DigestText
                digest={row.report.imageDigest}
                label="image digest"
              />
              <Chip
                size="small"
                variant="outlined"
                label={row.report.managed ? 'managed' : 'external'}
                title={
                  row.report.managed
                    ? "Built by this entity's CI from its Dockerfile"
                    : 'Built elsewhere; its base is monitored by tag'
                }
              />
            </div>
            {row.report.error ? (
              <ImageErrorNotice error={row.report.error} compact />
            ) : null}
          </div>
        ),
      },
      {
        title: 'Base',
        field: 'base',
        render: row =>
          row.report.base ? (
            <div className={classes.cell}>
              <ImageName image={row.report.base.name} />
              <span className={classes.secondary}>
                tracked by {row.report.base.strategy}
              </span>
            </div>
          ) : (
            <span className={classes.none}>not known</span>
          ),
      },
      {
        title: 'Base digest',
        field: 'builtOn',
        render: row => {
          const base = row.report.base;
          if (!base || (!row.builtOn && !row.current)) {
            return <span className={classes.none}>unknown</span>;
          }
          const moved =
            row.builtOn && row.current && row.current !== row.builtOn;
          return (
            <dl className={classes.digests}>
              <dt>built on</dt>
              <dd>
                {row.builtOn ? (
                  <DigestText digest={row.builtOn} label="built-on digest" />
                ) : (
                  <span className={classes.none}>unknown</span>
                )}
                {base.builtOnInferred ? (
                  <span
                    className={classes.inferred}
                    title={INFERRED[base.builtOnInferred]?.title}
                  >
                    {INFERRED[base.builtOnInferred]?.label ?? 'inferred'}
                  </span>
                ) : null}
              </dd>
              <dt>now</dt>
              <dd>
                {row.current ? (
                  <DigestText
                    digest={row.current}
                    label="current base digest"
                  />
                ) : (
                  <span className={classes.none}>unknown</span>
                )}
                {moved ? (
                  <span className={classes.moved}>
                    {base.builtOnInferred
                      ? 'moved since the build (by the inferred digest)'
                      : 'moved since the build'}
                  </span>
                ) : null}
              </dd>
            </dl>
          );
        },
      },
      {
        title: 'Newest allowed tag',
        field: 'newestTag',
        render: row => {
          const base = row.report.base;
          if (row.newestTag) {
            const more = (base?.newerTags?.length ?? 1) - 1;
            return (
              <span className={classes.mono}>
                {row.newestTag}
                {more > 0 ? (
                  <span
                    className={classes.secondary}
                    title={base?.newerTags?.join(', ')}
                  >
                    and {more} more newer
                  </span>
                ) : null}
              </span>
            );
          }
          if (!base) {
            return <span className={classes.none}>–</span>;
          }
          return base.strategy === 'Digest' ? (
            <span
              className={classes.none}
              title="Tracked by digest: only the tag in use is watched"
            >
              tag in use
            </span>
          ) : (
            <span
              className={classes.none}
              title="No tag the tracking policy allows is newer than the one in use"
            >
              in use is newest
            </span>
          );
        },
      },
      {
        title: 'Base moved',
        field: 'movedAt',
        customSort: (a, b) =>
          (a.movedAt ?? Number.MAX_SAFE_INTEGER) -
          (b.movedAt ?? Number.MAX_SAFE_INTEGER),
        render: row => (
          <span className={classes.nowrap}>
            <RelativeTime time={row.report.base?.movedAt} fallback="–" />
          </span>
        ),
      },
      {
        title: 'Rebuild due',
        field: 'rebuildDueAt',
        customSort: (a, b) =>
          (a.rebuildDueAt ?? Number.MAX_SAFE_INTEGER) -
          (b.rebuildDueAt ?? Number.MAX_SAFE_INTEGER),
        render: row => {
          const due = row.report.base?.rebuildDueAt;
          if (!due) {
            return <span className={classes.none}>–</span>;
          }
          const overdue =
            row.rebuildDueAt !== undefined && row.rebuildDueAt <= nowMillis();
          return (
            <span className={overdue ? classes.overdue : undefined}>
              {overdue ? 'was due ' : 'due '}
              <span className={classes.nowrap}>
                <RelativeTime time={due} />
              </span>
            </span>
          );
        },
      },
      {
        title: 'Verdict',
        field: 'verdict',
        defaultSort: 'desc',
        customSort: (a, b) => severity(a.verdict) - severity(b.verdict),
        render: row => (
          <div className={classes.verdict}>
            <VerdictChip
              verdict={row.verdict}
              reason={row.report.verdict.reason}
              showReason
              maxReasonLines={3}
            />
          </div>
        ),
      },
      ...(rebuilds ? [rebuildColumn(rebuilds)] : []),
      {
        title: 'Source',
        field: 'source',
        render: row => <SourceCell report={row.report} />,
      },
      { title: 'More', field: 'search', hidden: true, searchable: true },
    ],
    [classes, rebuilds],
  );
}

/**
 * Per image: its base, the digest it was built on and the base's digest now,
 * the newest allowed tag, when the base moved and the rebuild is due, the
 * verdict and where the base was found (linked to the Dockerfile line);
 * with the rebuild module, each image's rebuild attempt and the Trigger
 * rebuild button.
 */
export function BaseImagesTable(props: {
  bases: BaseImageReport[];
  subtitle?: string;
  rebuilds?: BaseImageRebuilds;
}) {
  const columns = useColumns(props.rebuilds);
  const classes = useStyles();
  const data = useMemo(() => props.bases.map(toRow), [props.bases]);
  return (
    <div className={classes.table}>
      <Table<BaseRow>
        title="Base images"
        subtitle={props.subtitle}
        columns={columns}
        data={data}
        options={pagedTableOptions<BaseRow>(data.length)}
        emptyContent={
          <Typography variant="body2" style={{ padding: 16 }}>
            No image matches.
          </Typography>
        }
      />
    </div>
  );
}
