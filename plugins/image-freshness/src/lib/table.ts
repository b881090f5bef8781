import type { TableOptions } from '@backstage/core-components';

/** The options both tables share: paged beyond 25 rows, searchable, dense. */
export function pagedTableOptions<T extends object>(
  rows: number,
): TableOptions<T> {
  return {
    paging: rows > 25,
    pageSize: 25,
    pageSizeOptions: [25, 50, 100],
    emptyRowsWhenPaging: false,
    search: true,
    padding: 'dense',
    thirdSortClick: false,
  };
}
