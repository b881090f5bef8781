import { Button, Cell, type ColumnConfig, Table, Text } from '@backstage/ui';
import type {
  ImageFreshnessOverview,
  OverviewCounts,
} from 'backstage-plugin-image-freshness-common';
import { humanizeRef } from '../../lib/entityRefs';

type OwnerRow = ImageFreshnessOverview['owners'][number] & { id: string };

/** The key of entities without an owner. */
const NO_OWNER = '';

/** Counts shown in the danger colour when not zero. */
const URGENT = new Set<keyof OverviewCounts>(['stale', 'rebuildDue']);

const count = (key: keyof OverviewCounts, label: string) => ({
  id: key,
  label,
  cell: (row: OwnerRow) => (
    <Cell>
      <Text
        variant="body-small"
        weight={row[key] > 0 && URGENT.has(key) ? 'bold' : 'regular'}
        color={row[key] > 0 && URGENT.has(key) ? 'danger' : 'primary'}
      >
        {row[key]}
      </Text>
    </Cell>
  ),
});

/**
 * Counts per owner of the rows the filters match, most stale and
 * rebuild-due first; pressing an owner filters the page by it.
 */
export function OwnerCounts(props: {
  owners: ImageFreshnessOverview['owners'];
  /** The owner filter in force, if any. */
  selected?: string;
  onSelect: (owner: string | undefined) => void;
}) {
  const { owners, selected, onSelect } = props;
  const columns: ColumnConfig<OwnerRow>[] = [
    {
      id: 'owner',
      label: 'Owner',
      isRowHeader: true,
      cell: row => (
        <Cell>
          {row.owner ? (
            <Button
              variant="tertiary"
              size="small"
              aria-pressed={selected === row.owner}
              aria-label={`Show ${humanizeRef(row.owner)}'s images`}
              onPress={() =>
                onSelect(selected === row.owner ? undefined : row.owner)
              }
            >
              <span title={row.owner}>{humanizeRef(row.owner)}</span>
            </Button>
          ) : (
            <span>No owner</span>
          )}
        </Cell>
      ),
    },
    count('images', 'Images'),
    count('stale', 'Stale'),
    count('rebuildDue', 'Rebuild due'),
    count('aging', 'Aging'),
    count('unknown', 'Unknown'),
  ];
  return (
    <Table
      columnConfig={columns}
      data={owners.map(o => ({ ...o, id: o.owner ?? NO_OWNER }))}
      pagination={{ type: 'none' }}
      emptyState="No owner has an image matching the filters."
    />
  );
}
