import Typography from '@material-ui/core/Typography';
import { makeStyles, Theme } from '@material-ui/core/styles';
import type { FreshnessVerdict } from 'backstage-plugin-image-freshness-common';
import { describeDuration } from 'backstage-plugin-image-freshness-common';
import { ageOf } from '../../lib/clock';
import type { ContainerSummary } from '../../lib/summary';
import { absoluteTime } from '../RelativeTime';
import { SummaryTile, SummaryTiles } from '../SummaryTiles';
import { VerdictChip } from '../VerdictChip';

/** What the container table can be narrowed to. */
export type ContainerFilter = 'all' | FreshnessVerdict | 'errors' | 'drift';

const useStyles = makeStyles((theme: Theme) => ({
  oldest: {
    marginTop: theme.spacing(2),
  },
  oldestLabel: {
    color: theme.palette.text.secondary,
    textTransform: 'uppercase',
    letterSpacing: '0.04em',
    fontSize: '0.7rem',
    fontWeight: theme.typography.fontWeightMedium as number,
  },
  image: {
    fontFamily: 'monospace',
    wordBreak: 'break-all',
    display: 'block',
  },
  built: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginTop: theme.spacing(0.5),
  },
}));

/**
 * The counts of an entity's containers (all, fresh, aging, stale, unknown,
 * with errors, drifting) as filter toggles, and its oldest image.
 */
export function FreshnessSummary(props: {
  summary: ContainerSummary;
  filter: ContainerFilter;
  onFilter: (filter: ContainerFilter) => void;
}) {
  const { summary, filter, onFilter } = props;
  const classes = useStyles();
  const tiles: SummaryTile<ContainerFilter>[] = [
    { key: 'all', label: 'Containers', count: summary.containers },
    {
      key: 'fresh',
      label: 'Fresh',
      count: summary.counts.fresh,
      verdict: 'fresh',
    },
    {
      key: 'aging',
      label: 'Aging',
      count: summary.counts.aging,
      verdict: 'aging',
    },
    {
      key: 'stale',
      label: 'Stale',
      count: summary.counts.stale,
      verdict: 'stale',
    },
    {
      key: 'unknown',
      label: 'Unknown',
      count: summary.counts.unknown,
      verdict: 'unknown',
    },
    { key: 'errors', label: 'Errors', count: summary.errors, error: true },
    { key: 'drift', label: 'Drift', count: summary.drift, verdict: 'aging' },
  ];
  const oldest = summary.oldest;
  return (
    <div>
      <SummaryTiles
        label="Containers by verdict"
        tiles={tiles}
        selected={filter}
        allKey="all"
        onSelect={onFilter}
      />
      {oldest ? (
        <section
          className={classes.oldest}
          aria-label="Oldest image"
          data-testid="oldest-image"
        >
          <Typography component="h3" className={classes.oldestLabel}>
            Oldest image
          </Typography>
          <Typography
            variant="body2"
            component="span"
            className={classes.image}
          >
            {oldest.image}
          </Typography>
          <div className={classes.built}>
            <Typography
              variant="body2"
              component="span"
              title={absoluteTime(oldest.created)}
            >
              built <strong>{describeDuration(ageOf(oldest.created))}</strong>{' '}
              ago
            </Typography>
            <VerdictChip verdict={oldest.verdict} />
          </div>
        </section>
      ) : (
        <Typography variant="body2" className={classes.oldest}>
          No image records its build time.
        </Typography>
      )}
    </div>
  );
}
