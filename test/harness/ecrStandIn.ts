/*
 * A stand-in for the ECR and ECR Public APIs' GetAuthorizationToken, for the real AWS SDK
 * (pointed here with AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL_ECR_PUBLIC): it checks the SigV4
 * signature names the expected access key and service, mints a fresh password per call and
 * hands it to `onMint` (the test registry then accepts only it), or refuses as AWS does.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const TARGETS = {
  ecr: 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
  'ecr-public': 'SpencerFrontendService.GetAuthorizationToken',
};

/** A call the stand-in received. */
export interface MintCall {
  api: 'ecr' | 'ecr-public';
  /** the access key id and region from the SigV4 credential scope */
  accessKeyId: string;
  region: string;
  status: number;
}

export interface EcrStandIn {
  url: string;
  calls(): MintCall[];
  /** every password minted so far, in order */
  minted(): string[];
  /** from now on: answer tokens that live `seconds` */
  setLifetime(seconds: number): void;
  /** from now on: refuse as AWS does for a principal without ecr:GetAuthorizationToken */
  refuse(refused: boolean): void;
  stop(): Promise<void>;
}

export async function startEcrStandIn(options: {
  accessKeyId: string;
  lifetimeSeconds: number;
  onMint: (password: string) => Promise<void>;
  /** the clock `expiresAt` is counted from (a benchmark's simulated day); default the wall clock */
  now?: () => number;
}): Promise<EcrStandIn> {
  const now = options.now ?? (() => Date.now());
  const calls: MintCall[] = [];
  const minted: string[] = [];
  let lifetime = options.lifetimeSeconds;
  let refused = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const api = (Object.keys(TARGETS) as Array<keyof typeof TARGETS>).find(
        key => TARGETS[key] === target,
      );
      const scope =
        /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
          String(req.headers.authorization ?? ''),
        );
      const answer = (status: number, body: unknown) => {
        calls.push({
          api: api ?? 'ecr',
          accessKeyId: scope?.[1] ?? '',
          region: scope?.[2] ?? '',
          status,
        });
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || !api) {
        answer(400, { __type: 'UnknownOperationException' });
        return;
      }
      if (!scope || scope[1] !== options.accessKeyId || scope[3] !== api) {
        answer(403, {
          __type: 'UnrecognizedClientException',
          message: 'The security token included in the request is invalid.',
        });
        return;
      }
      if (refused) {
        answer(400, {
          __type: 'AccessDeniedException',
          message:
            'User: arn:aws:iam::123456789012:user/portal is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action',
        });
        return;
      }
      const password = `minted-${minted.length + 1}-${randomBytes(12).toString(
        'hex',
      )}`;
      minted.push(password);
      await options.onMint(password);
      const authorizationToken = Buffer.from(`AWS:${password}`).toString(
        'base64',
      );
      const expiresAt = Math.floor(now() / 1000) + lifetime;
      answer(
        200,
        api === 'ecr'
          ? {
              authorizationData: [
                {
                  authorizationToken,
                  expiresAt,
                  proxyEndpoint:
                    'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
                },
              ],
            }
          : { authorizationData: { authorizationToken, expiresAt } },
      );
    });
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => [...calls],
    minted: () => [...minted],
    setLifetime: seconds => {
      lifetime = seconds;
    },
    refuse: value => {
      refused = value;
    },
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
