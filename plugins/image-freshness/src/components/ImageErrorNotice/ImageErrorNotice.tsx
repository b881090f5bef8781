import Typography from '@material-ui/core/Typography';
import { makeStyles, Theme } from '@material-ui/core/styles';
import ErrorOutline from '@material-ui/icons/ErrorOutline';
import {
  ERROR_RECOVERY,
  type ImageError,
} from 'backstage-plugin-image-freshness-common';
import { RelativeTime } from '../RelativeTime';

const useStyles = makeStyles((theme: Theme) => ({
  root: {
    display: 'flex',
    gap: theme.spacing(1),
    alignItems: 'flex-start',
    marginTop: theme.spacing(0.5),
    maxWidth: 640,
  },
  icon: {
    color: theme.palette.status.error,
    fontSize: '1.1rem',
    marginTop: 2,
    flexShrink: 0,
  },
  errorClass: {
    fontFamily: 'monospace',
    fontWeight: theme.typography.fontWeightBold as number,
    color: theme.palette.status.error,
  },
  advice: {
    color: theme.palette.text.secondary,
  },
  compact: { lineHeight: 1.35, minWidth: 0 },
  recovery: {
    fontWeight: theme.typography.fontWeightMedium as number,
    color: theme.palette.text.primary,
  },
}));

/** Whether the error clears by itself, or who must fix what, where. */
export function recoveryText(error: ImageError, where?: string): string {
  if ((ERROR_RECOVERY[error.class] ?? 'action') === 'retried') {
    return 'Retried on the next refresh; nothing to do unless it persists.';
  }
  return `Needs a fix${where ? ` in ${where}` : ''}.`;
}

/**
 * One classified error: its class, the message (naming image and registry),
 * what to do about it, and since when it happens. `compact` (for table cells)
 * shows the class and what to do, the message on hover.
 */
export function ImageErrorNotice(props: {
  error: ImageError;
  source?: string;
  /** Where the failing reference is declared (a workload's container, the annotation): said when someone must fix it. */
  where?: string;
  compact?: boolean;
}) {
  const { error, source, compact, where } = props;
  const retried = (ERROR_RECOVERY[error.class] ?? 'action') === 'retried';
  const classes = useStyles();
  if (compact) {
    return (
      <div
        className={classes.root}
        role="note"
        aria-label={`${error.class} error`}
        data-recovery={retried ? 'retried' : 'action'}
        title={error.message}
      >
        <ErrorOutline className={classes.icon} aria-hidden />
        <Typography
          variant="caption"
          component="div"
          className={classes.compact}
        >
          <span className={classes.errorClass}>{error.class}</span>{' '}
          <span className={classes.advice}>{error.advice}</span>{' '}
          <span className={classes.recovery}>
            {retried ? 'Retried on the next refresh.' : 'Needs a fix.'}
          </span>
        </Typography>
      </div>
    );
  }
  return (
    <div
      className={classes.root}
      role="note"
      aria-label={`${error.class} error`}
      data-recovery={retried ? 'retried' : 'action'}
    >
      <ErrorOutline className={classes.icon} aria-hidden />
      <div>
        <Typography variant="body2" component="div">
          <span className={classes.errorClass}>{error.class}</span>
          {source ? ` in ${source}` : ''}: {error.message}
        </Typography>
        <Typography
          variant="caption"
          component="div"
          className={classes.advice}
        >
          <span className={classes.recovery}>{recoveryText(error, where)}</span>{' '}
          What to do: {error.advice}
          {error.firstSeen ? (
            <>
              {' '}
              (failing since <RelativeTime time={error.firstSeen} />)
            </>
          ) : null}
        </Typography>
      </div>
    </div>
  );
}
