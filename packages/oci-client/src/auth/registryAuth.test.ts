import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { serverNow } from '@internal/test/harness/serverClock';
import { skopeoInspect } from '@internal/test/harness/skopeo';
import {
  startTokenServer,
  TokenServer,
} from '@internal/test/harness/token-server';
import { gzipSync } from 'node:zlib';
import { OciClient } from '../client';
import { OciError } from '../errors';
import { lines, logMark, requestsSince } from '../testing/registryLog';
import { RequestEvent } from '../transport/observer';
import {
  credentialsFromDockerConfig,
  credentialsFromPullSecret,
} from './credentials';

jest.setTimeout(60_000);

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('basic auth (htpasswd)', () => {
  const basicAuth = { username: 'pusher', password: 's3cret: pass' };
  let registry: TestRegistry;
  let digest: string;

  beforeAll(async () => {
    registry = await startRegistry({ basicAuth });
    digest = (
      await pushImage(
        registry.url,
        'private/app',
        'v1',
        { created: '2024-05-05T00:00:00Z', labels: { secret: 'no' } },
        basicAuth,
      )
    ).digest;
  });
  afterAll(() => registry?.stop());

  it('reads with explicit per-host credentials, as skopeo does', async () => {
    const client = new OciClient({
      credentials: { [registry.host]: basicAuth },
    });
    const mark = await logMark(registry);
    const details = await client.inspect(`${registry.host}/private/app:v1`);
    const requests = await requestsSince(registry, mark);

    const skopeo = await skopeoInspect(`${registry.host}/private/app:v1`, {
      creds: `${basicAuth.username}:${basicAuth.password}`,
    });
    expect(details.digest).toBe(skopeo.Digest);
    expect(details.digest).toBe(digest);
    expect(details.labels).toEqual(skopeo.Labels);
    expect(details.created).toBe(new Date(skopeo.Created).toISOString());
    // one ping learns "Basic", then every request carries the credentials at once
    expect(lines(requests)).toEqual([
      'GET /v2/ 401',
      'GET /v2/private/app/manifests/v1 200',
      `GET /v2/private/app/blobs/${details.configDigest} 200`,
    ]);
  });

  it('reads with credentials from a Docker config and from a pull secret', async () => {
    const auths = {
      [`http://${registry.host}`]: {
        auth: b64(`${basicAuth.username}:${basicAuth.password}`),
      },
    };
    const fromConfig = new OciClient({
      credentials: credentialsFromDockerConfig(JSON.stringify({ auths })),
    });
    expect(
      (await fromConfig.headManifest(`${registry.host}/private/app:v1`)).digest,
    ).toBe(digest);
    const fromSecret = new OciClient({
      credentials: credentialsFromPullSecret({
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
      }),
    });
    expect(
      (await fromSecret.headManifest(`${registry.host}/private/app:v1`)).digest,
    ).toBe(digest);
  });

  it('fails with AUTHENTICATION saying what to do, without credentials and with a wrong password', async () => {
    const anonymous: OciError = await new OciClient()
      .headManifest(`${registry.host}/private/app:v1`)
      .catch(e => e);
    expect(anonymous).toMatchObject({ code: 'AUTHENTICATION', status: 401 });
    expect(anonymous.message).toContain(
      `no credentials are configured for ${registry.host}`,
    );

    const wrong: OciError = await new OciClient({
      credentials: () => ({ username: 'pusher', password: 'guess' }),
    })
      .headManifest(`${registry.host}/private/app:v1`)
      .catch(e => e);
    expect(wrong).toMatchObject({ code: 'AUTHENTICATION', status: 401 });
    expect(wrong.message).toContain('the password of user "pusher"');
    expect(wrong.message).not.toContain('guess');
  });
});

