import {
  ButtonIcon,
  Cell,
  type ColumnConfig,
  Flex,
  Row,
  SearchField,
  type SortDescriptor,
  Table,
  Text,
  ToggleButton,
  ToggleButtonGroup,
} from '@backstage/ui';
import type { ContainerReport } from 'backstage-plugin-image-freshness-common';
import { useEffect, useMemo, useState } from 'react';
import { shortDigest, tagDigest, workloadPlace } from '../../lib/format';
import {
  ContainerGroup,
  containerRole,
  declaredIn,
  GroupSortColumn,
  Grouping,
  groupContainers,
  searchGroups,
  sortGroups,
} from '../../lib/grouping';
import { DigestText } from '../DigestText';
import { ImageErrorNotice } from '../ImageErrorNotice';
import { ImageName } from '../ImageName';
import { RelativeTime } from '../RelativeTime';
import { VerdictChip } from '../VerdictChip';
import { GroupDetails } from './GroupDetails';

/** A row of the table: a group, or the details of an expanded group under it. */
interface TableRow {
  id: string;
  type: 'group' | 'details';
  group: ContainerGroup;
}

const PAGE_SIZES = [25, 50, 100];

const wrap = { overflowWrap: 'anywhere' as const, minWidth: 0 };

/** Pods, and how many of them run another digest than the tag's: the controller row's summary. */
function PodsCell(props: { group: ContainerGroup }) {
  const { pods, drifting, runningDigests } = props.group;
  if (pods.length === 0) {
    return (
      <Text variant="body-small" color="secondary" title="No pod reports it">
        no pods
      </Text>
    );
  }
  const podsText = `${pods.length} ${pods.length === 1 ? 'pod' : 'pods'}`;
  if (drifting.length > 0) {
    const runs = [
      ...new Set(drifting.map(p => shortDigest(p.runningDigest))),
    ].join(', ');
    return (
      <Flex direction="column" gap="0">
        <Text variant="body-small">{podsText}</Text>
        <Text
          variant="body-small"
          color="warning"
          weight="bold"
          data-drift="drift"
          title={`${drifting.length} of ${pods.length} pods run another digest than the tag points at now`}
        >
          ⚠ Drift: {drifting.length} of {pods.length}
        </Text>
        <Text variant="body-x-small" color="secondary">
          runs {runs}
        </Text>
      </Flex>
    );
  }
  const inSync = runningDigests.length > 0;
  return (
    <Flex direction="column" gap="0">
      <Text variant="body-small">{podsText}</Text>
      <Text
        variant="body-x-small"
        color="secondary"
        data-drift={inSync ? 'in-sync' : 'unknown'}
      >
        {inSync ? 'In sync' : 'running digest unknown'}
      </Text>
    </Flex>
  );
}

function WorkloadCell(props: { group: ContainerGroup }) {
  const { lead, members } = props.group;
  const role = containerRole(lead.workload.jsonpath);
  const owned = members.length - 1;
  return (
    <div style={wrap}>
      <Text as="div" weight="bold" variant="body-medium">
        {lead.workload.name}
      </Text>
      <Text as="div" variant="body-x-small" color="secondary">
        {[lead.workload.kind, workloadPlace(lead.workload)]
          .filter(Boolean)
          .join(' · ')}
      </Text>
      <Text as="div" variant="body-x-small" color="secondary">
        {lead.workload.kind === 'Annotation'
          ? 'declared in image-freshness/images'
          : `${role ?? 'container'} ${lead.container}`}
        {owned > 0 ? ` · ${owned} more folded` : ''}
      </Text>
    </div>
  );
}

function RunsInCell(props: { group: ContainerGroup }) {
  const { workloads, clusters } = props.group;
  const shown = workloads.slice(0, 2);
  return (
    <div style={wrap}>
      {shown.map(w => (
        <Text key={w} as="div" variant="body-small">
          {w}
        </Text>
      ))}
      <Text as="div" variant="body-x-small" color="secondary">
        {workloads.length > shown.length
          ? `+${workloads.length - shown.length} more · `
          : ''}
        {clusters.length
          ? `${clusters.length} ${
              clusters.length === 1 ? 'cluster' : 'clusters'
            }`
          : 'declared in annotations'}
      </Text>
    </div>
  );
}

