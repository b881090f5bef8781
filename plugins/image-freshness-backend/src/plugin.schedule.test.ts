/*
 * The refresh is scheduled with scope global (one replica at a time, under the
 * scheduler's database lock) whatever `imageFreshness.schedule` holds: the
 * schedule's reader answers a `scope` of its own, which must not decide it.
 */
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { JsonObject } from '@backstage/types';
import { startPluginBackend } from './__testUtils__/pluginBackend';

async function refreshScope(imageFreshness: JsonObject) {
  const { backend, scheduler } = await startPluginBackend({
    features: [catalogServiceMock.factory({ entities: [] })],
    config: { imageFreshness },
  });
  try {
    const tasks = await scheduler.getScheduledTasks();
    return tasks.find(t => t.id === 'image-freshness-refresh')?.scope;
  } finally {
    await backend.stop();
  }
}

describe('the refresh schedule', () => {
  it.each([
    ['no schedule configured', {}],
    [
      'a configured schedule',
      { schedule: { frequency: { minutes: 5 }, timeout: { minutes: 1 } } },
    ],
    [
      'a configured schedule that asks for scope local',
      {
        schedule: {
          frequency: { minutes: 5 },
          timeout: { minutes: 1 },
          scope: 'local',
        },
      },
    ],
  ])('is global with %s', async (_, imageFreshness) => {
    expect(await refreshScope(imageFreshness)).toBe('global');
  });
});
