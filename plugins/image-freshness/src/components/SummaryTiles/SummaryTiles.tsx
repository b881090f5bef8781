import ButtonBase from '@material-ui/core/ButtonBase';
import Typography from '@material-ui/core/Typography';
import { alpha, makeStyles, Theme, useTheme } from '@material-ui/core/styles';
import { AnyVerdict, verdictColor } from '../VerdictChip';

/** One figure of a summary: a count that filters the table when clicked. */
export interface SummaryTile<K extends string> {
  key: K;
  label: string;
  count: number;
  /** Colours the tile like this verdict; neutral without. */
  verdict?: AnyVerdict;
  /** Colours the tile as an error (for error counts). */
  error?: boolean;
}

const useStyles = makeStyles((theme: Theme) => ({
  root: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(92px, 1fr))',
    gap: theme.spacing(1),
  },
  tile: {
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'flex-start',
    padding: theme.spacing(1, 1.5),
    borderRadius: theme.shape.borderRadius,
    border: `1px solid ${theme.palette.divider}`,
    borderLeftWidth: 4,
    textAlign: 'left',
    transition: theme.transitions.create(['background-color', 'box-shadow']),
    '&:hover': { backgroundColor: theme.palette.action.hover },
    '&:focus-visible': { boxShadow: `0 0 0 2px ${theme.palette.primary.main}` },
  },
  selected: {
    boxShadow: `inset 0 0 0 1px ${theme.palette.text.primary}`,
  },
  count: {
    fontSize: '1.75rem',
    fontWeight: theme.typography.fontWeightBold as number,
    lineHeight: 1.2,
  },
  zero: { opacity: 0.55 },
  label: {
    color: theme.palette.text.secondary,
    textTransform: 'uppercase',
    letterSpacing: '0.04em',
    fontSize: '0.7rem',
    fontWeight: theme.typography.fontWeightMedium as number,
  },
}));

/**
 * A row of counts. Each is a toggle button: pressing one selects it (the
 * caller filters by it), pressing it again selects `allKey`.
 */
export function SummaryTiles<K extends string>(props: {
  tiles: SummaryTile<K>[];
  selected: K;
  allKey: K;
  onSelect: (key: K) => void;
  label: string;
}) {
  const { tiles, selected, allKey, onSelect, label } = props;
  const classes = useStyles();
  const theme = useTheme();
  return (
    <div className={classes.root} role="group" aria-label={label}>
      {tiles.map(tile => {
        let color = theme.palette.divider;
        if (tile.verdict) color = verdictColor(theme, tile.verdict);
        if (tile.error && tile.count > 0) color = theme.palette.status.error;
        const pressed = selected === tile.key;
        return (
          <ButtonBase
            key={tile.key}
            focusRipple
            aria-pressed={pressed}
            aria-label={`${tile.label}: ${tile.count}`}
            className={`${classes.tile} ${pressed ? classes.selected : ''} ${
              tile.count === 0 ? classes.zero : ''
            }`}
            style={{
              borderLeftColor: color,
              backgroundColor: pressed ? alpha(color, 0.12) : undefined,
            }}
            onClick={() =>
              onSelect(pressed && tile.key !== allKey ? allKey : tile.key)
            }
          >
            <Typography component="span" className={classes.count}>
              {tile.count}
            </Typography>
            <Typography component="span" className={classes.label}>
              {tile.label}
            </Typography>
          </ButtonBase>
        );
      })}
    </div>
  );
}
