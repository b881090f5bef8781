import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { useCallback } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { imageFreshnessApiRef } from '../api';

/**
 * The current entity's rebuild attempts (the rebuild module), and a trigger
 * that reloads them. `rebuilds` stays undefined when the backend has no
 * rebuild routes: then nothing about rebuilds is shown.
 */
export function useRebuilds() {
  const { entity } = useEntity();
  const api = useApi(imageFreshnessApiRef);
  const entityRef = getCompoundEntityRef(entity);
  const { kind, namespace, name } = entityRef;
  const state = useAsyncRetry(
    async () =>
      api.getRebuilds?.({ kind, namespace, name }).catch(() => undefined),
    [api, kind, namespace, name],
  );
  const { retry } = state;
  const trigger = useCallback(
    async (image: string) => {
      if (!api.triggerRebuild) return;
      // a refusal is shown where the button is; an attempt reloads the list
      await api.triggerRebuild({ kind, namespace, name }, image);
      retry();
    },
    [api, kind, namespace, name, retry],
  );
  return { rebuilds: state.value, trigger };
}
