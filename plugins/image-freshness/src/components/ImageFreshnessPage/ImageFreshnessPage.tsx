import { parseEntityRef } from '@backstage/catalog-model';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntityRefLink } from '@backstage/plugin-catalog-react';
import {
  Button,
  Cell,
  CellText,
  type ColumnConfig,
  Container,
  Flex,
  Header,
  SearchField,
  Select,
  Table,
  Text,
} from '@backstage/ui';
import type {
  ImageFreshnessOverview,
  OverviewRow,
  OverviewVerdict,
} from 'backstage-plugin-image-freshness-common';
import { useRef, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useDebounce from 'react-use/esm/useDebounce';
import { imageFreshnessApiRef, type OverviewRequest } from '../../api';
import { humanizeRef } from '../../lib/entityRefs';
import { shortDigest } from '../../lib/format';
import { ImageErrorNotice } from '../ImageErrorNotice';
import { ImageName } from '../ImageName';
import { OwnerCounts } from '../OwnerCounts';
import { RelativeTime } from '../RelativeTime';
import { SummaryTile, SummaryTiles } from '../SummaryTiles';
import { VerdictChip } from '../VerdictChip';

type Filters = Pick<
  OverviewRequest,
  'owner' | 'system' | 'verdict' | 'registry' | 'q'
>;

type TableRow = OverviewRow & { id: string };

const PAGE_SIZES = [25, 50, 100];
/** The option of a filter that lets everything through. */
const ALL = 'all';
/** How long typing pauses before the search asks again. */
const SEARCH_DELAY_MS = 300;

/** The verdict tiles: the counts of the rows the other filters match. */
function verdictTiles(
  totals: ImageFreshnessOverview['totals'],
): SummaryTile<OverviewVerdict | typeof ALL>[] {
  return [
    { key: ALL, label: 'Images', count: totals.images },
    { key: 'stale', label: 'Stale', count: totals.stale, verdict: 'stale' },
    {
      key: 'rebuild-due',
      label: 'Rebuild due',
      count: totals.rebuildDue,
      verdict: 'rebuild-due',
    },
    { key: 'aging', label: 'Aging', count: totals.aging, verdict: 'aging' },
    {
      key: 'updated',
      label: 'Base updated',
      count: totals.updated,
      verdict: 'updated',
    },
    {
      key: 'unknown',
      label: 'Unknown',
      count: totals.unknown,
      verdict: 'unknown',
    },
    { key: 'fresh', label: 'Fresh', count: totals.fresh, verdict: 'fresh' },
  ];
}

/** A filter's choices: everything, then each value people read short. */
function FilterSelect(props: {
  label: string;
  allLabel: string;
  values: string[];
  value: string | undefined;
  onChange: (value: string | undefined) => void;
  humanize?: boolean;
}) {
  const { label, allLabel, values, value, onChange, humanize } = props;
  // a value the filter is set to stays a choice when no row has it any more
  const choices =
    value && !values.includes(value) ? [value, ...values] : values;
  return (
    <Select
      label={label}
      options={[
        { id: ALL, label: allLabel },
        ...choices.map(v => ({
          id: v,
          label: humanize ? humanizeRef(v) : v,
        })),
      ]}
      value={value ?? ALL}
      onChange={key =>
        onChange(key === ALL || key === null ? undefined : String(key))
      }
    />
  );
}

/** How many workloads run the row's image (`declared` for an annotation's image). */
function workloadsText(row: OverviewRow): string {
  if (
    row.clusters.length === 0 &&
    row.workloads === 1 &&
    row.containers === 1
  ) {
    return 'declared';
  }
  return `${row.workloads} ${row.workloads === 1 ? 'workload' : 'workloads'}`;
}

/**
 * The org-wide page: every image of every entity the user may read in the
 * catalog, stale images and due rebuilds first, with counts per verdict and
 * per owner, filters by owner, system, verdict (the tiles), registry and
 * text, and paging; each row links to its entity's Image freshness tab.
 */
export function ImageFreshnessPage() {
  const api = useApi(imageFreshnessApiRef);
  const entityLink = useEntityRefLink();
  // The filters and the page change together: a filter that changes goes
  // back to the first page, one set to the value it has keeps the page (the
  // search's debounce fires after "Clear filters" and must not undo paging).
  const [{ filters, offset }, setQuery] = useState<{
    filters: Filters;
    offset: number;
  }>({ filters: {}, offset: 0 });
  const [pageSize, setPageSize] = useState(PAGE_SIZES[0]);
  const [search, setSearch] = useState('');

  const setFilter = <K extends keyof Filters>(key: K, value: Filters[K]) =>
    setQuery(current =>
      current.filters[key] === value
        ? current
        : { filters: { ...current.filters, [key]: value }, offset: 0 },
    );
  const setOffset = (next: number) =>
    setQuery(current => ({ ...current, offset: next }));
  useDebounce(
    () => setFilter('q', search.trim() || undefined),
    SEARCH_DELAY_MS,
    [search],
  );

  const state = useAsyncRetry(
    () => api.getOverview({ ...filters, offset, limit: pageSize }),
    [api, filters, offset, pageSize],
  );
  // the last answer stays on screen while the next page or filter loads
  const last = useRef<ImageFreshnessOverview>();
  if (state.value) last.current = state.value;
  const overview = state.value ?? last.current;
  // The tiles count the rows the other filters match: with a verdict chosen,
  // the counts the same filters had without one (when seen), so the other
  // tiles keep their figures and stay a choice.
  const withoutVerdict = useRef(
    new Map<string, ImageFreshnessOverview['totals']>(),
  );
  const { verdict, ...others } = filters;
  const othersKey = JSON.stringify(others);
  if (state.value && !state.loading && !verdict) {
    withoutVerdict.current.set(othersKey, state.value.totals);
  }
  const tileTotals =
    (verdict && withoutVerdict.current.get(othersKey)) || overview?.totals;

  const tabLink = (entityRef: string) =>
    `${entityLink(parseEntityRef(entityRef))}/image-freshness`;

  const columns: ColumnConfig<TableRow>[] = [
    {
      id: 'entity',
      label: 'Entity',
      isRowHeader: true,
      cell: row => (
        <CellText
          title={row.title ?? parseEntityRef(row.entityRef).name}
          description={row.system ? humanizeRef(row.system) : undefined}
          href={tabLink(row.entityRef)}
        />
      ),
    },
    {
      id: 'owner',
      label: 'Owner',
      cell: row => (
        <CellText title={row.owner ? humanizeRef(row.owner) : '—'} />
      ),
    },
    {
      id: 'image',
      label: 'Image',
      cell: row => (
        <Cell>
          <ImageName image={row.image} />
          {row.digest ? (
            <Text
              variant="body-x-small"
              color="secondary"
              title={row.digest}
              style={{ fontFamily: 'monospace' }}
            >
              {shortDigest(row.digest)}
            </Text>
          ) : null}
        </Cell>
      ),
    },
    {
      id: 'built',
      label: 'Built',
      cell: row => (
        <Cell>
          <Text variant="body-small">
            <RelativeTime time={row.created} fallback="unknown" />
          </Text>
        </Cell>
      ),
    },
    {
      id: 'freshness',
      label: 'Freshness',
      cell: row => (
        <Cell>
          <VerdictChip
            verdict={row.freshness.verdict}
            reason={row.freshness.reason}
          />
          {row.error ? (
            <ImageErrorNotice error={{ ...row.error, at: '' }} compact />
          ) : null}
        </Cell>
      ),
    },
    {
      id: 'base',
      label: 'Base',
      cell: row => (
        <Cell>
          {row.base ? (
            <VerdictChip
              verdict={row.base.verdict.verdict}
              reason={row.base.verdict.reason}
            />
          ) : (
            <Text variant="body-small" color="secondary">
              —
            </Text>
          )}
        </Cell>
      ),
    },
    {
      id: 'runs',
      label: 'Runs',
      cell: row => (
        <CellText
          title={workloadsText(row)}
          description={row.clusters.join(', ') || undefined}
        />
      ),
    },
  ];

  const filtered = Object.values(filters).some(v => v !== undefined);
  let body: JSX.Element;
  if (!overview) {
    body = state.error ? (
      <Flex direction="column" gap="2" align="start">
        <ResponseErrorPanel error={state.error} />
        <Button onPress={state.retry}>Try again</Button>
      </Flex>
    ) : (
      <Progress />
    );
  } else if (overview.totals.images === 0 && !filtered) {
    body = (
      <Text as="p">
        No images yet: no entity you may read has an image the refresh has
        found. Entities need a `backstage.io/kubernetes-id`,
        `backstage.io/kubernetes-label-selector` or `image-freshness/images`
        annotation.
      </Text>
    );
  } else {
    const { totals, owners, facets, items, totalItems } = overview;
    body = (
      <Flex direction="column" gap="4">
        {state.error ? (
          <ResponseErrorPanel error={state.error} title="Could not reload" />
        ) : null}
        <SummaryTiles
          label="Images by verdict"
          tiles={verdictTiles(tileTotals ?? totals)}
          selected={filters.verdict ?? ALL}
          allKey={ALL}
          onSelect={key => setFilter('verdict', key === ALL ? undefined : key)}
        />
        <section aria-label="Images per owner">
          <Text as="h2" variant="title-x-small">
            Per owner
          </Text>
          <OwnerCounts
            owners={owners}
            selected={filters.owner}
            onSelect={owner => setFilter('owner', owner)}
          />
        </section>
        <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
          <FilterSelect
            label="Owner"
            allLabel="All owners"
            values={facets.owners}
            value={filters.owner}
            onChange={owner => setFilter('owner', owner)}
            humanize
          />
          <FilterSelect
            label="System"
            allLabel="All systems"
            values={facets.systems}
            value={filters.system}
            onChange={system => setFilter('system', system)}
            humanize
          />
          <FilterSelect
            label="Registry"
            allLabel="All registries"
            values={facets.registries}
            value={filters.registry}
            onChange={registry => setFilter('registry', registry)}
          />
          <SearchField
            label="Search"
            aria-label="Search images"
            placeholder="Entity, image, owner…"
            value={search}
            onChange={setSearch}
          />
          {filtered ? (
            <Button
              variant="secondary"
              onPress={() => {
                setSearch('');
                setQuery({ filters: {}, offset: 0 });
              }}
            >
              Clear filters
            </Button>
          ) : null}
        </Flex>
        <section aria-label="Images">
          <Table
            columnConfig={columns}
            data={items.map(row => ({
              ...row,
              id: `${row.entityRef}\n${row.image}`,
            }))}
            isStale={state.loading}
            emptyState="No image matches the filters."
            pagination={{
              type: 'page',
              pageSize,
              pageSizeOptions: PAGE_SIZES,
              offset: overview.offset,
              totalCount: totalItems,
              hasPreviousPage: overview.offset > 0,
              hasNextPage: overview.offset + pageSize < totalItems,
              onPreviousPage: () => setOffset(Math.max(0, offset - pageSize)),
              onNextPage: () => setOffset(offset + pageSize),
              onPageSizeChange: size => {
                setPageSize(size);
                setOffset(0);
              },
            }}
          />
        </section>
      </Flex>
    );
  }

  return (
    <>
      <Header title="Images across all entities" />
      <Container>{body}</Container>
    </>
  );
}