function ImageCell(props: { group: ContainerGroup; where: string }) {
  const { lead, errors, images } = props.group;
  const error = lead.error ?? errors[0]?.error;
  return (
    <div style={wrap}>
      <ImageName image={lead.image} />
      {images.length > 1 ? (
        <Text as="div" variant="body-x-small" color="secondary">
          +{images.length - 1} other{' '}
          {images.length === 2 ? 'reference' : 'references'} (details)
        </Text>
      ) : null}
      {error ? (
        <ImageErrorNotice error={error} where={props.where} compact />
      ) : null}
    </div>
  );
}

function useColumns(
  grouping: Grouping,
  expanded: Set<string>,
  toggle: (id: string) => void,
): ColumnConfig<TableRow>[] {
  return useMemo(() => {
    const expander: ColumnConfig<TableRow> = {
      id: 'expand',
      label: 'More',
      width: 72,
      cell: ({ group }) => {
        const open = expanded.has(group.id);
        const name =
          grouping === 'image'
            ? group.lead.image
            : `${group.lead.workload.name} ${group.lead.container}`;
        return (
          <Cell>
            <ButtonIcon
              size="small"
              variant="tertiary"
              aria-expanded={open}
              aria-label={`${open ? 'Hide' : 'Show'} details of ${name}`}
              icon={<span aria-hidden>{open ? '▾' : '▸'}</span>}
              onPress={() => toggle(group.id)}
            />
          </Cell>
        );
      },
    };
    const image: ColumnConfig<TableRow> = {
      id: grouping === 'image' ? 'name' : 'image',
      label: 'Image',
      isSortable: grouping === 'image',
      isRowHeader: grouping === 'image',
      cell: ({ group }) => (
        <Cell>
          <ImageCell group={group} where={declaredIn(group.lead)} />
        </Cell>
      ),
    };
    const rest: ColumnConfig<TableRow>[] = [
      {
        id: 'digest',
        label: 'Digest',
        width: 140,
        cell: ({ group }) => (
          <Cell>
            <DigestText digest={tagDigest(group.lead)} label="tag digest" />
          </Cell>
        ),
      },
      {
        id: 'built',
        label: 'Built',
        width: 130,
        isSortable: true,
        cell: ({ group }) => (
          <Cell>
            <span>
              <RelativeTime
                time={group.lead.metadata?.created}
                fallback={
                  group.lead.metadata ? 'build time unknown' : 'not resolved'
                }
              />
            </span>
          </Cell>
        ),
      },
      {
        id: 'verdict',
        label: 'Verdict',
        defaultWidth: '1.2fr',
        isSortable: true,
        cell: ({ group }) => (
          <Cell>
            <div style={{ ...wrap, maxWidth: 240 }}>
              <VerdictChip
                verdict={group.verdict}
                reason={group.lead.freshness.reason}
                showReason
              />
            </div>
          </Cell>
        ),
      },
    ];
    const pods: ColumnConfig<TableRow> = {
      id: 'pods',
      label: 'Pods',
      width: 130,
      isSortable: true,
      cell: ({ group }) => (
        <Cell>
          <PodsCell group={group} />
        </Cell>
      ),
    };
    if (grouping === 'image') {
      return [
        expander,
        image,
        ...rest,
        {
          id: 'runs',
          label: 'Runs in',
          cell: ({ group }) => (
            <Cell>
              <RunsInCell group={group} />
            </Cell>
          ),
        },
        pods,
      ];
    }
    return [
      expander,
      {
        id: 'name',
        label: 'Workload',
        isSortable: true,
        isRowHeader: true,
        cell: ({ group }) => (
          <Cell>
            <WorkloadCell group={group} />
          </Cell>
        ),
      },
      image,
      ...rest,
      pods,
    ];
  }, [grouping, expanded, toggle]);
}

/**
 * The containers of an entity, grouped: by workload (a controller's
 * container with its ReplicaSets' and Pods' folded under it, the pods'
 * running digests and drift summarised on its row), or by image (one row per
 * reference, with where it runs). Searchable, sortable and paged over the
 * groups; each row expands to its details (members, digests, size, platform,
 * vulnerabilities, labels and annotations).
 */
