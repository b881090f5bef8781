import {
  CredentialBackendOptions,
  expectNothingWithoutConfig,
  withCredentialBackend,
  RENEWED_TOKEN_LIFETIME_SECONDS,
  waitOutRenewalWindow,
} from '@internal/test/harness/credentialBackend';
import {
  MintingRegistry,
  startMintingRegistry,
} from '@internal/test/harness/mintingRegistry';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import { EcrStandIn, startEcrStandIn } from '@internal/test/harness/ecrStandIn';
import { imageFreshnessModuleEcr } from './module';

jest.setTimeout(120_000);

const ACCOUNT = '123456789012';
const ACCESS_KEY = 'AKIASTANDIN000000001';
const SECRET_KEY = 'stand-in-secret-access-key-never-shown';

/** The test's two registries (private and public) and the ECR API stand-in whose tokens they accept. */
async function startParts(lifetimeSeconds: number) {
  const privateRegistry = await startMintingRegistry({
    username: 'AWS',
    repositories: [
      { repository: 'team/api', created: '2026-11-01T08:00:00.000Z' },
      { repository: 'team/web', created: '2026-11-02T08:00:00.000Z' },
    ],
  });
  const publicRegistry = await startMintingRegistry({
    username: 'AWS',
    repositories: [
      { repository: 'library/base', created: '2026-11-03T08:00:00.000Z' },
    ],
  });
  // each mint replaces the password its registry accepts: only the newest token works
  let publicMint = false;
  const standIn = await startEcrStandIn({
    accessKeyId: ACCESS_KEY,
    lifetimeSeconds,
    onMint: password =>
      (publicMint ? publicRegistry : privateRegistry).acceptOnly(password),
  });
  process.env.AWS_ENDPOINT_URL_ECR = standIn.url;
  process.env.AWS_ENDPOINT_URL_ECR_PUBLIC = standIn.url;
  return {
    privateRegistry,
    publicRegistry,
    standIn,
    digests: {
      api: privateRegistry.digests[0],
      web: privateRegistry.digests[1],
      base: publicRegistry.digests[0],
    },
    images: [...privateRegistry.images, ...publicRegistry.images],
    /** which registry the next mint is for */
    mintFor(which: 'private' | 'public') {
      publicMint = which === 'public';
    },
    /** the module with both registries configured, resolving the first `count` images from `from` */
    backend(from: number, count: number, entities: number) {
      return {
        features: [imageFreshnessModuleEcr],
        config: config(privateRegistry, publicRegistry),
        images: this.images.slice(from, from + count),
        entities,
      } satisfies CredentialBackendOptions;
    },
    async stop() {
      await standIn.stop();
      await privateRegistry.registry.stop();
      await publicRegistry.registry.stop();
    },
  };
}

function config(
  privateRegistry: MintingRegistry,
  publicRegistry: MintingRegistry,
) {
  return {
    aws: {
      mainAccount: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      accounts: [
        {
          accountId: ACCOUNT,
          accessKeyId: ACCESS_KEY,
          secretAccessKey: SECRET_KEY,
        },
      ],
    },
    imageFreshness: {
      ecr: {
        registries: [
          {
            host: privateRegistry.registry.host,
            accountId: ACCOUNT,
            region: 'eu-west-1',
          },
          { host: publicRegistry.registry.host, public: true },
        ],
      },
    },
  };
}

/** Nothing secret anywhere: not the minted passwords, their base64 tokens, nor the AWS secret key. */
function expectNoSecret(standIn: EcrStandIn, ...texts: string[]) {
  const secrets = [
    SECRET_KEY,
    ...standIn
      .minted()
      .flatMap(password => [
        password,
        Buffer.from(`AWS:${password}`).toString('base64'),
      ]),
  ];
  for (const text of texts) {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }
}

/** A manifest read the registry answered (its access log). */
const MANIFEST_READ =
  /"(GET|HEAD) \/v2\/team\/api\/manifests\/1\.0 HTTP\/1\.1" 200/;

function digestsOf(report: EntityImageReport) {
  return report.containers.map(c => [c.image, c.metadata?.digest, c.error]);
}

