import Typography from '@material-ui/core/Typography';
import { makeStyles, Theme } from '@material-ui/core/styles';
import { ImageErrorNotice } from '../ImageErrorNotice';
import { RelativeTime } from '../RelativeTime';
import type { ContainerRow } from './ContainerImagesTable';

const useStyles = makeStyles((theme: Theme) => ({
  root: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(360px, 1fr))',
    gap: theme.spacing(3),
    padding: theme.spacing(2, 3, 2, 7),
    backgroundColor: theme.palette.background.default,
  },
  heading: {
    marginBottom: theme.spacing(1),
    fontWeight: theme.typography.fontWeightBold as number,
  },
  list: {
    margin: 0,
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.5),
    fontSize: '0.8rem',
    '& dt': {
      fontFamily: 'monospace',
      color: theme.palette.text.secondary,
    },
    '& dd': { margin: 0, fontFamily: 'monospace', wordBreak: 'break-all' },
  },
  none: { color: theme.palette.text.secondary },
  error: { gridColumn: '1 / -1' },
  wide: { gridColumn: '1 / -1' },
}));

function KeyValues(props: {
  title: string;
  values: Record<string, string>;
  empty: string;
}) {
  const classes = useStyles();
  const entries = Object.entries(props.values).sort(([a], [b]) =>
    a.localeCompare(b),
  );
  return (
    <section aria-label={props.title}>
      <Typography variant="subtitle2" className={classes.heading}>
        {props.title} ({entries.length})
      </Typography>
      {entries.length ? (
        <dl className={classes.list}>
          {entries.map(([key, value]) => (
            <div key={key} style={{ display: 'contents' }}>
              <dt>{key}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <Typography variant="body2" className={classes.none}>
          {props.empty}
        </Typography>
      )}
    </section>
  );
}

/** The expanded part of a row: labels, annotations and the exact digests. */
export function ImageDetails(props: { row: ContainerRow }) {
  const classes = useStyles();
  const { report } = props.row;
  const metadata = report.metadata;
  const facts: Record<string, string> = {};
  if (metadata?.digest) facts['manifest digest'] = metadata.digest;
  if (metadata?.indexDigest) facts['index digest'] = metadata.indexDigest;
  if (report.runningDigest) facts['running digest'] = report.runningDigest;
  if (metadata?.mediaType) facts['media type'] = metadata.mediaType;
  if (report.workload.jsonpath) facts.jsonpath = report.workload.jsonpath;
  return (
    <div className={classes.root}>
      {report.error ? (
        <section aria-label="Error" className={classes.error}>
          <Typography variant="subtitle2" className={classes.heading}>
            Last error
          </Typography>
          <ImageErrorNotice error={report.error} />
          <Typography variant="caption" className={classes.none}>
            Seen <RelativeTime time={report.error.at} />
            {report.resolvedAt
              ? '; the data shown is from the last successful read.'
              : '; this image was never read successfully.'}
          </Typography>
        </section>
      ) : null}
      <KeyValues
        title="Labels"
        values={metadata?.labels ?? {}}
        empty={
          metadata ? 'The image config has no labels.' : 'Not resolved yet.'
        }
      />
      <KeyValues
        title="Annotations"
        values={metadata?.annotations ?? {}}
        empty={
          metadata ? 'The manifest has no annotations.' : 'Not resolved yet.'
        }
      />
      <div className={classes.wide}>
        <KeyValues title="Image" values={facts} empty="Nothing known yet." />
        {report.resolvedAt ? (
          <Typography variant="caption" className={classes.none}>
            Last resolved <RelativeTime time={report.resolvedAt} />
          </Typography>
        ) : null}
      </div>
    </div>
  );
}