export function GroupedImagesTable(props: {
  containers: ContainerReport[];
  /** Narrows the groups to those with a member here (the summary's filter); all when undefined. */
  matching?: ContainerReport[];
  title?: string;
  subtitle?: string;
  vulnerabilitiesUnavailable?: string;
  initialGrouping?: Grouping;
}) {
  const { containers, matching, vulnerabilitiesUnavailable } = props;
  const [grouping, setGrouping] = useState<Grouping>(
    props.initialGrouping ?? 'workload',
  );
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<SortDescriptor>({
    column: 'verdict',
    direction: 'descending',
  });
  const [pageSize, setPageSize] = useState(PAGE_SIZES[0]);
  const [offset, setOffset] = useState(0);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const toggle = useMemo(
    () => (id: string) =>
      setExpanded(previous => {
        const next = new Set(previous);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }),
    [],
  );

  const groups = useMemo(
    () => groupContainers(containers, grouping),
    [containers, grouping],
  );
  const visible = useMemo(() => {
    const wanted = matching ? new Set(matching) : undefined;
    const filtered = wanted
      ? groups.filter(g => g.members.some(m => wanted.has(m)))
      : groups;
    return sortGroups(
      searchGroups(filtered, search),
      sort.column as GroupSortColumn,
      sort.direction,
    );
  }, [groups, matching, search, sort]);

  // back to the first page when what is shown changes
  useEffect(() => setOffset(0), [grouping, matching, search, pageSize, sort]);

  const page = visible.slice(offset, offset + pageSize);
  const rows = page.flatMap<TableRow>(group =>
    expanded.has(group.id)
      ? [
          { id: group.id, type: 'group', group },
          { id: `${group.id}#details`, type: 'details', group },
        ]
      : [{ id: group.id, type: 'group', group }],
  );
  const columns = useColumns(grouping, expanded, toggle);
  const unit = grouping === 'image' ? 'image' : 'workload';

  return (
    <section aria-label="Containers" data-grouping={grouping}>
      <Flex
        justify="between"
        align="end"
        gap="3"
        mb="3"
        style={{ flexWrap: 'wrap' }}
      >
        <div>
          <Text as="h2" variant="title-small">
            {props.title ?? 'Containers'}
          </Text>
          <Text as="p" variant="body-small" color="secondary">
            {`${props.subtitle ? `${props.subtitle} · ` : ''}${
              visible.length
            } ${visible.length === 1 ? unit : `${unit}s`}`}
          </Text>
        </div>
        <Flex gap="3" align="center" style={{ flexWrap: 'wrap' }}>
          <ToggleButtonGroup
            aria-label="Group by"
            selectionMode="single"
            disallowEmptySelection
            selectedKeys={[grouping]}
            onSelectionChange={keys => {
              const [key] = [...keys];
              if (key === 'workload' || key === 'image') setGrouping(key);
            }}
          >
            <ToggleButton id="workload" size="small">
              By workload
            </ToggleButton>
            <ToggleButton id="image" size="small">
              By image
            </ToggleButton>
          </ToggleButtonGroup>
          <SearchField
            aria-label="Search containers"
            placeholder="Search"
            size="small"
            value={search}
            onChange={setSearch}
          />
        </Flex>
      </Flex>
      <Table<TableRow>
        columnConfig={columns}
        data={rows}
        sort={{ descriptor: sort, onSortChange: setSort }}
        emptyState={
          <Text variant="body-medium">
            {`No ${unit} matches${search ? ` "${search}"` : ''}.`}
          </Text>
        }
        pagination={
          visible.length > PAGE_SIZES[0]
            ? {
                type: 'page',
                pageSize,
                pageSizeOptions: PAGE_SIZES,
                offset,
                totalCount: visible.length,
                hasNextPage: offset + pageSize < visible.length,
                hasPreviousPage: offset > 0,
                onNextPage: () => setOffset(offset + pageSize),
                onPreviousPage: () => setOffset(Math.max(0, offset - pageSize)),
                onPageSizeChange: setPageSize,
              }
            : { type: 'none' }
        }
        rowConfig={({ item }) =>
          item.type === 'details' ? (
            <Row id={item.id} data-details-of={item.group.id}>
              <Cell colSpan={columns.length}>
                <GroupDetails
                  group={item.group}
                  vulnerabilitiesUnavailable={vulnerabilitiesUnavailable}
                />
              </Cell>
            </Row>
          ) : (
            <Row
              id={item.id}
              columns={columns}
              data-verdict-row={item.group.verdict}
            >
              {column => column.cell(item)}
            </Row>
          )
        }
      />
    </section>
  );
}
