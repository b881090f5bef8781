import { mockServices } from '@backstage/backend-test-utils';
import type { RegistryCredentialProvider } from 'backstage-plugin-image-freshness-node';
import { OciError } from 'oci-client';
import {
  credentialsFromProviders,
  RENEW_BEFORE_EXPIRY_MS,
} from './credentialProviders';

const T0 = new Date('2026-11-22T12:00:00Z');

/** A provider for `host` that mints `pass-N` tokens living `lifetimeMs` (for good when undefined). */
function minting(host: string, now: () => Date, lifetimeMs?: number) {
  const calls: string[] = [];
  const provider: RegistryCredentialProvider = {
    name: `minter-${host}`,
    matches: registry => registry === host,
    async getCredentials({ registry, repository }) {
      calls.push(`${registry}/${repository ?? ''}`);
      await new Promise(resolve => setImmediate(resolve));
      return {
        credentials: { username: 'AWS', password: `pass-${calls.length}` },
        ...(lifetimeMs === undefined
          ? {}
          : { expiresAt: new Date(now().getTime() + lifetimeMs) }),
      };
    },
  };
  return { provider, calls };
}

describe('credentialsFromProviders', () => {
  it('shares one mint among concurrent lookups and keeps it until shortly before it expires', async () => {
    let now = T0;
    const clock = () => now;
    const ecr = minting('ecr.example', clock, 12 * 3600_000);
    const source = credentialsFromProviders({
      providers: [ecr.provider],
      logger: mockServices.logger.mock(),
      now: clock,
    })!.lookup;

    const burst = await Promise.all(
      Array.from({ length: 10 }, () => source('ecr.example', 'team/api')),
    );
    expect(burst.map(c => c && 'password' in c && c.password)).toEqual(
      Array(10).fill('pass-1'),
    );
    expect(ecr.calls).toEqual(['ecr.example/team/api']);

    // just before the renewal margin: still the first token
    now = new Date(T0.getTime() + 12 * 3600_000 - RENEW_BEFORE_EXPIRY_MS - 1);
    expect(await source('ecr.example', 'team/api')).toMatchObject({
      password: 'pass-1',
    });
    // inside it: minted again, once
    now = new Date(T0.getTime() + 12 * 3600_000 - RENEW_BEFORE_EXPIRY_MS);
    const renewed = await Promise.all([
      source('ecr.example', 'team/api'),
      source('ecr.example', 'team/api'),
    ]);
    expect(renewed).toEqual([
      expect.objectContaining({ password: 'pass-2' }),
      expect.objectContaining({ password: 'pass-2' }),
    ]);
    expect(ecr.calls).toHaveLength(2);
    // another repository is its own answer
    await source('ecr.example', 'team/web');
    expect(ecr.calls).toEqual([
      'ecr.example/team/api',
      'ecr.example/team/api',
      'ecr.example/team/web',
    ]);
  });

  it('mints one 12-hour token per lifetime over 1,000 lookups spread across a day', async () => {
    let now = T0;
    const ecr = minting('ecr.example', () => now, 12 * 3600_000);
    const source = credentialsFromProviders({
      providers: [{ ...ecr.provider, scope: 'registry' }],
      logger: mockServices.logger.mock(),
      now: () => now,
    })!.lookup;
    for (let i = 0; i < 1000; i++) {
      now = new Date(T0.getTime() + i * 86_400);
      await source('ecr.example', `team/app-${i % 7}`);
    }
    // at 0 h, at 11 h 55 min and at 23 h 50 min
    expect(ecr.calls).toHaveLength(3);
  });

  it('keeps one answer per registry for providers of registry scope', async () => {
    const ecr = minting('ecr.example', () => T0, 12 * 3600_000);
    const source = credentialsFromProviders({
      providers: [{ ...ecr.provider, scope: 'registry' }],
      logger: mockServices.logger.mock(),
      now: () => T0,
    })!.lookup;
    const answers = await Promise.all(
      ['team/api', 'team/web', 'team/db', 'team/api'].map(repository =>
        source('ecr.example', repository),
      ),
    );
    expect(answers).toEqual(
      Array(4).fill(expect.objectContaining({ password: 'pass-1' })),
    );
    expect(ecr.calls).toEqual(['ecr.example/team/api']);
  });

  it('answers a refusal of the credentials it gave: fresh ones (one mint) for the first, the new ones (no mint) for requests refused with the old, none for a refusal of the fresh', async () => {
    const ecr = minting('ecr.example', () => T0, 12 * 3600_000);
    const provided = credentialsFromProviders({
      providers: [{ ...ecr.provider, scope: 'registry' }],
      logger: mockServices.logger.mock(),
      now: () => T0,
    })!;
    const old = await provided.lookup('ecr.example', 'team/api');
    // five requests refused with the old password at once: one mint serves them
    const answers = [1, 2, 3, 4, 5].map(() =>
      provided.refused('ecr.example', 'team/api', old),
    );
    expect(answers).toEqual([true, true, true, true, true]);
    const fresh = await provided.lookup('ecr.example', 'team/api');
    expect(fresh).toMatchObject({ password: 'pass-2' });
    expect(provided.refused('ecr.example', 'team/web', old)).toBe(true);
    expect(ecr.calls).toHaveLength(2);
    // the fresh password refused too: no retry, kept until it expires
    expect(provided.refused('ecr.example', 'team/api', fresh)).toBe(false);
    expect(await provided.lookup('ecr.example', 'team/api')).toEqual(fresh);
    expect(ecr.calls).toHaveLength(2);
    // credentials the providers never gave (configured ones) are none of theirs
    expect(
      provided.refused('other.example', 'x', { username: 'u', password: 'p' }),
    ).toBe(false);
  });

  it('mints again once after a refusal, then keeps the new answer however often the registry refuses it', async () => {
    const ecr = minting('ecr.example', () => T0, 12 * 3600_000);
    const gar = minting('gar.example', () => T0, 3600_000);
    const provided = credentialsFromProviders({
      providers: [{ ...ecr.provider, scope: 'registry' }, gar.provider],
      logger: mockServices.logger.mock(),
      now: () => T0,
    })!;
    await provided.lookup('ecr.example', 'team/api');
    await provided.lookup('gar.example', 'p/r/img');
    // true: the client may try the refused request once more
    expect(provided.refused('ecr.example')).toBe(true);
    expect(await provided.lookup('ecr.example', 'team/api')).toMatchObject({
      password: 'pass-2',
    });
    // the re-minted answer is kept: no mint per refused request
    // (false: no retry of the refused request)
    for (let i = 0; i < 5; i++) {
      expect(provided.refused('ecr.example')).toBe(false);
    }
    expect(await provided.lookup('ecr.example', 'team/web')).toMatchObject({
      password: 'pass-2',
    });
    expect(ecr.calls).toHaveLength(2);
    // other registries keep theirs
    expect(await provided.lookup('gar.example', 'p/r/img')).toMatchObject({
      password: 'pass-1',
    });
    expect(gar.calls).toHaveLength(1);
  });

  it('keeps an answer without expiry for good', async () => {
    let now = T0;
    const forever = minting('static.example', () => now);
    const source = credentialsFromProviders({
      providers: [forever.provider],
      logger: mockServices.logger.mock(),
      now: () => now,
    })!.lookup;
    await source('static.example');
    now = new Date(T0.getTime() + 365 * 86_400_000);
    expect(await source('static.example')).toMatchObject({
      password: 'pass-1',
    });
    expect(forever.calls).toHaveLength(1);
  });

  it('asks only providers that match, goes on past one that fails (logging no secret), and answers nothing for unknown hosts', async () => {
    const logger = mockServices.logger.mock();
    const asked: string[] = [];
    const failing: RegistryCredentialProvider = {
      name: 'broken',
      matches: registry => registry === 'gar.example',
      async getCredentials({ registry }) {
        asked.push(`broken ${registry}`);
        throw new Error('token service unreachable');
      },
    };
    const empty: RegistryCredentialProvider = {
      name: 'empty',
      matches: registry => registry === 'gar.example',
      async getCredentials({ registry }) {
        asked.push(`empty ${registry}`);
        return undefined;
      },
    };
    const gar = minting('gar.example', () => T0, 3600_000);
    const source = credentialsFromProviders({
      providers: [failing, empty, gar.provider],
      logger,
      now: () => T0,
    })!.lookup;

    expect(await source('gar.example')).toMatchObject({ password: 'pass-1' });
    expect(asked).toEqual(['broken gar.example', 'empty gar.example']);
    expect(logger.warn).toHaveBeenCalledWith(
      'Registry credential provider failed',
      {
        provider: 'broken',
        registry: 'gar.example',
        error: 'token service unreachable',
      },
    );
    // a failure is not kept: the next lookup asks again
    await source('gar.example');
    expect(asked.filter(a => a.startsWith('broken'))).toHaveLength(2);

    expect(await source('quay.example')).toBeUndefined();
    expect(gar.calls).toHaveLength(1);
  });

  it('fails with AUTHENTICATION naming the provider, the host and its advice when no matching provider answers', async () => {
    const logger = mockServices.logger.mock();
    let calls = 0;
    const refused: RegistryCredentialProvider = {
      name: 'aws-ecr',
      matches: registry => registry === 'ecr.example',
      async getCredentials() {
        calls += 1;
        throw new Error(
          'GetAuthorizationToken was refused (AccessDeniedException); grant ecr:GetAuthorizationToken to the role in aws.accounts',
        );
      },
    };
    const source = credentialsFromProviders({
      providers: [refused],
      logger,
      now: () => T0,
    })!.lookup;
    const failure = await Promise.resolve(source('ecr.example', 'team/api'))
      .then(() => undefined)
      .catch(e => e);
    expect(failure).toBeInstanceOf(OciError);
    expect(failure).toMatchObject({
      code: 'AUTHENTICATION',
      host: 'ecr.example',
      message:
        'No credentials for ecr.example: the aws-ecr credential provider: GetAuthorizationToken was refused (AccessDeniedException); grant ecr:GetAuthorizationToken to the role in aws.accounts',
    });
    // the failure is not kept; hosts the provider does not speak for stay anonymous
    await expect(source('ecr.example', 'team/api')).rejects.toThrow(OciError);
    expect(calls).toBe(2);
    expect(await source('docker.io', 'library/node')).toBeUndefined();
  });

  it('asks no provider for a host the policy blocks, and passes the policy error on', async () => {
    const metadata = minting('169.254.169.254', () => T0, 3600_000);
    const checked: string[] = [];
    const blocked = new OciError(
      'BLOCKED_HOST',
      'Registry 169.254.169.254 is blocked',
      {
        host: '169.254.169.254',
      },
    );
    const source = credentialsFromProviders({
      providers: [metadata.provider],
      logger: mockServices.logger.mock(),
      checkHost: async host => {
        checked.push(host);
        if (host === '169.254.169.254') throw blocked;
      },
      now: () => T0,
    })!.lookup;
    await expect(source('169.254.169.254', 'x/y')).rejects.toBe(blocked);
    expect(metadata.calls).toEqual([]);
    // hosts no provider speaks for are not its business
    expect(await source('docker.io', 'library/node')).toBeUndefined();
    expect(checked).toEqual(['169.254.169.254']);
  });

  it('is no source at all without providers', () => {
    expect(
      credentialsFromProviders({
        providers: [],
        logger: mockServices.logger.mock(),
      }),
    ).toBeUndefined();
  });
});
