import { shortImageName } from '../../lib/format';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import {
  MissingAnnotationEmptyState,
  useEntity,
  useEntityRefLink,
} from '@backstage/plugin-catalog-react';
import Typography from '@material-ui/core/Typography';
import { makeStyles, Theme, useTheme } from '@material-ui/core/styles';
import {
  describeDuration,
  FreshnessVerdict,
  isImageFreshnessAvailable,
} from 'backstage-plugin-image-freshness-common';
import { useMemo } from 'react';
import { useEntityImageReport } from '../../hooks/useEntityImageReport';
import { ageOf } from '../../lib/clock';
import { IMAGE_FRESHNESS_ANNOTATIONS } from '../../lib/annotations';
import { distinctImages, FRESHNESS_ORDER } from '../../lib/summary';
import { absoluteTime, LastRefreshed, RelativeTime } from '../RelativeTime';
import { verdictColor } from '../VerdictChip';

const useStyles = makeStyles((theme: Theme) => ({
  headline: {
    display: 'flex',
    gap: theme.spacing(4),
    marginBottom: theme.spacing(2),
  },
  figure: { display: 'flex', flexDirection: 'column' },
  number: {
    fontSize: '2.5rem',
    lineHeight: 1.1,
    fontWeight: theme.typography.fontWeightBold as number,
  },
  bad: { color: theme.palette.status.error },
  good: { color: theme.palette.text.primary },
  caption: { color: theme.palette.text.secondary },
  legend: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(1.5),
    margin: theme.spacing(0.75, 0, 2),
    fontSize: '0.8rem',
    color: theme.palette.text.secondary,
  },
  swatch: {
    display: 'inline-block',
    width: 8,
    height: 8,
    borderRadius: '50%',
    marginRight: theme.spacing(0.5),
  },
  line: { marginTop: theme.spacing(1) },
  mono: { fontFamily: 'monospace', wordBreak: 'break-all' },
  errors: { color: theme.palette.status.error, marginTop: theme.spacing(1) },
}));

function plural(n: number, one: string, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

function CardBody() {
  const classes = useStyles();
  const theme = useTheme();
  const { value, loading, error } = useEntityImageReport();
  const images = useMemo(
    () => distinctImages(value?.containers ?? []),
    [value],
  );
  if (loading) {
    return <Progress />;
  }
  if (!value) {
    return (
      <ResponseErrorPanel
        error={error ?? new Error('No report')}
        title="Could not load the image report"
      />
    );
  }
  if (images.length === 0) {
    return (
      <Typography variant="body2" className={classes.caption}>
        {value.refreshedAt
          ? 'The last refresh found no images for this entity.'
          : 'Not checked yet: the images are read on the next scheduled refresh.'}
      </Typography>
    );
  }
  const counts: Record<FreshnessVerdict, number> = {
    fresh: 0,
    aging: 0,
    stale: 0,
    unknown: 0,
  };
  for (const image of images) counts[image.verdict]++;
  const rebuildsDue = value.baseImages.filter(
    b => b.verdict.verdict === 'rebuild-due',
  ).length;
  const nextRebuild = value.baseImages
    .filter(b => b.verdict.verdict === 'updated' && b.base?.rebuildDueAt)
    .sort((a, b) =>
      a.base!.rebuildDueAt!.localeCompare(b.base!.rebuildDueAt!),
    )[0];
  const withErrors = images.filter(i => i.error).length;
  const oldest = images
    .filter(i => i.created)
    .sort((a, b) => a.created!.localeCompare(b.created!))[0];
  // one stacked bar of the images by verdict
  let x = 0;
  const segments = FRESHNESS_ORDER.filter(v => counts[v] > 0).map(v => {
    const width = (counts[v] / images.length) * 100;
    const segment = { verdict: v, x, width };
    x += width;
    return segment;
  });

  return (
    <>
      <div className={classes.headline}>
        <div className={classes.figure}>
          <span
            className={`${classes.number} ${
              counts.stale ? classes.bad : classes.good
            }`}
            data-testid="stale-images"
          >
            {counts.stale}
          </span>
          <span className={classes.caption}>
            stale image{counts.stale === 1 ? '' : 's'} of {images.length}
          </span>
        </div>
        <div className={classes.figure}>
          <span
            className={`${classes.number} ${
              rebuildsDue ? classes.bad : classes.good
            }`}
            data-testid="rebuilds-due"
          >
            {rebuildsDue}
          </span>
          <span className={classes.caption}>
            rebuild{rebuildsDue === 1 ? '' : 's'} due
          </span>
        </div>
      </div>
      <svg
        width="100%"
        height="10"
        role="img"
        aria-label={FRESHNESS_ORDER.filter(v => counts[v] > 0)
          .map(v => `${counts[v]} ${v}`)
          .join(', ')}
      >
        {segments.map(s => (
          <rect
            key={s.verdict}
            x={`${s.x}%`}
            width={`${s.width}%`}
            height="10"
            fill={verdictColor(theme, s.verdict)}
          />
        ))}
      </svg>
      <div className={classes.legend}>
        {FRESHNESS_ORDER.filter(v => counts[v] > 0).map(v => (
          <span key={v}>
            <span
              className={classes.swatch}
              style={{ background: verdictColor(theme, v) }}
            />
            {counts[v]} {v}
          </span>
        ))}
      </div>
      {oldest ? (
        <Typography variant="body2" className={classes.line}>
          Oldest:{' '}
          <span className={classes.mono} title={oldest.image}>
            {shortImageName(oldest.image)}
          </span>
          , built{' '}
          <span title={absoluteTime(oldest.created!)}>
            {describeDuration(ageOf(oldest.created!))} ago
          </span>
        </Typography>
      ) : null}
      {nextRebuild ? (
        <Typography variant="body2" className={classes.line}>
          Next rebuild due{' '}
          <RelativeTime time={nextRebuild.base!.rebuildDueAt} />:{' '}
          <span className={classes.mono} title={nextRebuild.image}>
            {shortImageName(nextRebuild.image)}
          </span>{' '}
          (its base moved)
        </Typography>
      ) : null}
      {withErrors || value.errors.length ? (
        <Typography variant="body2" className={classes.errors}>
          {withErrors
            ? `${plural(withErrors, 'image')} could not be checked. `
            : ''}
          {value.errors.length
            ? `${plural(value.errors.length, 'source')} did not answer.`
            : ''}
        </Typography>
      ) : null}
      <Typography variant="caption" component="p" className={classes.line}>
        <LastRefreshed className={classes.caption} time={value.refreshedAt} />
      </Typography>
    </>
  );
}

/**
 * The entity overview card: how many of the entity's images are stale and
 * how many rebuilds are due, at a glance, with a link to the tab.
 *
 * @public
 */
export function ImageFreshnessCard() {
  const { entity } = useEntity();
  const entityLink = useEntityRefLink();
  if (!isImageFreshnessAvailable(entity)) {
    return (
      <InfoCard title="Image freshness">
        <MissingAnnotationEmptyState annotation={IMAGE_FRESHNESS_ANNOTATIONS} />
      </InfoCard>
    );
  }
  return (
    <InfoCard
      title="Image freshness"
      deepLink={{
        title: 'View images',
        link: `${entityLink(entity)}/image-freshness`,
      }}
    >
      <CardBody />
    </InfoCard>
  );
}
