import { CopyTextButton } from '@backstage/core-components';
import { makeStyles } from '@material-ui/core/styles';
import { shortDigest } from '../../lib/format';

const useStyles = makeStyles(theme => ({
  root: {
    display: 'inline-flex',
    alignItems: 'center',
    whiteSpace: 'nowrap',
    gap: theme.spacing(0.25),
    '& button': {
      width: 24,
      height: 24,
      minWidth: 24,
      padding: 0,
      color: theme.palette.text.secondary,
    },
    '& svg': { fontSize: '0.9rem' },
  },
  code: {
    fontFamily: 'monospace',
    fontSize: '0.85em',
  },
}));

/** A digest shortened to 12 hex digits, the whole one on hover and one click to copy. */
export function DigestText(props: { digest?: string; label?: string }) {
  const { digest, label = 'digest' } = props;
  const classes = useStyles();
  if (!digest) {
    return null;
  }
  return (
    <span className={classes.root}>
      <code className={classes.code} title={digest}>
        {shortDigest(digest)}
      </code>
      <CopyTextButton
        text={digest}
        tooltipText="Digest copied"
        variant="tertiary"
        aria-label={`Copy ${label} ${digest}`}
      />
    </span>
  );
}
