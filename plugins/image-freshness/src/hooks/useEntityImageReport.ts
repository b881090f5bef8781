import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { imageFreshnessApiRef } from '../api';

/** The current entity's image report, with loading, error and retry. */
export function useEntityImageReport() {
  const { entity } = useEntity();
  const api = useApi(imageFreshnessApiRef);
  const entityRef = getCompoundEntityRef(entity);
  const state = useAsyncRetry(
    () => api.getEntityReport(entityRef),
    [api, entityRef.kind, entityRef.namespace, entityRef.name],
  );
  return { ...state, entity, entityRef };
}
