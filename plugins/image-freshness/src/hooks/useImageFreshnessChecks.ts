import { getCompoundEntityRef } from '@backstage/catalog-model';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { useMemo } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { ImageFreshnessChecksClient } from '../api';

/** The current entity's Tech Insights checks on image-freshness facts, with loading, error and retry. */
export function useImageFreshnessChecks() {
  const { entity } = useEntity();
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const client = useMemo(
    () => new ImageFreshnessChecksClient({ discoveryApi, fetchApi }),
    [discoveryApi, fetchApi],
  );
  const entityRef = getCompoundEntityRef(entity);
  return useAsyncRetry(
    () => client.runChecks(entityRef),
    [client, entityRef.kind, entityRef.namespace, entityRef.name],
  );
}