describe('ECR credentials, 12-hour tokens', () => {
  let parts: Awaited<ReturnType<typeof startParts>>;
  beforeAll(async () => {
    parts = await startParts(12 * 3600);
  });
  afterAll(() => parts?.stop());

  it('resolves images on ECR and ECR Public with the tokens minted for them, one mint per registry, kept while fresh', async () => {
    const { privateRegistry, standIn } = parts;
    // the private registry's token is minted first (two images, one mint), then the public one's
    parts.mintFor('private');
    await withCredentialBackend(parts.backend(0, 2, 4), async backend => {
      const first = await backend.resolve();
      expect(digestsOf(first)).toEqual([
        [parts.images[0], parts.digests.api, undefined],
        [parts.images[1], parts.digests.web, undefined],
      ]);
      expect(standIn.calls()).toEqual([
        {
          api: 'ecr',
          accessKeyId: ACCESS_KEY,
          region: 'eu-west-1',
          status: 200,
        },
      ]);
      // the registry answered the manifests, and takes the minted password only
      expect(privateRegistry.registry.logs().join('\n')).toMatch(MANIFEST_READ);
      expect(await privateRegistry.v2Status(standIn.minted()[0])).toBe(200);
      expect(
        await privateRegistry.v2Status(privateRegistry.initialPassword),
      ).toBe(401);
      // three more refreshes (cacheDuration 0s: every tag asked again) reuse the token
      for (let i = 0; i < 3; i++) {
        expect(digestsOf(await backend.resolve())).toEqual(digestsOf(first));
      }
      expect(standIn.calls()).toHaveLength(1);
      const metrics = await backend.metrics();
      expect(metrics).toContain('image_freshness_registry_requests_total{');
      expectNoSecret(
        standIn,
        backend.logs().join('\n'),
        JSON.stringify(first),
        metrics,
      );
    });

    parts.mintFor('public');
    await withCredentialBackend(parts.backend(2, 1, 1), async backend => {
      expect(digestsOf(await backend.resolve())).toEqual([
        [parts.images[2], parts.digests.base, undefined],
      ]);
      expect(standIn.calls().slice(1)).toEqual([
        {
          api: 'ecr-public',
          accessKeyId: ACCESS_KEY,
          region: 'us-east-1',
          status: 200,
        },
      ]);
      expectNoSecret(standIn, backend.logs().join('\n'));
    });
  });
});

describe('ECR credentials the registry stops taking', () => {
  let parts: Awaited<ReturnType<typeof startParts>>;
  beforeAll(async () => {
    parts = await startParts(12 * 3600);
  });
  afterAll(() => parts?.stop());

  it('mints again when the registry refuses the token and retries the same request, once per token: a registry that refuses everything costs no mint per request', async () => {
    const { privateRegistry, standIn } = parts;
    parts.mintFor('private');
    const revoke = () =>
      privateRegistry.acceptOnly(privateRegistry.initialPassword);
    await withCredentialBackend(parts.backend(0, 1, 4), async backend => {
      expect((await backend.resolve()).containers[0].error).toBeUndefined();
      expect(standIn.minted()).toHaveLength(1);

      // the token is revoked: the refused request mints again and is
      // sent once more with the new token, so this very refresh succeeds
      await revoke();
      const recovered = await backend.resolve();
      expect(recovered.containers[0].error).toBeUndefined();
      expect(recovered.containers[0].metadata?.digest).toBe(parts.digests.api);
      expect(standIn.minted()).toHaveLength(2);

      // revoked again: the re-minted token is kept until it expires
      await revoke();
      for (let i = 0; i < 2; i++) {
        expect((await backend.resolve()).containers[0].error?.class).toBe(
          'AUTHENTICATION',
        );
      }
      expect(standIn.minted()).toHaveLength(2);
      expectNoSecret(standIn, backend.logs().join('\n'));
    });
  });
});

