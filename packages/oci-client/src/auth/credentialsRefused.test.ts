import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import {
  startTokenServer,
  TokenServer,
} from '@internal/test/harness/token-server';
import { OciClient } from '../client';
import { OciError } from '../errors';
import { lines, logMark, requestsSince } from '../testing/registryLog';
import { BasicCredentials, RegistryCredentials } from './credentials';

jest.setTimeout(60_000);

const USER = 'AWS';

/**
 * A credential source that mints, as a cloud provider does: it keeps its
 * answer until told it was refused, then mints `minted-N`, which `onMint`
 * makes the registry (or token endpoint) accept, unless the test says the
 * registry refuses fresh passwords too. Its hook always says fresh
 * credentials are to be had: the client alone bounds the retries.
 */
function mintingSource(onMint: (credentials: BasicCredentials) => unknown) {
  const minted: string[] = [];
  const refusals: string[] = [];
  let current: Promise<BasicCredentials> | undefined;
  let acceptFresh = true;
  const mint = async () => {
    const credentials = {
      username: USER,
      password: `minted-${minted.length + 1}`,
    };
    minted.push(credentials.password);
    if (acceptFresh) await onMint(credentials);
    return credentials;
  };
  return {
    credentials: () => (current ??= mint()),
    credentialsRefused: (
      _registry: string,
      _repository: string | undefined,
      refused: RegistryCredentials,
    ) => {
      refusals.push('password' in refused ? refused.password : '?');
      current = undefined;
      return true;
    },
    minted: () => [...minted],
    refusals: () => [...refusals],
    refuseFresh() {
      acceptFresh = false;
    },
  };
}

describe('a Basic-auth registry refusing a minted password', () => {
  let registry: TestRegistry;
  let digest: string;

  beforeAll(async () => {
    const initial = { username: USER, password: 'initial' };
    registry = await startRegistry({ basicAuth: initial });
    digest = (
      await pushImage(
        registry.url,
        'team/api',
        '1.0',
        { created: '2026-11-01T08:00:00.000Z' },
        initial,
      )
    ).digest;
  });
  afterAll(() => registry?.stop());

  it('retries the same request once with a fresh mint: the first lookup after a revocation succeeds', async () => {
    const source = mintingSource(c => registry.acceptOnly(c));
    const client = new OciClient(source);
    const ref = `${registry.host}/team/api:1.0`;
    expect((await client.headManifest(ref)).digest).toBe(digest);
    expect(source.minted()).toEqual(['minted-1']);

    // the registry stops taking minted-1 (revoked, rotated)
    await registry.acceptOnly({ username: USER, password: 'rotated' });
    const mark = await logMark(registry);
    expect((await client.headManifest(ref)).digest).toBe(digest);
    // one lookup, one extra mint, the refused request sent again with it
    expect(source.minted()).toEqual(['minted-1', 'minted-2']);
    expect(source.refusals()).toEqual(['minted-1']);
    expect(lines(await requestsSince(registry, mark))).toEqual([
      'HEAD /v2/team/api/manifests/1.0 401',
      'HEAD /v2/team/api/manifests/1.0 200',
    ]);
  });

  it('gives AUTHENTICATION after exactly one retry when the registry refuses the fresh password too', async () => {
    const source = mintingSource(c => registry.acceptOnly(c));
    const client = new OciClient(source);
    const ref = `${registry.host}/team/api:1.0`;
    expect((await client.headManifest(ref)).digest).toBe(digest);
    source.refuseFresh();
    await registry.acceptOnly({ username: USER, password: 'rotated-again' });
    const mark = await logMark(registry);
    const error: OciError = await client.headManifest(ref).catch(e => e);
    expect(error).toMatchObject({ code: 'AUTHENTICATION', status: 401 });
    expect(error.message).not.toContain('minted-');
    // the source says "fresh ones" every time; the client still retries once only
    expect(source.minted()).toEqual(['minted-1', 'minted-2']);
    expect(source.refusals()).toEqual(['minted-1']);
    expect(lines(await requestsSince(registry, mark))).toEqual([
      'HEAD /v2/team/api/manifests/1.0 401',
      'HEAD /v2/team/api/manifests/1.0 401',
    ]);
  });

  it('does not retry without a hook: the refusal is the answer', async () => {
    let calls = 0;
    const client = new OciClient({
      credentials: () => {
        calls += 1;
        return { username: USER, password: 'never-accepted' };
      },
    });
    const mark = await logMark(registry);
    const error: OciError = await client
      .headManifest(`${registry.host}/team/api:1.0`)
      .catch(e => e);
    expect(error).toMatchObject({ code: 'AUTHENTICATION', status: 401 });
    expect(
      lines(await requestsSince(registry, mark)).filter(l =>
        l.startsWith('HEAD'),
      ),
    ).toEqual(['HEAD /v2/team/api/manifests/1.0 401']);
    expect(calls).toBeGreaterThan(0);
  });
});

describe('a bearer-token registry whose token endpoint refuses a minted password', () => {
  const pusher = { username: 'pusher', password: 'push-pass' };
  let tokens: TokenServer;
  let registry: TestRegistry;

  beforeAll(async () => {
    tokens = await startTokenServer({
      users: { [pusher.username]: pusher.password, [USER]: 'initial' },
    });
    registry = await startRegistry({ tokenAuth: tokens.registryAuth });
    const client = new OciClient({ credentials: { [registry.host]: pusher } });
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [] },
      }),
    );
    for (const repository of ['team/a', 'team/b', 'team/c']) {
      const ref = `${registry.host}/${repository}:1.0`;
      const uploaded = await client.uploadBlob(ref, config);
      await client.putManifest(ref, {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: uploaded.digest,
          size: config.length,
        },
        layers: [],
      });
    }
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  /** The token endpoint's answers to the minting user since `mark`. */
  const tokenAnswers = (mark: number) =>
    tokens
      .requests()
      .slice(mark)
      .filter(r => r.grant === 'basic')
      .map(r => r.status);

  it('retries the same request once with a fresh mint; a token endpoint that refuses the fresh one too gives AUTHENTICATION after one retry', async () => {
    const source = mintingSource(c => tokens.acceptOnly(c));
    const client = new OciClient(source);
    await client.headManifest(`${registry.host}/team/a:1.0`);
    expect(source.minted()).toEqual(['minted-1']);

    // rotated: the next token request (a repository not asked for yet) is refused
    tokens.acceptOnly({ username: USER, password: 'rotated' });
    let mark = tokens.requests().length;
    await client.headManifest(`${registry.host}/team/b:1.0`);
    expect(source.minted()).toEqual(['minted-1', 'minted-2']);
    expect(source.refusals()).toEqual(['minted-1']);
    expect(tokenAnswers(mark)).toEqual([401, 200]);

    source.refuseFresh();
    tokens.acceptOnly({ username: USER, password: 'rotated-again' });
    mark = tokens.requests().length;
    const error: OciError = await client
      .headManifest(`${registry.host}/team/c:1.0`)
      .catch(e => e);
    expect(error).toMatchObject({ code: 'AUTHENTICATION', status: 401 });
    expect(error.message).not.toContain('minted-');
    expect(source.minted()).toEqual(['minted-1', 'minted-2', 'minted-3']);
    expect(source.refusals()).toEqual(['minted-1', 'minted-2']);
    expect(tokenAnswers(mark)).toEqual([401, 401]);
  });
});
