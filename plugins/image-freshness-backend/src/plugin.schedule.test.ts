/*
 * The refresh is scheduled with scope global (one replica at a time, under the
 * scheduler's database lock) whatever `imageFreshness.schedule` holds: the
 * schedule's reader answers a `scope` of its own, which must not decide it.
 */
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { JsonObject } from '@backstage/types';
import { startPluginBackend } from './__testUtils__/pluginBackend';

jest.setTimeout(60_000);

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

describe('imageFreshness.globalTasks', () => {
  /** A registry health probe: a task on every replica (scope local). */
  const PROBES = [{ registry: '127.0.0.1:9', repository: 'probe' }];

  async function scheduled(imageFreshness: JsonObject) {
    const { backend, scheduler } = await startPluginBackend({
      features: [catalogServiceMock.factory({ entities: [] })],
      config: { imageFreshness: { healthProbes: PROBES, ...imageFreshness } },
    });
    try {
      return (await scheduler.getScheduledTasks()).map(t => ({
        id: t.id,
        scope: t.scope,
      }));
    } finally {
      await backend.stop();
    }
  }

  it('false leaves every global task to other replicas and keeps the per-replica ones', async () => {
    const all = await scheduled({});
    const serving = await scheduled({ globalTasks: false });
    // With them: the refresh and the repository scans.
    expect(all.filter(t => t.scope === 'global').map(t => t.id)).toEqual([
      'image-freshness-refresh',
      'image-freshness-scans',
    ]);
    expect(serving.filter(t => t.scope === 'global')).toEqual([]);
    // The registry probes run on every replica, either way.
    const local = all.filter(t => t.scope === 'local');
    expect(local.length).toBeGreaterThan(0);
    expect(serving).toEqual(local);
  });
});
