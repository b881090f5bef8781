/*
 * Security, end to end, on real parts: the real portal backend (with a real
 * permission policy that hides `confidential` entities from users), real
 * registries (basic auth, bearer-token auth), fault proxies in front of them
 * and the Kubernetes API stand-in. It proves that:
 * - images on blocked hosts (loopback not allowed, link-local, cloud metadata)
 *   and registry redirects or token realms pointing at them are refused with
 *   BLOCKED_HOST before any request: listeners on those hosts see no
 *   connection, in the report and in image_freshness_resolve_errors_total;
 * - no credential (registry passwords and tokens, a Docker config file's, one
 *   pasted into a reference, the cluster's service-account token, the metrics
 *   token, the AWS secret key, and every token the cloud modules minted: ECR
 *   passwords from the ECR API stand-in through the real AWS SDK, Entra ID
 *   tokens and ACR refresh tokens through the real @azure/identity, each
 *   unlocking a real registry that takes nothing else), nor its base64 form,
 *   appears in the backend's log, /metrics or any API answer;
 * - /metrics needs its token;
 * - entity reports and refreshes are closed to users the catalog does not let
 *   read the entity, while the scheduled refresh still covers it.
 */
import type {
  EntityImageReport,
  ImageFreshnessOverview,
} from 'backstage-plugin-image-freshness-common';
import { ACR_REFRESH_TOKEN_USER } from 'backstage-plugin-image-freshness-backend-module-azure';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  guestToken,
  portalConfig,
  startBackend,
  TestBackend,
} from '../harness/backend';
import {
  BACKEND_WITH_POLICY,
  CONFIDENTIAL_LABEL,
} from '../harness/confidential-policy';
import { FaultProxy, startFaultProxy } from '../harness/fault-proxy';
import { pushImage } from '../harness/images';
import {
  clusterConfig,
  KubernetesStandIn,
  startKubernetesStandIn,
} from '../harness/kubernetes';
import { buildAppObjects } from '../harness/kubernetes-fixtures';
import {
  requireBinaries,
  startRegistry,
  TestRegistry,
} from '../harness/registry';
import { startTokenServer, TokenServer } from '../harness/token-server';
import { AcrStandIn, startAcrStandIn } from '../harness/acrStandIn';
import { EcrStandIn, startEcrStandIn } from '../harness/ecrStandIn';
import {
  MintingRegistry,
  startMintingRegistry,
} from '../harness/mintingRegistry';
import { catalogYaml, TestComponent } from '../harness/catalog';

jest.setTimeout(180_000);

const API = '/api/image-freshness';

/** A fake secret, unique to this run, so finding it anywhere means it leaked. */
const secret = (name: string) => `${name}-${randomBytes(8).toString('hex')}`;

const BASIC_USER = 'basic-user';
const TOKEN_USER = 'token-user';
const PASTE_USER = 'paste-user';
const SECRETS = {
  basicPassword: secret('basic-password'),
  wrongPassword: secret('wrong-password'),
  dockerConfigPassword: secret('docker-config-password'),
  pastedPassword: secret('pasted-password'),
  clusterToken: secret('cluster-sa-token'),
  metricsToken: secret('metrics-static-token'),
  awsSecretKey: secret('aws-secret-access-key'),
  azureIdentityHeader: secret('azure-identity-header'),
};

/** The ECR account the e2e's registry stands for, and its (static) access key id. */
const ECR_ACCOUNT = '123456789012';
const ECR_ACCESS_KEY = 'AKIASECURITYE2E00001';
const ACR_TENANT = '72f988bf-0000-0000-0000-0000000000e2';

/**
 * Every form in which a secret could leak: as is, base64, base64url, and as
 * the base64 `user:password` of Basic credentials (`pairs`: user and the
 * name of its password in `secrets`).
 */
function leakForms(
  secrets: Record<string, string>,
  pairs: Array<[string, string]>,
): Record<string, string> {
  const forms: Record<string, string> = {};
  for (const [name, value] of Object.entries(secrets)) {
    forms[name] = value;
    forms[`${name} (base64)`] = Buffer.from(value).toString('base64');
    forms[`${name} (base64url)`] = Buffer.from(value).toString('base64url');
  }
  for (const [user, name] of pairs) {
    forms[`${user}:${name} (base64)`] = Buffer.from(
      `${user}:${secrets[name]}`,
    ).toString('base64');
  }
  return forms;
}

/** A TCP listener that counts connections and answers none: a host the backend must never contact. */
interface Trap {
  host: string;
  port: number;
  connections(): number;
  stop(): Promise<void>;
}

