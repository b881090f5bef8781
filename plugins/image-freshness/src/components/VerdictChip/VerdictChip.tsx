import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { makeStyles, Theme } from '@material-ui/core/styles';
import type {
  BaseVerdict,
  FreshnessVerdict,
} from 'backstage-plugin-image-freshness-common';

/** Any verdict the plugin shows. */
export type AnyVerdict = FreshnessVerdict | BaseVerdict;

type Tone = 'ok' | 'warning' | 'error' | 'unknown';

const TONES: Record<AnyVerdict, Tone> = {
  fresh: 'ok',
  current: 'ok',
  aging: 'warning',
  updated: 'warning',
  stale: 'error',
  'rebuild-due': 'error',
  unknown: 'unknown',
};

const LABELS: Record<AnyVerdict, string> = {
  fresh: 'Fresh',
  aging: 'Aging',
  stale: 'Stale',
  unknown: 'Unknown',
  current: 'Current',
  updated: 'Base updated',
  'rebuild-due': 'Rebuild due',
};

/** The semantic status colour of a verdict, from the Backstage theme. */
export function verdictColor(theme: Theme, verdict: AnyVerdict): string {
  switch (TONES[verdict]) {
    case 'ok':
      return theme.palette.status.ok;
    case 'warning':
      return theme.palette.status.warning;
    case 'error':
      return theme.palette.status.error;
    default:
      return theme.palette.text.disabled;
  }
}

/** How a verdict is written for people: `Rebuild due`. */
export function verdictLabel(verdict: AnyVerdict): string {
  return LABELS[verdict] ?? verdict;
}

const useStyles = makeStyles((theme: Theme) => ({
  chip: {
    fontWeight: theme.typography.fontWeightMedium as number,
  },
  dot: {
    width: 8,
    height: 8,
    borderRadius: '50%',
    marginLeft: theme.spacing(1),
  },
  ok: {
    borderColor: theme.palette.status.ok,
    '& $dot': { backgroundColor: theme.palette.status.ok },
  },
  warning: {
    borderColor: theme.palette.status.warning,
    '& $dot': { backgroundColor: theme.palette.status.warning },
  },
  error: {
    borderColor: theme.palette.status.error,
    '& $dot': { backgroundColor: theme.palette.status.error },
  },
  unknown: {
    borderColor: theme.palette.text.disabled,
    '& $dot': { backgroundColor: theme.palette.text.disabled },
  },
  reason: {
    display: 'block',
    marginTop: theme.spacing(0.5),
    color: theme.palette.text.secondary,
    lineHeight: 1.3,
  },
}));

/**
 * A verdict as a chip coloured by its status, with the reason on hover and,
 * with `showReason`, written underneath.
 */
export function VerdictChip(props: {
  verdict: AnyVerdict;
  reason?: string;
  showReason?: boolean;
  /** Clamps a long reason to this many lines (the whole one on hover). */
  maxReasonLines?: number;
}) {
  const { verdict, reason, showReason, maxReasonLines } = props;
  const classes = useStyles();
  return (
    <div>
      <Chip
        size="small"
        variant="outlined"
        className={`${classes.chip} ${classes[TONES[verdict] ?? 'unknown']}`}
        icon={<span className={classes.dot} aria-hidden />}
        label={verdictLabel(verdict)}
        title={reason}
        data-verdict={verdict}
      />
      {showReason && reason ? (
        <Typography
          variant="caption"
          className={classes.reason}
          title={maxReasonLines ? reason : undefined}
          style={
            maxReasonLines
              ? {
                  display: '-webkit-box',
                  WebkitLineClamp: maxReasonLines,
                  WebkitBoxOrient: 'vertical',
                  overflow: 'hidden',
                }
              : undefined
          }
        >
          {reason}
        </Typography>
      ) : null}
    </div>
  );
}
