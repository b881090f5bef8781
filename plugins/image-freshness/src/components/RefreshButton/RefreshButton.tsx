import { CompoundEntityRef } from '@backstage/catalog-model';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Typography from '@material-ui/core/Typography';
import { makeStyles, Theme } from '@material-ui/core/styles';
import RefreshIcon from '@material-ui/icons/Refresh';
import { RefreshState, useRefreshEntity } from '../../hooks/useRefreshEntity';

const useStyles = makeStyles((theme: Theme) => ({
  root: {
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'flex-end',
    gap: theme.spacing(0.5),
  },
  status: {
    color: theme.palette.text.secondary,
    maxWidth: 240,
    textAlign: 'right',
    lineHeight: 1.3,
  },
  ok: { color: theme.palette.status.ok },
  error: { color: theme.palette.status.error },
}));

function feedback(
  state: RefreshState,
  secondsLeft: number,
): { text: string; tone?: 'ok' | 'error'; title?: string } {
  switch (state.phase) {
    case 'requesting':
      return { text: 'Asking for a refresh…' };
    case 'waiting':
      return { text: 'Refresh started; waiting for the new report…' };
    case 'done':
      return { text: 'Report updated.', tone: 'ok' };
    case 'slow':
      return {
        text: 'Refresh accepted, but still running after a minute; the report updates when it finishes.',
      };
    case 'rate-limited':
      return {
        text: `Refreshed less than a minute ago; try again in ${secondsLeft} s.`,
        title: state.message,
      };
    case 'failed': {
      // a ResponseError carries the backend's own message as its cause
      const cause = (state.error as { cause?: unknown }).cause;
      const message =
        cause instanceof Error && cause.message
          ? cause.message
          : state.error.message;
      return {
        text: `Refresh failed: ${message}`,
        tone: 'error',
        title: state.error.message,
      };
    }
    default:
      return { text: '' };
  }
}

/** What {@link RefreshControl} shows: the state of `useRefreshEntity`. */
export type RefreshControlProps = ReturnType<typeof useRefreshEntity>;

/**
 * The Refresh button and its feedback: started, updated, too soon (with the
 * wait), or failed. The state lives in the caller (`useRefreshEntity`), so it
 * survives the page switching layouts when the first report arrives.
 */
export function RefreshControl(props: RefreshControlProps) {
  const classes = useStyles();
  const { state, refresh, busy, secondsLeft } = props;
  const { text, tone, title } = feedback(state, secondsLeft);
  const working = state.phase === 'requesting' || state.phase === 'waiting';
  return (
    <div className={classes.root}>
      <Button
        variant="outlined"
        size="small"
        color="primary"
        onClick={refresh}
        disabled={busy}
        startIcon={working ? <CircularProgress size={14} /> : <RefreshIcon />}
      >
        Refresh
      </Button>
      <Typography
        variant="caption"
        role="status"
        title={title}
        className={`${classes.status} ${tone ? classes[tone] : ''}`}
      >
        {text}
      </Typography>
    </div>
  );
}

/**
 * Asks the backend to read the entity's images again now, and says how it
 * went.
 */
export function RefreshButton(props: {
  entityRef: CompoundEntityRef;
  refreshedAt?: string;
  reload: () => void;
  pollMs?: number;
}) {
  return <RefreshControl {...useRefreshEntity(props)} />;
}