describe('ECR credentials, tokens about to expire', () => {
  let parts: Awaited<ReturnType<typeof startParts>>;
  beforeAll(async () => {
    // the core mints again 5 minutes before expiry
    parts = await startParts(RENEWED_TOKEN_LIFETIME_SECONDS);
  });
  afterAll(() => parts?.stop());

  it('mints a new token once the old one is inside the renewal margin, and the registry takes only the new one', async () => {
    const { privateRegistry, standIn } = parts;
    await withCredentialBackend(parts.backend(0, 1, 2), async backend => {
      const first = await backend.resolve();
      expect(first.containers[0].metadata?.digest).toBe(parts.digests.api);
      expect(standIn.minted()).toHaveLength(1);
      await waitOutRenewalWindow();
      const second = await backend.resolve();
      expect(second.containers[0].error).toBeUndefined();
      expect(second.containers[0].metadata?.digest).toBe(parts.digests.api);
      expect(standIn.minted()).toHaveLength(2);
      const [old, renewed] = standIn.minted();
      expect(await privateRegistry.v2Status(renewed)).toBe(200);
      expect(await privateRegistry.v2Status(old)).toBe(401);
    });
  });
});

describe('ECR credentials that cannot be had', () => {
  let parts: Awaited<ReturnType<typeof startParts>>;
  beforeAll(async () => {
    parts = await startParts(12 * 3600);
  });
  afterAll(() => parts?.stop());

  it('fails the image with AUTHENTICATION naming the provider, the registry and the permission to grant, showing no secret', async () => {
    const { privateRegistry, standIn } = parts;
    const host = privateRegistry.registry.host;
    standIn.refuse(true);
    try {
      await withCredentialBackend(parts.backend(0, 1, 1), async backend => {
        const report = await backend.resolve();
        const error = report.containers[0].error;
        expect(error?.class).toBe('AUTHENTICATION');
        expect(error?.message).toContain(
          `No credentials for ${host}: the aws-ecr credential provider: GetAuthorizationToken for ${host} (account ${ACCOUNT}, region eu-west-1) failed (AccessDeniedException: User: arn:aws:iam::123456789012:user/portal is not authorized to perform: ecr:GetAuthorizationToken`,
        );
        expect(error?.message).toContain(
          `configure AWS credentials for account ${ACCOUNT} in the aws section of app-config`,
        );
        expect(standIn.calls().map(c => c.status)).toEqual([400]);
        // the registry never answered a manifest
        expect(privateRegistry.registry.logs().join('\n')).not.toMatch(
          MANIFEST_READ,
        );
        expectNoSecret(
          standIn,
          backend.logs().join('\n'),
          JSON.stringify(report),
        );
      });
    } finally {
      standIn.refuse(false);
    }
  });

  it('names the account to configure when the aws config has no credentials for it', async () => {
    const { publicRegistry, standIn } = parts;
    const host = publicRegistry.registry.host;
    // the account's credentials would come from STS (a role of the main account): refused here
    process.env.AWS_ENDPOINT_URL_STS = standIn.url;
    const before = standIn.calls().length;
    const options = {
      ...parts.backend(2, 1, 1),
      config: {
        aws: config(parts.privateRegistry, publicRegistry).aws,
        imageFreshness: {
          ecr: {
            registries: [
              { host, accountId: '210987654321', region: 'eu-west-1' },
            ],
          },
        },
      },
    };
    try {
      await withCredentialBackend(options, async backend => {
        const report = await backend.resolve();
        const error = report.containers[0].error;
        expect(error?.class).toBe('AUTHENTICATION');
        expect(error?.message).toContain(
          `No credentials for ${host}: the aws-ecr credential provider: `,
        );
        expect(error?.message).toContain(
          `${host} (account 210987654321, region eu-west-1)`,
        );
        expect(error?.message).toContain(
          'configure AWS credentials for account 210987654321 in the aws section of app-config (aws.accounts, aws.mainAccount)',
        );
        // no token was minted for it
        expect(
          standIn
            .calls()
            .slice(before)
            .map(c => c.status),
        ).not.toContain(200);
        expectNoSecret(
          standIn,
          backend.logs().join('\n'),
          JSON.stringify(report),
        );
      });
    } finally {
      delete process.env.AWS_ENDPOINT_URL_STS;
    }
  });

  it('adds nothing without imageFreshness.ecr: the registry refuses the anonymous request and the ECR API is never called', async () => {
    await expectNothingWithoutConfig({
      features: [imageFreshnessModuleEcr],
      image: parts.images[0],
      host: parts.privateRegistry.registry.host,
      asked: () => parts.standIn.calls().length,
    });
  });
});
