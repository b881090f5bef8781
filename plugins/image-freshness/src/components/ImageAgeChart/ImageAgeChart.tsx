import Typography from '@material-ui/core/Typography';
import { alpha, makeStyles, Theme, useTheme } from '@material-ui/core/styles';
import { describeDuration } from 'backstage-plugin-image-freshness-common';
import { DateTime, Duration } from 'luxon';
import { Fragment } from 'react';
import { now as clockNow } from '../../lib/clock';
import { splitImage } from '../../lib/format';
import type { DistinctImage } from '../../lib/summary';
import type { FreshnessThreshold } from '../../lib/threshold';
import { verdictColor } from '../VerdictChip';

/** Most bars drawn; the rest are counted below the chart. */
const MAX_BARS = 12;
const ROW_HEIGHT = 24;

const THRESHOLD_SOURCES: Record<FreshnessThreshold['source'], string> = {
  annotation: 'from the image-freshness/max-age annotation',
  backend: "the backend's imageFreshness.maxAge",
  default: 'the default',
};

const useStyles = makeStyles((theme: Theme) => ({
  grid: {
    display: 'grid',
    gridTemplateColumns: 'minmax(96px, 32%) 1fr 56px',
    columnGap: theme.spacing(1.5),
    alignItems: 'center',
  },
  label: {
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    fontFamily: 'monospace',
    fontSize: '0.8rem',
    textAlign: 'right',
    lineHeight: `${ROW_HEIGHT}px`,
  },
  age: {
    fontSize: '0.8rem',
    color: theme.palette.text.secondary,
    whiteSpace: 'nowrap',
  },
  svg: { display: 'block', overflow: 'visible' },
  track: { display: 'block', overflow: 'hidden' },
  tick: {
    fill: theme.palette.text.secondary,
    fontSize: 11,
  },
  legend: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(1.5),
    color: theme.palette.text.secondary,
    fontSize: '0.8rem',
  },
  swatch: {
    display: 'inline-block',
    width: 10,
    height: 10,
    borderRadius: 2,
    marginRight: theme.spacing(0.75),
    verticalAlign: 'middle',
  },
  limitSwatch: {
    display: 'inline-block',
    width: 0,
    height: 12,
    borderLeft: `2px dashed ${theme.palette.status.error}`,
    marginRight: theme.spacing(0.75),
    verticalAlign: 'middle',
  },
  note: {
    marginTop: theme.spacing(1.5),
    color: theme.palette.text.secondary,
  },
}));

/** Days (or hours, for limits under two days) with a readable step. */
function axisFor(domain: Duration, maxAge: Duration) {
  const unit: 'days' | 'hours' = maxAge.as('days') >= 2 ? 'days' : 'hours';
  const span = domain.as(unit);
  const steps =
    unit === 'days'
      ? [1, 2, 5, 7, 10, 14, 30, 60, 90, 180, 365, 730]
      : [1, 2, 3, 6, 12, 24];
  const step = steps.find(s => span / s <= 6) ?? steps[steps.length - 1];
  const ticks: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) ticks.push(t);
  return { unit, span, ticks, short: unit === 'days' ? 'd' : 'h' };
}

/**
 * How old the entity's images are against the freshness limit: one bar per
 * distinct image (the oldest first), over bands for fresh (up to half the
 * limit), aging and stale, with the limit as a dashed line.
 */
