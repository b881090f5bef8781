import { makeStyles, Theme } from '@material-ui/core/styles';
import { Fragment } from 'react';
import { shortDigest, splitImage } from '../../lib/format';

const useStyles = makeStyles((theme: Theme) => ({
  root: { overflowWrap: 'break-word' },
  name: {
    display: 'block',
    fontWeight: theme.typography.fontWeightMedium as number,
  },
  path: {
    display: 'block',
    color: theme.palette.text.secondary,
    fontSize: '0.75rem',
  },
}));

/** Allows line breaks after each `/`, where a path breaks best. */
function withBreaks(path: string) {
  return path.split('/').map((part, i, parts) =>
    i < parts.length - 1 ? (
      <Fragment key={i}>
        {part}/<wbr />
      </Fragment>
    ) : (
      part
    ),
  );
}

/**
 * An image reference as people scan it: the registry and path small, the
 * `name:tag` below it in bold, the whole reference on hover.
 */
export function ImageName(props: { image: string }) {
  const classes = useStyles();
  const { repository, tag, digest } = splitImage(props.image);
  const slash = repository.lastIndexOf('/');
  // The path comes first so that the text of the cell is the whole
  // reference, as people copy and search it.
  return (
    <span className={classes.root} title={props.image}>
      {slash > 0 ? (
        <span className={classes.path}>
          {withBreaks(repository.slice(0, slash + 1))}
        </span>
      ) : null}
      <span className={classes.name}>
        {repository.slice(slash + 1)}
        {tag ? `:${tag}` : ''}
        {digest ? `@${shortDigest(digest)}` : ''}
      </span>
    </span>
  );
}