describe('bearer-token auth (the token flow of Docker Hub, GHCR and GCR)', () => {
  let tokens: TokenServer;
  let registry: TestRegistry;
  const pusher = { username: 'pusher', password: 'push-pass' };
  const reader = { username: 'reader', password: 'read-pass' };

  /** Pushes an image through the client, with push rights. */
  async function push(
    client: OciClient,
    repository: string,
    tag: string,
    label: string,
  ) {
    const ref = `${registry.host}/${repository}:${tag}`;
    const layer = gzipSync(Buffer.from(`layer of ${label}`));
    const config = Buffer.from(
      JSON.stringify({
        created: '2024-08-01T00:00:00Z',
        architecture: 'amd64',
        os: 'linux',
        config: { Labels: { label } },
        rootfs: { type: 'layers', diff_ids: [] },
      }),
    );
    const layerUpload = await client.uploadBlob(ref, layer);
    const configUpload = await client.uploadBlob(ref, config);
    return client.putManifest(ref, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configUpload.digest,
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: layerUpload.digest,
          size: layer.length,
        },
      ],
    });
  }

  beforeAll(async () => {
    tokens = await startTokenServer({
      users: {
        [pusher.username]: pusher.password,
        [reader.username]: reader.password,
      },
      grant: (user, scope) =>
        user === 'pusher'
          ? scope.actions
          : scope.actions.filter(
              a => a === 'pull' && scope.type === 'repository',
            ),
    });
    registry = await startRegistry({ tokenAuth: tokens.registryAuth });
    const client = new OciClient({ credentials: { [registry.host]: pusher } });
    await push(client, 'public/one', 'v1', 'one');
    await push(client, 'public/two', 'v1', 'two');
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  it('pulls anonymously with one token per repository scope, shared by concurrent requests', async () => {
    const client = new OciClient();
    const before = tokens.requests().length;
    const refs = ['public/one:v1', 'public/two:v1'].map(
      r => `${registry.host}/${r}`,
    );
    const details = await Promise.all(
      [...refs, ...refs, ...refs].map(ref => client.inspect(ref)),
    );
    await Promise.all(refs.map(ref => client.headManifest(ref)));
    const requested = tokens.requests().slice(before);

    expect(details.map(d => d.labels.label)).toEqual([
      'one',
      'two',
      'one',
      'two',
      'one',
      'two',
    ]);
    expect(requested.map(r => [r.grant, r.scopes.join(' '), r.status])).toEqual(
      expect.arrayContaining([
        ['anonymous', 'repository:public/one:pull', 200],
        ['anonymous', 'repository:public/two:pull', 200],
      ]),
    );
    expect(requested).toHaveLength(2);
    expect(requested[0].service).toBe(tokens.service);
  });

  it('agrees with skopeo on digest, created and labels', async () => {
    const ref = `${registry.host}/public/one:v1`;
    const details = await new OciClient({
      credentials: { [registry.host]: reader },
    }).inspect(ref);
    const skopeo = await skopeoInspect(ref, {
      creds: `${reader.username}:${reader.password}`,
    });
    expect(details.digest).toBe(skopeo.Digest);
    expect(details.created).toBe(new Date(skopeo.Created).toISOString());
    expect(details.labels).toEqual(skopeo.Labels);
  });

  it('keeps a token until it expires, then asks for a new one', async () => {
    tokens.setExpiresIn(1);
    try {
      const client = new OciClient();
      const ref = `${registry.host}/public/one:v1`;
      const before = tokens.requests().length;
      await client.headManifest(ref);
      await client.getManifest(ref);
      expect(tokens.requests().length - before).toBe(1);
      await new Promise(resolve => setTimeout(resolve, 1000));
      await client.headManifest(ref);
      expect(tokens.requests().length - before).toBe(2);
    } finally {
      tokens.setExpiresIn(300);
    }
  });

  it('logs in at the token endpoint with basic credentials to push, and reads with an identity token', async () => {
    const client = new OciClient({ credentials: { [registry.host]: pusher } });
    const before = tokens.requests().length;
    const { digest } = await push(client, 'team/pushed', 'v1', 'pushed');
    const pushRequests = tokens.requests().slice(before);
    expect(pushRequests).toEqual([
      expect.objectContaining({
        grant: 'basic',
        user: 'pusher',
        scopes: ['repository:team/pushed:pull,push'],
        status: 200,
      }),
    ]);

    const identityToken = tokens.issueRefreshToken('reader');
    const viaIdentity = new OciClient({
      credentials: credentialsFromDockerConfig({
        auths: {
          [registry.host]: {
            username: '<token>',
            identitytoken: identityToken,
          },
        },
      }),
    });
    expect(
      (await viaIdentity.headManifest(`${registry.host}/team/pushed:v1`))
        .digest,
    ).toBe(digest);
    expect(tokens.requests().slice(-1)[0]).toMatchObject({
      method: 'POST',
      grant: 'refresh_token',
      user: 'reader',
      scopes: ['repository:team/pushed:pull'],
    });
  });

  it('uses a bearer token as given, and fails with AUTHENTICATION when the registry refuses it', async () => {
    const answer = await fetch(
      `${tokens.realm}?service=${tokens.service}&scope=repository:public/two:pull`,
    ).then(r => r.json());
    const before = tokens.requests().length;
    const client = new OciClient({
      credentials: () => ({ token: answer.token }),
    });
    expect(
      (await client.inspect(`${registry.host}/public/two:v1`)).labels,
    ).toEqual({
      label: 'two',
    });
    expect(tokens.requests().length).toBe(before);

    const foreign = tokens.signToken({
      iss: 'test-token-issuer',
      aud: 'another-service',
      // valid but for its audience, by the registry's clock
      exp: Math.floor(serverNow() / 1000) + 300,
      nbf: 0,
      iat: Math.floor(serverNow() / 1000),
      jti: 'x',
      access: [{ type: 'repository', name: 'public/two', actions: ['pull'] }],
    });
    const refused: OciError = await new OciClient({
      credentials: () => ({ token: foreign }),
    })
      .headManifest(`${registry.host}/public/two:v1`)
      .catch(e => e);
    expect(refused).toMatchObject({ code: 'AUTHENTICATION', status: 401 });
  });

  it('refuses a push by a pull-only user with AUTHENTICATION (insufficient_scope) after one fresh token', async () => {
    const events: RequestEvent[] = [];
    const client = new OciClient({
      credentials: { [registry.host]: reader },
      observer: event => events.push(event),
    });
    const error: OciError = await client
      .uploadBlob(`${registry.host}/public/one:v2`, Buffer.from('not allowed'))
      .catch(e => e);
    expect(error).toBeInstanceOf(OciError);
    expect(error).toMatchObject({
      code: 'AUTHENTICATION',
      status: 401,
      registryCode: 'UNAUTHORIZED',
    });
    expect(error.message).toContain('the password of user "reader"');
    expect(events.filter(e => e.kind === 'token').map(e => e.status)).toEqual([
      200, 200,
    ]);
    // HEAD on the blob needs only pull, so the registry answers it; the upload's POST is refused twice
    expect(events.filter(e => e.kind === 'blob').map(e => e.status)).toEqual([
      404,
    ]);
    expect(
      events.filter(e => e.kind === 'upload').map(e => [e.method, e.status]),
    ).toEqual([
      ['POST', 401],
      ['POST', 401],
    ]);
  });

  it('fails with AUTHENTICATION when the token endpoint refuses the password', async () => {
    const error: OciError = await new OciClient({
      credentials: {
        [registry.host]: { username: 'pusher', password: 'wrong' },
      },
    })
      .headManifest(`${registry.host}/public/one:v1`)
      .catch(e => e);
    expect(error).toMatchObject({ code: 'AUTHENTICATION', status: 401 });
    expect(error.message).toBe(
      `${tokens.realm.replace(
        /^http:\/\/|\/token$/g,
        '',
      )} answered 401 (incorrect username or password) to a request for a token for repository:public/one:pull; check the credentials configured for ${
        registry.host
      } (the password of user "pusher").`,
    );
  });

  it('lists repositories with the registry:catalog:* scope, which only some users get', async () => {
    const client = new OciClient({ credentials: { [registry.host]: pusher } });
    expect((await client.listRepositories(registry.host)).sort()).toEqual(
      expect.arrayContaining(['public/one', 'public/two', 'team/pushed']),
    );
    const denied = await new OciClient({
      credentials: { [registry.host]: reader },
    })
      .listRepositories(registry.host)
      .catch(e => e);
    expect(denied).toMatchObject({ code: 'AUTHENTICATION' });
  });
});