export function ImageAgeChart(props: {
  images: DistinctImage[];
  threshold: FreshnessThreshold;
  now?: DateTime;
}) {
  const { images, threshold } = props;
  const classes = useStyles();
  const theme = useTheme();
  const now = props.now ?? clockNow();
  const maxAge = threshold.maxAge;

  const dated = images
    .filter(i => i.created && DateTime.fromISO(i.created).isValid)
    .map(i => ({
      ...i,
      age: Duration.fromMillis(
        Math.max(0, now.toMillis() - DateTime.fromISO(i.created!).toMillis()),
      ),
    }))
    .sort((a, b) => b.age.toMillis() - a.age.toMillis());
  const undated = images.filter(
    i => !i.created || !DateTime.fromISO(i.created).isValid,
  );

  const oldest = dated[0]?.age.toMillis() ?? 0;
  const domainMillis = Math.max(maxAge.toMillis() * 1.25, oldest * 1.05);
  const axis = axisFor(Duration.fromMillis(domainMillis), maxAge);
  const pct = (millis: number) =>
    `${Math.min(100, (millis / domainMillis) * 100).toFixed(3)}%`;
  const half = maxAge.toMillis() / 2;
  const limit = maxAge.toMillis();
  const colors = {
    fresh: verdictColor(theme, 'fresh'),
    aging: verdictColor(theme, 'aging'),
    stale: verdictColor(theme, 'stale'),
  };
  const shown = dated.slice(0, MAX_BARS);
  const hidden = dated.length - shown.length;
  const limitText = describeDuration(maxAge);

  const bands = (
    <>
      <rect
        x="0"
        y="0"
        width={pct(half)}
        height="100%"
        fill={alpha(colors.fresh, 0.1)}
      />
      <rect
        x={pct(half)}
        y="0"
        width={pct(limit - half)}
        height="100%"
        fill={alpha(colors.aging, 0.12)}
      />
      <rect
        x={pct(limit)}
        y="0"
        width="100%"
        height="100%"
        fill={alpha(colors.stale, 0.1)}
      />
      <line
        x1={pct(limit)}
        x2={pct(limit)}
        y1="0"
        y2="100%"
        stroke={colors.stale}
        strokeWidth={2}
        strokeDasharray="4 3"
      />
    </>
  );

  return (
    <figure
      style={{ margin: 0 }}
      aria-label={`Image ages against the ${limitText} limit`}
    >
      <div className={classes.legend}>
        <span>
          <span
            className={classes.swatch}
            style={{ background: colors.fresh }}
          />
          fresh: under {describeDuration(Duration.fromMillis(half))}
        </span>
        <span>
          <span
            className={classes.swatch}
            style={{ background: colors.aging }}
          />
          aging
        </span>
        <span>
          <span
            className={classes.swatch}
            style={{ background: colors.stale }}
          />
          stale: over {limitText}
        </span>
        <span title={`The limit is ${THRESHOLD_SOURCES[threshold.source]}`}>
          <span className={classes.limitSwatch} />
          limit {limitText} ({THRESHOLD_SOURCES[threshold.source]})
        </span>
      </div>
      {shown.length > 0 ? (
        <div className={classes.grid}>
          {shown.map(image => {
            const { repository, tag } = splitImage(image.image);
            const name = `${repository.split('/').pop()}${
              tag ? `:${tag}` : ''
            }`;
            const ageText = describeDuration(image.age);
            return (
              <Fragment key={`${image.image}@${image.digest}`}>
                <span className={classes.label} title={image.image}>
                  {name}
                </span>
                <svg
                  className={classes.track}
                  width="100%"
                  height={ROW_HEIGHT}
                  role="img"
                  aria-label={`${image.image}: built ${ageText} ago, ${image.verdict}`}
                  data-verdict={image.verdict}
                >
                  <title>{`${image.image}\nbuilt ${ageText} ago: ${image.reason}`}</title>
                  {bands}
                  <rect
                    x="0"
                    y={6}
                    height={ROW_HEIGHT - 12}
                    width={pct(image.age.toMillis())}
                    rx={2}
                    fill={verdictColor(theme, image.verdict)}
                  />
                </svg>
                <span className={classes.age}>
                  {Math.floor(image.age.as(axis.unit))} {axis.short}
                </span>
              </Fragment>
            );
          })}
          <span />
          <svg className={classes.svg} width="100%" height={20} aria-hidden>
            {axis.ticks.map(t => {
              const x = pct(Duration.fromObject({ [axis.unit]: t }).toMillis());
              return (
                <g key={t}>
                  <line
                    x1={x}
                    x2={x}
                    y1={0}
                    y2={4}
                    stroke={theme.palette.text.secondary}
                  />
                  <text
                    x={x}
                    y={16}
                    textAnchor="middle"
                    className={classes.tick}
                  >
                    {t}
                    {axis.short}
                  </text>
                </g>
              );
            })}
          </svg>
          <span className={classes.age}>age</span>
        </div>
      ) : null}
      {hidden > 0 || undated.length > 0 ? (
        <Typography variant="caption" component="p" className={classes.note}>
          {hidden > 0
            ? `${hidden} younger image${hidden === 1 ? '' : 's'} not drawn. `
            : ''}
          {undated.length > 0
            ? `Build time unknown for ${undated.length} image${
                undated.length === 1 ? '' : 's'
              }: ${undated
                .slice(0, 3)
                .map(i => i.image)
                .join(', ')}${undated.length > 3 ? ', …' : ''}.`
            : ''}
        </Typography>
      ) : null}
    </figure>
  );
}
