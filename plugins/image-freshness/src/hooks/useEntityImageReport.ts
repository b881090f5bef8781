import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import { useRef } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { imageFreshnessApiRef } from '../api';

/**
 * The current entity's image report, with loading, error and retry. While it
 * reloads, and when a reload fails, the last report stays: `value` is only
 * empty before the first answer, and `error` then says why.
 */
export function useEntityImageReport() {
  const { entity } = useEntity();
  const api = useApi(imageFreshnessApiRef);
  const entityRef = getCompoundEntityRef(entity);
  const key = stringifyEntityRef(entityRef);
  const state = useAsyncRetry(
    () => api.getEntityReport(entityRef),
    [api, entityRef.kind, entityRef.namespace, entityRef.name],
  );
  const last = useRef<{ key: string; report: EntityImageReport }>();
  if (state.value) {
    last.current = { key, report: state.value };
  }
  const value =
    state.value ??
    (last.current?.key === key ? last.current.report : undefined);
  return {
    value,
    /** True until the first answer (later reloads keep the shown report). */
    loading: state.loading && !value,
    reloading: state.loading && Boolean(value),
    error: state.error,
    retry: state.retry,
    entity,
    entityRef,
  };
}
