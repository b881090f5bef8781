import {
  dockerPurl,
  pushBuildKitIndex,
  SLSA_V02,
  SLSA_V1,
} from '@internal/test/harness/buildkit';
import { pushImage, pushIndex } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import type { BaseImageReport } from 'backstage-plugin-image-freshness-common';
import { createTestParts, DAY, entity, testClock } from './__testUtils__/parts';

jest.setTimeout(120_000);

/** Base-image rows of a report, by image. */
function byImage(bases: BaseImageReport[]): Record<string, BaseImageReport> {
  return Object.fromEntries(bases.map(b => [b.image, b]));
}

describe('base images from BuildKit provenance (real registry, attestation indexes as BuildKit lays them out)', () => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  /** The plugin's GETs in the registry's access log whose path contains `text`. */
  const requests = (text: string) =>
    registry
      .logs()
      .filter(
        line =>
          line.includes('"GET /v2/') &&
          line.includes(text) &&
          line.includes('"backstage-plugin-image-freshness"'),
      );
  /** The registry logs a request just after answering it. */
  const settle = () => new Promise(r => setTimeout(r, 300));

  it('reads SLSA v1 (mode=min, a gateway frontend) and v0.2 (mode=max, multi-stage): base, built-on and current digests, verdicts; once per digest', async () => {
    const h = registry.host;
    const clock = testClock('2026-11-21T00:00:00Z');
    const node1 = await pushIndex(registry.url, 'pv/node', '22-slim', [
      { created: '2026-11-01T00:00:00Z', files: { v: 'node-1' } },
    ]);
    const golang = await pushImage(registry.url, 'pv/golang', '1.23', {
      created: '2026-11-01T00:00:00Z',
      files: { v: 'go' },
    });
    const distroless = await pushImage(registry.url, 'pv/static', 'nonroot', {
      created: '2026-11-01T00:00:00Z',
      files: { v: 'static-1' },
    });
    const frontend = await pushImage(registry.url, 'docker/dockerfile', '1', {
      files: { v: 'frontend' },
    });
    // v1, mode=min: only materials; the frontend image is listed first.
    const api = await pushBuildKitIndex(registry.url, 'pv/api', '1.0', [
      {
        image: { created: '2026-11-20T10:01:00Z', files: { v: 'api' } },
        provenance: {
          version: 'v1',
          frontend: {
            ref: `${h}/docker/dockerfile:1`,
            digest: frontend.digest,
          },
          images: [{ ref: `${h}/pv/node:22-slim`, digest: node1.digest }],
        },
      },
    ]);
    // v0.2, mode=max: builder stage FROM golang, final stage FROM static with COPY --from.
    const dockerfile = [
      `FROM ${h}/pv/golang:1.23 AS build`,
      'RUN go build -o /app .',
      `FROM ${h}/pv/static:nonroot`,
      'COPY --from=build /app /app',
    ].join('\n');
    const worker = await pushBuildKitIndex(registry.url, 'pv/worker', '2.0', [
      {
        image: { created: '2026-11-20T10:01:00Z', files: { v: 'worker' } },
        provenance: {
          version: 'v0.2',
          images: [
            { ref: `${h}/pv/golang:1.23`, digest: golang.digest },
            { ref: `${h}/pv/static:nonroot`, digest: distroless.digest },
          ],
          stages: [
            {
              from: { image: 0 },
              line: 1,
              steps: [{ run: 'go build -o /app .' }],
            },
            {
              from: { image: 1 },
              line: 3,
              steps: [{ copy: '/app', from: { stage: 0 } }],
            },
          ],
          dockerfile,
          ociArtifact: false,
        },
      },
    ]);
    const parts = await createTestParts({ registryHost: h, clock });
    try {
      const target = entity('pv', [`${h}/pv/api:1.0`, `${h}/pv/worker:2.0`], {
        'image-freshness/rebuild-delay': '2d',
      });
      let bases = byImage((await parts.refresh(target)).baseImages);
      const apiBase = bases[`${h}/pv/api:1.0`];
      expect(apiBase.imageDigest).toBe(api.images[0].digest);
      expect(apiBase.base).toMatchObject({
        name: `${h}/pv/node:22-slim`,
        builtOnDigest: node1.digest,
        currentDigest: node1.digest,
        source: {
          kind: 'provenance',
          provenance: {
            attestation: api.attestations[0].digest,
            predicateType: SLSA_V1,
            uri: dockerPurl(`${h}/pv/node:22-slim`, {
              os: 'linux',
              architecture: 'amd64',
            }),
            determinedBy: 'only-image',
          },
        },
      });
      expect(apiBase.base?.builtOnInferred).toBeUndefined();
      expect(apiBase.verdict.verdict).toBe('current');
      expect(apiBase.error).toBeUndefined();

      const workerBase = bases[`${h}/pv/worker:2.0`];
      expect(workerBase.base).toMatchObject({
        name: `${h}/pv/static:nonroot`,
        builtOnDigest: distroless.digest,
        currentDigest: distroless.digest,
        source: {
          kind: 'provenance',
          provenance: {
            attestation: worker.attestations[0].digest,
            predicateType: SLSA_V02,
            determinedBy: 'build-steps',
            dockerfile: {
              path: 'Dockerfile',
              line: 3,
              text: `FROM ${h}/pv/static:nonroot`,
            },
          },
        },
      });
      expect(workerBase.verdict.verdict).toBe('current');

      // Each attestation and statement was read once; the index twice (the
      // image's metadata, then its attestation): 3 requests per new digest.
      await settle();
      expect(requests(`/manifests/${api.digest}`)).toHaveLength(2);
      for (const a of [...api.attestations, ...worker.attestations]) {
        expect(requests(`/manifests/${a.digest}`)).toHaveLength(1);
        expect(requests(`/blobs/${a.statement}`)).toHaveLength(1);
      }

      // The base moves; two refreshes later nothing about the attestations was asked again.
      clock.advance(DAY);
      const node2 = await pushIndex(registry.url, 'pv/node', '22-slim', [
        { created: '2026-11-21T00:00:00Z', files: { v: 'node-2' } },
      ]);
      await parts.refresh(target);
      clock.advance(3 * DAY);
      bases = byImage((await parts.refresh(target)).baseImages);
      expect(bases[`${h}/pv/api:1.0`].base).toMatchObject({
        builtOnDigest: node1.digest,
        currentDigest: node2.digest,
        movedAt: '2026-11-22T00:00:00.000Z',
        rebuildDueAt: '2026-11-24T00:00:00.000Z',
      });
      expect(bases[`${h}/pv/api:1.0`].verdict.verdict).toBe('rebuild-due');
      await settle();
      expect(requests(`/manifests/${api.digest}`)).toHaveLength(2);
      for (const a of [...api.attestations, ...worker.attestations]) {
        expect(requests(`manifests/${a.digest}`)).toHaveLength(1);
        expect(requests(`blobs/${a.statement}`)).toHaveLength(1);
      }
    } finally {
      await parts.close();
    }
  });

  it('keeps the source order: annotations before provenance (never read then), provenance before labels', async () => {
    const h = registry.host;
    const clock = testClock('2026-11-21T00:00:00Z');
    const a = await pushImage(registry.url, 'po/base-a', '1', {
      files: { v: 'a' },
    });
    const b = await pushImage(registry.url, 'po/base-b', '1', {
      files: { v: 'b' },
    });
    const provenance = {
      version: 'v1' as const,
      images: [{ ref: `${h}/po/base-b:1`, digest: b.digest }],
    };
    const annotated = await pushBuildKitIndex(
      registry.url,
      'po/annotated',
      '1',
      [
        {
          image: {
            files: { v: 'annotated' },
            annotations: {
              'org.opencontainers.image.base.name': `${h}/po/base-a:1`,
              'org.opencontainers.image.base.digest': a.digest,
            },
          },
          provenance,
        },
      ],
    );
    await pushBuildKitIndex(registry.url, 'po/labelled', '1', [
      {
        image: {
          files: { v: 'labelled' },
          labels: { 'org.opencontainers.image.base.name': `${h}/po/base-a:1` },
        },
        provenance,
      },
    ]);
    const parts = await createTestParts({ registryHost: h, clock });
    try {
      const bases = byImage(
        (
          await parts.refresh(
            entity('po', [`${h}/po/annotated:1`, `${h}/po/labelled:1`]),
          )
        ).baseImages,
      );
      expect(bases[`${h}/po/annotated:1`].base).toMatchObject({
        name: `${h}/po/base-a:1`,
        source: { kind: 'annotation' },
      });
      expect(bases[`${h}/po/labelled:1`].base).toMatchObject({
        name: `${h}/po/base-b:1`,
        builtOnDigest: b.digest,
        source: { kind: 'provenance' },
      });
      await settle();
      expect(
        requests(`manifests/${annotated.attestations[0].digest}`),
      ).toHaveLength(0);
    } finally {
      await parts.close();
    }
  });

  it('says so, and tries the labels, when the provenance cannot tell the final stage (mode=min, several images)', async () => {
    const h = registry.host;
    const clock = testClock('2026-11-21T00:00:00Z');
    const a = await pushImage(registry.url, 'pu/golang', '1', {
      files: { v: 'a' },
    });
    const b = await pushImage(registry.url, 'pu/alpine', '3', {
      files: { v: 'b' },
    });
    const images = [
      { ref: `${h}/pu/golang:1`, digest: a.digest },
      { ref: `${h}/pu/alpine:3`, digest: b.digest },
    ];
    const unlabelled = await pushBuildKitIndex(registry.url, 'pu/plain', '1', [
      {
        image: { files: { v: 'plain' } },
        provenance: { version: 'v0.2', images },
      },
    ]);
    await pushBuildKitIndex(registry.url, 'pu/labelled', '1', [
      {
        image: {
          files: { v: 'labelled' },
          labels: { 'org.opencontainers.image.base.name': `${h}/pu/alpine:3` },
        },
        provenance: { version: 'v1', images },
      },
    ]);
    const parts = await createTestParts({ registryHost: h, clock });
    try {
      const bases = byImage(
        (
          await parts.refresh(
            entity('pu', [`${h}/pu/plain:1`, `${h}/pu/labelled:1`]),
          )
        ).baseImages,
      );
      const plain = bases[`${h}/pu/plain:1`];
      expect(plain.base).toBeUndefined();
      expect(plain.verdict.verdict).toBe('unknown');
      expect(plain.verdict.reason).toContain(
        `its provenance attestation ${unlabelled.attestations[0].digest} does not tell the base`,
      );
      expect(plain.verdict.reason).toContain(
        `list 2 images (${h}/pu/golang:1, ${h}/pu/alpine:3) and no build steps (provenance mode=min), so which one the final stage is built on cannot be told`,
      );
      expect(bases[`${h}/pu/labelled:1`].base).toMatchObject({
        name: `${h}/pu/alpine:3`,
        source: { kind: 'label' },
      });
    } finally {
      await parts.close();
    }
  });

  it('follows COPY --link and FROM scratch through the build steps', async () => {
    const h = registry.host;
    const clock = testClock('2026-11-21T00:00:00Z');
    const go = await pushImage(registry.url, 'ps/golang', '1', {
      files: { v: 'go' },
    });
    const runtime = await pushImage(registry.url, 'ps/runtime', '1', {
      files: { v: 'rt' },
    });
    await pushBuildKitIndex(registry.url, 'ps/static', '1', [
      {
        image: { files: { v: 'static' } },
        provenance: {
          version: 'v1',
          images: [{ ref: `${h}/ps/golang:1`, digest: go.digest }],
          stages: [
            { from: { image: 0 }, steps: [{ run: 'go build' }] },
            { from: 'scratch', steps: [{ copy: '/app', from: { stage: 0 } }] },
          ],
        },
      },
    ]);
    await pushBuildKitIndex(registry.url, 'ps/linked', '1', [
      {
        image: { files: { v: 'linked' } },
        provenance: {
          version: 'v0.2',
          images: [
            { ref: `${h}/ps/golang:1`, digest: go.digest },
            { ref: `${h}/ps/runtime:1`, digest: runtime.digest },
          ],
          stages: [
            { from: { image: 0 }, steps: [{ run: 'go build' }] },
            {
              from: { image: 1 },
              steps: [
                { copy: '/app', from: { stage: 0 }, link: true },
                { copy: '/config' },
                { run: 'true' },
              ],
            },
          ],
        },
      },
    ]);
    const parts = await createTestParts({ registryHost: h, clock });
    try {
      const bases = byImage(
        (
          await parts.refresh(
            entity('ps', [`${h}/ps/static:1`, `${h}/ps/linked:1`]),
          )
        ).baseImages,
      );
      expect(bases[`${h}/ps/static:1`].base).toMatchObject({
        name: 'scratch',
        source: {
          kind: 'provenance',
          provenance: { determinedBy: 'build-steps' },
        },
      });
      expect(bases[`${h}/ps/static:1`].verdict.verdict).toBe('current');
      expect(bases[`${h}/ps/linked:1`].base).toMatchObject({
        name: `${h}/ps/runtime:1`,
        builtOnDigest: runtime.digest,
        source: {
          kind: 'provenance',
          provenance: { determinedBy: 'build-steps' },
        },
      });
    } finally {
      await parts.close();
    }
  });

  it('a malformed or huge statement is an error naming the attestation (kept, not read again); the labels still count', async () => {
    const h = registry.host;
    const clock = testClock('2026-11-21T00:00:00Z');
    const base = await pushImage(registry.url, 'pm/base', '1', {
      files: { v: 'base' },
    });
    const labels = { 'org.opencontainers.image.base.name': `${h}/pm/base:1` };
    const broken = await pushBuildKitIndex(registry.url, 'pm/broken', '1', [
      {
        image: { files: { v: 'broken' }, labels },
        provenance: {
          version: 'v1',
          images: [],
          statement: Buffer.from(
            '{"_type": "https://in-toto.io/Statement/v0.1", "predicateType"',
          ),
        },
      },
    ]);
    const huge = await pushBuildKitIndex(registry.url, 'pm/huge', '1', [
      {
        image: { files: { v: 'huge' } },
        provenance: {
          version: 'v1',
          images: [],
          statement: Buffer.alloc(4 * 1024 * 1024 + 1, ' '),
        },
      },
    ]);
    const parts = await createTestParts({ registryHost: h, clock });
    try {
      const target = entity('pm', [`${h}/pm/broken:1`, `${h}/pm/huge:1`]);
      for (let i = 0; i < 2; i++) {
        const bases = byImage((await parts.refresh(target)).baseImages);
        const b = bases[`${h}/pm/broken:1`];
        expect(b.base).toMatchObject({
          name: `${h}/pm/base:1`,
          currentDigest: base.digest,
          source: { kind: 'label' },
        });
        expect(b.error).toMatchObject({ class: 'SERVER_ERROR' });
        expect(b.error?.message).toContain(
          `The in-toto statement ${broken.attestations[0].statement} of the attestation ${h}/pm/broken@${broken.attestations[0].digest} of ${broken.images[0].digest} is malformed: it is not JSON`,
        );
        const g = bases[`${h}/pm/huge:1`];
        expect(g.base).toBeUndefined();
        expect(g.error).toMatchObject({ class: 'TOO_LARGE' });
        expect(g.error?.message).toContain(
          `of the attestation ${h}/pm/huge@${huge.attestations[0].digest}`,
        );
        expect(g.verdict.verdict).toBe('unknown');
        clock.advance(DAY);
      }
      await settle();
      // The broken statement was downloaded once; the huge one never (its size is declared).
      expect(
        requests(`blobs/${broken.attestations[0].statement}`),
      ).toHaveLength(1);
      expect(requests(`blobs/${huge.attestations[0].statement}`)).toHaveLength(
        0,
      );
      expect(requests(`manifests/${huge.attestations[0].digest}`)).toHaveLength(
        1,
      );
    } finally {
      await parts.close();
    }
  });
});