async function startTrap(address: string): Promise<Trap> {
  let count = 0;
  const server = net.createServer(socket => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    host: `${address}:${port}`,
    port,
    connections: () => count,
    stop: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

const ref = (name: string) => `component/default/${name}`;

describe('security, end to end', () => {
  let basicRegistry: TestRegistry;
  let tokenRegistry: TestRegistry;
  let tokens: TokenServer;
  /** Allowed, before basicRegistry: answers some requests with redirects to blocked hosts. */
  let redirecting: FaultProxy;
  /** Allowed, before tokenRegistry: read with a ready bearer token. */
  let tokenProxy: FaultProxy;
  /** Allowed, before tokenRegistry with a push token: how the test pushes there. */
  let pushProxy: FaultProxy;
  /** Allowed: its challenge names a token realm on a blocked host. */
  let blockedRealm: FaultProxy;
  /** Allowed: its token endpoint redirects to a blocked host. */
  let redirectedRealm: FaultProxy;
  /** 127.0.0.2, and another port of 127.0.0.1: loopback, not in allowedHosts. */
  let otherLoopback: Trap;
  let otherPort: Trap;
  let cluster: KubernetesStandIn;
  /** The cloud modules: ECR and ACR registries that take only what their stand-ins minted last. */
  let ecrRegistry: MintingRegistry;
  let ecr: EcrStandIn;
  let acrRegistry: MintingRegistry;
  let acr: AcrStandIn;
  let backend: TestBackend;
  let dir: string;
  let staticRegistryToken: string;
  let pushToken: string;
  let forms: Record<string, string>;
  const digests: Record<string, string> = {};
  const images: Record<string, string> = {};
  /** Images on blocked hosts, or on allowed hosts that send the client to blocked ones. */
  let blocked: Record<string, string> = {};
  /**
   * Every answer of the plugin's API the test received, for the leak check.
   * (The catalog's own answers carry the entities as written, annotations
   * included: not the plugin's to mask.)
   */
  const answers: string[] = [];

  /** Calls the backend; the plugin's answers are kept for the leak check. */
  async function call(
    route: string,
    options: { token?: string; method?: string } = {},
  ): Promise<{ status: number; body: string }> {
    const res = await fetch(`${backend.url}${route}`, {
      method: options.method ?? 'GET',
      headers: options.token
        ? { authorization: `Bearer ${options.token}` }
        : {},
    });
    const body = await res.text();
    if (route.startsWith(API)) answers.push(body);
    return { status: res.status, body };
  }

  /**
   * Polls an entity's report, as a service (the metrics token) reads it,
   * until it satisfies `done`: the catalog takes a moment to ingest the
   * entity, and the scheduled refresh runs every few seconds.
   */
  async function waitForReport(
    name: string,
    done: (report: EntityImageReport) => boolean,
  ): Promise<EntityImageReport> {
    const deadline = Date.now() + 90_000;
    let last = '';
    while (Date.now() < deadline) {
      const res = await call(`${API}/entities/${ref(name)}`, {
        token: SECRETS.metricsToken,
      });
      last = `${res.status} ${res.body}`;
      if (res.status === 200 && done(JSON.parse(res.body))) {
        return JSON.parse(res.body);
      }
      await new Promise(r => setTimeout(r, 500));
    }
    throw new Error(`${name}: not as expected in time: ${last}`);
  }

  const errorOf = (r: EntityImageReport, image: string) =>
    r.containers.find(c => c.image === image)?.error?.class;

  async function metricsText(): Promise<string> {
    const res = await call(`${API}/metrics`, { token: SECRETS.metricsToken });
    expect(res.status).toBe(200);
    return res.body;
  }

  /** The registries, the token endpoint, the images; the listeners no request may reach. */
  async function startRegistries() {
    const basicAuth = { username: BASIC_USER, password: SECRETS.basicPassword };
    basicRegistry = await startRegistry({ basicAuth });
    tokens = await startTokenServer({
      users: { [TOKEN_USER]: SECRETS.dockerConfigPassword },
      anonymousPull: false,
    });
    tokenRegistry = await startRegistry({ tokenAuth: tokens.registryAuth });

    // Images: on the basic-auth registry, and on the token-auth one (pushed
    // through a proxy that adds a push token).
    digests.secure = (
      await pushImage(basicRegistry.url, 'secure/app', '1.0', {}, basicAuth)
    ).digest;
    // Each its own image: a digest seen before would skip the blob request.
    for (const repo of [
      'redirect/blob',
      'redirect/manifest',
      'redirect/meta',
    ]) {
      const spec = { labels: { 'org.opencontainers.image.title': repo } };
      await pushImage(basicRegistry.url, repo, '1.0', spec, basicAuth);
    }
    const now = Math.floor(Date.now() / 1000);
    const tokenFor = (actions: string[]) =>
      tokens.signToken({
        iss: tokens.registryAuth.issuer,
        sub: TOKEN_USER,
        aud: tokens.service,
        exp: now + 3600,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access: [{ type: 'repository', name: 'token/app', actions }],
      });
    pushToken = tokenFor(['pull', 'push']);
    staticRegistryToken = tokenFor(['pull']);
    pushProxy = await startFaultProxy(tokenRegistry.url);
    pushProxy.addFault({
      path: '/v2/',
      fault: {
        respond: ctx =>
          ctx.forward({
            headers: {
              ...(ctx.headers as Record<string, string>),
              authorization: `Bearer ${pushToken}`,
            },
          }),
      },
    });
    digests.token = (await pushImage(pushProxy.url, 'token/app', '1.0')).digest;
    otherLoopback = await startTrap('127.0.0.2');
    otherPort = await startTrap('127.0.0.1');
  }

  /** Allowed hosts that send the client to blocked ones, and the proxy read with a ready token. */
  async function startRedirectingHosts() {
    redirecting = await startFaultProxy(basicRegistry.url);
    const redirect = (location: string) => ({
      answer: { status: 307, headers: { location } },
    });
    redirecting.addFault({
      path: '/v2/redirect/blob/blobs/',
      fault: redirect(`http://${otherLoopback.host}/v2/redirect/blob/blobs/x`),
    });
    redirecting.addFault({
      path: '/v2/redirect/manifest/manifests/',
      fault: redirect(`http://${otherPort.host}/v2/redirect/manifest/x`),
    });
    redirecting.addFault({
      path: '/v2/redirect/meta/manifests/',
      fault: redirect(
        'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      ),
    });
    tokenProxy = await startFaultProxy(tokenRegistry.url);
    const challenge = (realm: string) => ({
      answer: {
        status: 401,
        headers: {
          'www-authenticate': `Bearer realm="${realm}",service="registry"`,
        },
        body: '{"errors":[{"code":"UNAUTHORIZED"}]}',
      },
    });
    blockedRealm = await startFaultProxy(basicRegistry.url);
    blockedRealm.addFault({
      path: '/v2/',
      fault: challenge(`http://${otherLoopback.host}/token`),
    });
    redirectedRealm = await startFaultProxy(basicRegistry.url);
    redirectedRealm.addFault({
      path: '/v2/',
      fault: challenge(`${redirectedRealm.url}/token`),
    });
    redirectedRealm.addFault({
      path: '/token',
      fault: redirect(`http://${otherPort.host}/token`),
    });
  }

  /**
   * The registries of the cloud modules, each behind Basic auth with a password nobody is given:
   * the ECR API stand-in (called by the real AWS SDK in the backend) and ACR's token exchange
   * in front of the second one (after the real @azure/identity's managed identity call) mint
   * passwords, and each registry then takes only the newest.
   */
  async function startCloudRegistries() {
    ecrRegistry = await startMintingRegistry({
      username: 'AWS',
      repositories: ['cloud/ecr-app'],
    });
    ecr = await startEcrStandIn({
      accessKeyId: ECR_ACCESS_KEY,
      lifetimeSeconds: 12 * 3600,
      onMint: password => ecrRegistry.acceptOnly(password),
    });
    acrRegistry = await startMintingRegistry({
      username: ACR_REFRESH_TOKEN_USER,
      repositories: ['cloud/acr-app'],
    });
    acr = await startAcrStandIn({
      registryHost: acrRegistry.registry.host,
      tenantId: ACR_TENANT,
      identityHeader: SECRETS.azureIdentityHeader,
      expiresInSeconds: 3600,
      onMint: refreshToken => acrRegistry.acceptOnly(refreshToken),
    });
    digests.ecr = ecrRegistry.digests[0];
    digests.acr = acrRegistry.digests[0];
  }

  /** Every secret the cloud stand-ins handed out so far, with the pairs sent as Basic credentials. */
  function cloudSecrets() {
    const secrets: Record<string, string> = {};
    const pairs: Array<[string, string]> = [];
    ecr.minted().forEach((password, i) => {
      secrets[`ecrPassword${i + 1}`] = password;
      pairs.push(['AWS', `ecrPassword${i + 1}`]);
    });
    acr.minted().forEach((refreshToken, i) => {
      secrets[`acrRefreshToken${i + 1}`] = refreshToken;
      pairs.push([ACR_REFRESH_TOKEN_USER, `acrRefreshToken${i + 1}`]);
    });
    acr.issued().forEach((token, i) => {
      secrets[`entraToken${i + 1}`] = token;
    });
    return leakForms(secrets, pairs);
  }

  /** What every entity declares, and the images on blocked hosts. */
  function chooseImages() {
    images.secure = `${redirecting.host}/secure/app:1.0`;
    images.wrongPassword = `${basicRegistry.host}/secure/app:1.0`;
    images.dockerConfig = `${tokenRegistry.host}/token/app:1.0`;
    images.staticToken = `${tokenProxy.host}/token/app:1.0`;
    images.pasted = `${PASTE_USER}:${SECRETS.pastedPassword}@${redirecting.host}/secure/app:1.0`;
    images.ecr = ecrRegistry.images[0];
    images.acr = `${acr.registryHost}/cloud/acr-app:1.0`;
    blocked = {
      otherLoopback: `${otherLoopback.host}/app:1.0`,
      otherPort: `${otherPort.host}/app:1.0`,
      localhost: `localhost:${otherPort.port}/app:1.0`,
      ipv6Loopback: `[::1]:${otherPort.port}/app:1.0`,
      linkLocal: '169.254.10.20/app:1.0',
      metadata: '169.254.169.254/latest/app:1.0',
      googleMetadata: 'metadata.google.internal/computemetadata/v1:latest',
      ec2Ipv6Metadata: '[fd00:ec2::254]/app:1.0',
      ipv6LinkLocal: '[fe80::1]:5000/app:1.0',
      blobRedirect: `${redirecting.host}/redirect/blob:1.0`,
      manifestRedirect: `${redirecting.host}/redirect/manifest:1.0`,
      metadataRedirect: `${redirecting.host}/redirect/meta:1.0`,
      blockedRealm: `${blockedRealm.host}/realm/app:1.0`,
      redirectedRealm: `${redirectedRealm.host}/realm/app:1.0`,
    };
  }

  /** The catalog: four entities, one of them confidential, one on the cluster. */
  function writeCatalog(): string {
    const components: TestComponent[] = [
      {
        name: 'blocked-images',
        annotations: {
          'image-freshness/images': Object.values(blocked).join(','),
        },
      },
      {
        name: 'confidential',
        labels: { [CONFIDENTIAL_LABEL.label]: CONFIDENTIAL_LABEL.value },
        annotations: { 'image-freshness/images': images.secure },
      },
      {
        name: 'public-service',
        annotations: {
          'image-freshness/images': [
            images.dockerConfig,
            images.staticToken,
            images.wrongPassword,
            images.pasted,
          ].join(','),
        },
      },
      {
        name: 'k8s-service',
        annotations: { 'backstage.io/kubernetes-id': 'k8s-service' },
      },
      {
        name: 'cloud-service',
        annotations: {
          'image-freshness/images': [images.ecr, images.acr].join(','),
        },
      },
    ];
    const catalogFile = path.join(dir, 'entities.yaml');
    fs.writeFileSync(
      catalogFile,
      catalogYaml(components.map(c => ({ ...c, owner: 'team-security' }))),
    );
    return catalogFile;
  }

  /** A Docker config file with the token registry's credentials. */
  function writeDockerConfig(): string {
    const dockerConfigFile = path.join(dir, 'docker-config.json');
    fs.writeFileSync(
      dockerConfigFile,
      JSON.stringify({
        auths: {
          [tokenRegistry.host]: {
            auth: Buffer.from(
              `${TOKEN_USER}:${SECRETS.dockerConfigPassword}`,
            ).toString('base64'),
          },
        },
      }),
    );
    return dockerConfigFile;
  }

  beforeAll(async () => {
    requireBinaries('docker-registry', 'htpasswd', 'openssl');
    const started = Date.now();
    await startRegistries();
    await startRedirectingHosts();
    await startCloudRegistries();
    chooseImages();
    cluster = await startKubernetesStandIn({
      token: SECRETS.clusterToken,
      objects: buildAppObjects({
        name: 'k8s-service',
        namespace: 'shop',
        images: { app: images.secure, sidecar: images.dockerConfig },
        running: {
          [images.secure]: digests.secure,
          [images.dockerConfig]: digests.token,
        },
      }),
    });

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-security-'));
    const catalogFile = writeCatalog();
    const dockerConfigFile = writeDockerConfig();
    backend = await startBackend({
      logName: 'security-backend',
      entry: BACKEND_WITH_POLICY,
      // Debug lines are log lines too: a secret must not reach them either.
      env: {
        LOG_LEVEL: 'debug',
        // the real AWS SDK calls the ECR API stand-in
        AWS_ENDPOINT_URL_ECR: ecr.url,
        // the real @azure/identity asks the managed identity stand-in (App Service style)
        IDENTITY_ENDPOINT: acr.identityEndpoint,
        IDENTITY_HEADER: SECRETS.azureIdentityHeader,
        AZURE_CLIENT_ID: '',
        AZURE_TENANT_ID: '',
        AZURE_CLIENT_SECRET: '',
        AZURE_FEDERATED_TOKEN_FILE: '',
        MSI_ENDPOINT: '',
        MSI_SECRET: '',
      },
      config: () => ({
        ...portalConfig({
          catalogFile,
          staticToken: { token: SECRETS.metricsToken, subject: 'prometheus' },
          clusters: [clusterConfig('eu-west', cluster, SECRETS.clusterToken)],
        }),
        aws: {
          accounts: [
            {
              accountId: ECR_ACCOUNT,
              accessKeyId: ECR_ACCESS_KEY,
              secretAccessKey: SECRETS.awsSecretKey,
            },
          ],
        },
        imageFreshness: {
          ecr: {
            registries: [
              {
                host: ecrRegistry.registry.host,
                accountId: ECR_ACCOUNT,
                region: 'eu-west-1',
              },
            ],
          },
          azure: { hosts: [acr.registryHost], tenantId: ACR_TENANT },
          allowedHosts: [
            basicRegistry.host,
            tokenRegistry.host,
            new URL(tokens.realm).host,
            redirecting.host,
            tokenProxy.host,
            blockedRealm.host,
            redirectedRealm.host,
            ecrRegistry.registry.host,
            acr.registryHost,
          ],
          dockerConfigFile,
          registries: [
            {
              host: redirecting.host,
              credentials: {
                username: BASIC_USER,
                password: SECRETS.basicPassword,
              },
            },
            {
              host: basicRegistry.host,
              credentials: {
                username: BASIC_USER,
                password: SECRETS.wrongPassword,
              },
            },
            {
              host: tokenProxy.host,
              credentials: { token: staticRegistryToken },
            },
          ],
          schedule: {
            frequency: { seconds: 3 },
            timeout: { minutes: 1 },
            initialDelay: { seconds: 1 },
          },
        },
      }),
    });
    forms = leakForms(
      {
        ...SECRETS,
        staticRegistryToken,
        pushToken,
        // The header of every token the token endpoint signs (its certificate
        // included): no registry bearer token may show either.
        registryTokenHeader: staticRegistryToken.split('.')[0],
      },
      [
        [BASIC_USER, 'basicPassword'],
        [BASIC_USER, 'wrongPassword'],
        [TOKEN_USER, 'dockerConfigPassword'],
        [PASTE_USER, 'pastedPassword'],
      ],
    );
    // eslint-disable-next-line no-console
    console.log(`security e2e: set up in ${Date.now() - started} ms`);
  });

  afterAll(async () => {
    await backend?.stop();
    await cluster?.stop();
    for (const proxy of [
      redirecting,
      tokenProxy,
      pushProxy,
      blockedRealm,
      redirectedRealm,
    ]) {
      await proxy?.stop();
    }
    await otherLoopback?.stop();
    await otherPort?.stop();
    await tokenRegistry?.stop();
    await tokens?.stop();
    await basicRegistry?.stop();
    await ecr?.stop();
    await acr?.stop();
    await ecrRegistry?.registry.stop();
    await acrRegistry?.registry.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('blocked hosts', () => {
    /** Waits until the refresh has tried every blocked image. */
    const blockedReport = () =>
      waitForReport('blocked-images', found =>
        Object.values(blocked).every(image => errorOf(found, image)),
      );

    it('refuses every image on a blocked host, or sent to one, with BLOCKED_HOST', async () => {
      const r = await blockedReport();
      const names = Object.keys(blocked);
      expect(names).toHaveLength(14);
      expect(
        Object.fromEntries(names.map(n => [n, errorOf(r, blocked[n])])),
      ).toEqual(Object.fromEntries(names.map(n => [n, 'BLOCKED_HOST'])));
      const blobError = r.containers.find(
        c => c.image === blocked.blobRedirect,
      )!.error!;
      expect(blobError.message).toContain(otherLoopback.host);
      expect(blobError.advice).toBeTruthy();
    });

    it('sends not one request to a blocked host', async () => {
      await blockedReport();
      // The allowed hosts did send the redirects and challenges: the refusals were real.
      const statuses = (proxy: FaultProxy, part: string) =>
        proxy
          .requests()
          .filter(q => q.path.includes(part))
          .map(q => q.status);
      expect(statuses(redirecting, '/redirect/blob/blobs/')).toContain(307);
      expect(statuses(redirecting, '/redirect/manifest/manifests/')).toContain(
        307,
      );
      expect(statuses(redirecting, '/redirect/meta/manifests/')).toContain(307);
      expect(statuses(blockedRealm, '/v2/')).toContain(401);
      expect(statuses(redirectedRealm, '/token')).toContain(307);
      // ...and the hosts they pointed at heard nothing, nor did the loopback
      // hosts named in references.
      expect(otherLoopback.connections()).toBe(0);
      expect(otherPort.connections()).toBe(0);
      // No registry request was ever counted for a blocked host.
      const requested = (await metricsText())
        .split('\n')
        .filter(l => l.startsWith('image_freshness_registry_requests_total{'));
      expect(requested.length).toBeGreaterThan(0);
      for (const host of [
        otherLoopback.host,
        otherPort.host,
        `localhost:${otherPort.port}`,
        '169.254.',
        'metadata.google.internal',
        'fd00:ec2::254',
        'fe80::1',
      ]) {
        expect(requested.filter(l => l.includes(host))).toEqual([]);
      }
    });

    it('counts BLOCKED_HOST in image_freshness_resolve_errors_total', async () => {
      const registries = [
        otherLoopback.host,
        otherPort.host,
        '169.254.169.254',
        'metadata.google.internal',
        redirecting.host,
        blockedRealm.host,
        redirectedRealm.host,
      ];
      const deadline = Date.now() + 30_000;
      let lines: string[] = [];
      const blockedLines = async () =>
        (await metricsText())
          .split('\n')
          .filter(
            l =>
              l.startsWith('image_freshness_resolve_errors_total{') &&
              l.includes('error="BLOCKED_HOST"'),
          );
      const covered = () =>
        registries.every(host => lines.some(l => l.includes(`host="${host}"`)));
      while (Date.now() < deadline) {
        lines = await blockedLines();
        if (covered()) break;
        await new Promise(r => setTimeout(r, 500));
      }
      expect(covered()).toBe(true);
      for (const line of lines) {
        expect(Number(line.split(' ').pop())).toBeGreaterThan(0);
      }
    });
  });

  describe('entity reports behind catalog permissions', () => {
    it('the policy really hides the confidential entity from users in the catalog', async () => {
      const user = await guestToken(backend.url);
      const catalog = (name: string) =>
        call(`/api/catalog/entities/by-name/${ref(name)}`, { token: user });
      expect((await catalog('public-service')).status).toBe(200);
      expect((await catalog('confidential')).status).toBe(404);
    });

    it('answers a user 404 for the confidential entity, report and refresh, and 200/202 for another', async () => {
      const user = await guestToken(backend.url);
      const get = await call(`${API}/entities/${ref('confidential')}`, {
        token: user,
      });
      expect(get.status).toBe(404);
      expect(get.body).not.toContain(images.secure);
      expect(get.body).not.toContain(digests.secure);
      const refresh = await call(
        `${API}/entities/${ref('confidential')}/refresh`,
        { token: user, method: 'POST' },
      );
      expect(refresh.status).toBe(404);
      // The same answer as for an entity that does not exist: nothing leaks.
      const missing = await call(`${API}/entities/${ref('no-such-entity')}`, {
        token: user,
      });
      expect(missing.status).toBe(404);

      const open = await call(`${API}/entities/${ref('public-service')}`, {
        token: user,
      });
      expect(open.status).toBe(200);
      expect(JSON.parse(open.body).entityRef).toBe(
        'component:default/public-service',
      );
      const accepted = await call(
        `${API}/entities/${ref('public-service')}/refresh`,
        { token: user, method: 'POST' },
      );
      expect(accepted.status).toBe(202);
      const again = await call(
        `${API}/entities/${ref('public-service')}/refresh`,
        { token: user, method: 'POST' },
      );
      expect(again.status).toBe(429);
    });

    it('answers 401 to every route of the plugin without credentials', async () => {
      const digest = `sha256:${'0'.repeat(64)}`;
      const routes: Array<[string, string]> = [
        ['GET', `/entities/${ref('confidential')}`],
        ['POST', `/entities/${ref('confidential')}/refresh`],
        ['GET', `/entities/${ref('public-service')}`],
        ['POST', `/entities/${ref('public-service')}/refresh`],
        ['GET', '/metrics'],
        ['GET', '/scans'],
        ['GET', `/scans/${redirecting.host}/secure/app`],
        ['GET', '/vulnerabilities'],
        ['GET', `/vulnerabilities/${digest}`],
        ['GET', '/health-probes'],
        ['GET', '/overview'],
      ];
      for (const token of [undefined, 'not-a-backstage-token']) {
        const statuses = [];
        for (const [method, route] of routes) {
          const res = await call(`${API}${route}`, { method, token });
          statuses.push(`${method} ${route} ${res.status}`);
        }
        expect(statuses).toEqual(
          routes.map(([method, route]) => `${method} ${route} 401`),
        );
      }
    });

    it('the scheduled refresh still covers the confidential entity', async () => {
      // A service may read it: the data is there.
      const r = await waitForReport('confidential', found =>
        found.containers.some(c => c.metadata?.digest === digests.secure),
      );
      expect(r.containers).toEqual([
        expect.objectContaining({ image: images.secure }),
      ]);
      expect(r.containers[0].error).toBeUndefined();
      // And /metrics, which serves every entity, has its series.
      const text = await metricsText();
      const info = text
        .split('\n')
        .filter(
          l =>
            l.startsWith('container_image_container_info{') &&
            l.includes('entity="component:default/confidential"'),
        );
      expect(info).toHaveLength(1);
      expect(info[0]).toContain(`digest="${digests.secure}"`);
    });

    it('leaves the confidential entity out of a user’s overview: no row, count, owner or filter value', async () => {
      // stored (the test above): a service sees its row
      const overview = async (query: string, token: string) => {
        const res = await call(`${API}/overview${query}`, { token });
        expect(res.status).toBe(200);
        return JSON.parse(res.body) as ImageFreshnessOverview;
      };
      const refs = (o: ImageFreshnessOverview) =>
        new Set(o.items.map(r => r.entityRef));
      const all = await overview('?limit=200', SECRETS.metricsToken);
      expect(refs(all)).toContain('component:default/confidential');
      const user = await guestToken(backend.url);
      const mine = await overview('?limit=200', user);
      expect(refs(mine)).toContain('component:default/public-service');
      expect(refs(mine)).not.toContain('component:default/confidential');
      expect(mine.totals.images).toBe(all.totals.images - 1);
      // (its image and digest are also public-service's, under a pasted credential: no string check)
      // nor does a search or a filter find it
      expect((await overview('?q=confidential', user)).totalItems).toBe(0);
      expect(
        (
          await overview(
            `?registry=${new URL(`http://${images.secure}`).host}`,
            user,
          )
        ).items.map(r => r.entityRef),
      ).not.toContain('component:default/confidential');
    });
  });

  it('closes /metrics without its token: 401 without, 401 with a wrong one, 403 to a user', async () => {
    const route = `${API}/metrics`;
    expect((await call(route)).status).toBe(401);
    expect(
      (await call(route, { token: 'not-the-metrics-token-at-all' })).status,
    ).toBe(401);
    const user = await guestToken(backend.url);
    expect((await call(route, { token: user })).status).toBe(403);
    const ok = await call(route, { token: SECRETS.metricsToken });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('# TYPE container_image_container_info gauge');
  });

  describe('credentials', () => {
    it('uses every credential: the images behind them resolve, the wrong password fails', async () => {
      const publicReport = await waitForReport(
        'public-service',
        found =>
          found.containers.length === 4 &&
          found.containers.every(c => c.metadata?.digest || c.error),
      );
      const byImage = (image: string) =>
        publicReport.containers.find(c => c.image === image);
      expect(byImage(images.dockerConfig)?.metadata?.digest).toBe(
        digests.token,
      );
      expect(byImage(images.staticToken)?.metadata?.digest).toBe(digests.token);
      expect(byImage(images.wrongPassword)?.error?.class).toBe(
        'AUTHENTICATION',
      );
      // The Docker config's password went to the token endpoint, and worked.
      expect(tokens.requests()).toContainEqual(
        expect.objectContaining({ user: TOKEN_USER, status: 200 }),
      );
      // The pasted credentials were cut before anything stored the reference.
      const pasted = publicReport.containers.find(c =>
        c.image.endsWith(`@${redirecting.host}/secure/app:1.0`),
      );
      expect(pasted?.image).toBe(`***@${redirecting.host}/secure/app:1.0`);

      // The cluster's token reached the cluster, and its workloads resolved.
      const k8s = await waitForReport('k8s-service', found =>
        found.containers.some(
          c =>
            c.image === images.secure && c.metadata?.digest === digests.secure,
        ),
      );
      expect(k8s.containers.map(c => c.workload.cluster)).toContain('eu-west');
      expect(cluster.requests().length).toBeGreaterThan(0);
    });

    it("resolves the cloud modules' images with minted credentials, which the registries alone take", async () => {
      const report = await waitForReport('cloud-service', found =>
        found.containers.every(c => c.metadata?.digest || c.error),
      );
      const byImage = (image: string) =>
        report.containers.find(c => c.image === image);
      expect(
        [images.ecr, images.acr].map(image => [
          image,
          byImage(image)?.metadata?.digest,
          byImage(image)?.error,
        ]),
      ).toEqual([
        [images.ecr, digests.ecr, undefined],
        [images.acr, digests.acr, undefined],
      ]);
      // the SDKs really minted (so the secret search below has something to find)...
      expect(ecr.calls()).toContainEqual(
        expect.objectContaining({
          api: 'ecr',
          accessKeyId: ECR_ACCESS_KEY,
          status: 200,
        }),
      );
      expect(ecr.minted().length).toBeGreaterThan(0);
      expect(acr.issued().length).toBeGreaterThan(0);
      expect(acr.exchanges()).toContain(`200 ${ACR_TENANT}`);
      // ...and each registry takes its newest minted password, not the one it started with
      for (const [registry, minted] of [
        [ecrRegistry, ecr.minted()],
        [acrRegistry, acr.minted()],
      ] as const) {
        expect(await registry.v2Status(minted[minted.length - 1])).toBe(200);
        expect(await registry.v2Status(registry.initialPassword)).toBe(401);
      }
    });

    it('never shows a secret in the log, /metrics or an API answer', async () => {
      const user = await guestToken(backend.url);
      // Every entity's report, as a service and (where allowed) as a user.
      for (const name of [
        'blocked-images',
        'confidential',
        'public-service',
        'k8s-service',
        'cloud-service',
      ]) {
        await call(`${API}/entities/${ref(name)}`, {
          token: SECRETS.metricsToken,
        });
        await call(`${API}/entities/${ref(name)}`, { token: user });
      }
      // Error answers and the other routes.
      await call(`${API}/entities/component/default/${'x'.repeat(300)}`, {
        token: user,
      });
      await call(`${API}/entities/${ref('k8s-service')}/refresh`, {
        token: user,
        method: 'POST',
      });
      await call(`${API}/scans`, { token: user });
      await call(`${API}/vulnerabilities`, { token: user });
      await call(`${API}/health-probes`, { token: user });
      const metrics = await metricsText();
      // The search can see a secret: the catalog serves the entity as
      // written, pasted password included (not the plugin's answer).
      const asWritten = await call(
        `/api/catalog/entities/by-name/${ref('public-service')}`,
        { token: user },
      );
      expect(asWritten.body).toContain(SECRETS.pastedPassword);

      const places = {
        log: backend.logs(),
        metrics,
        answers: answers.join('\n'),
      };
      expect(places.log.length).toBeGreaterThan(10_000);
      // the tokens the cloud modules minted, as many as there are by now
      const searched = { ...forms, ...cloudSecrets() };
      const minted = Object.keys(searched).filter(name =>
        /^(ecrPassword|acrRefreshToken|entraToken)\d+$/.test(name),
      );
      expect(minted.length).toBeGreaterThanOrEqual(3);
      const found: string[] = [];
      for (const [place, text] of Object.entries(places)) {
        for (const [name, value] of Object.entries(searched)) {
          if (text.includes(value)) found.push(`${name} in ${place}`);
        }
      }
      expect(found).toEqual([]);
      // The pasted reference is in /metrics, masked.
      expect(metrics).toContain(
        `image="***@${redirecting.host}/secure/app:1.0"`,
      );
      // eslint-disable-next-line no-console
      console.log(
        `security e2e: searched ${places.log.length} log bytes, ${
          metrics.length
        } metrics bytes and ${answers.length} API answers (${
          places.answers.length
        } bytes) for ${Object.keys(searched).length} secret forms (${
          minted.length
        } minted tokens)`,
      );
    });
  });
});
