import {
  dockerPurl,
  provenanceStatement,
} from '@internal/test/harness/buildkit';
import {
  baseFromProvenance,
  finalRoot,
  parseDockerPurl,
  SLSA_V02,
  SLSA_V1,
} from './provenance';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const subject = {
  repository: 'registry.acme.test/shop/api',
  tag: '1.0',
  digest: `sha256:${'9'.repeat(64)}`,
  platform: { os: 'linux', architecture: 'amd64' },
};

const statement = (s: object) => {
  const value = s as { predicateType: string };
  return {
    predicateType: value.predicateType,
    statement: s as Record<string, unknown>,
  };
};

describe('BuildKit provenance, as documented in slsa-definitions.md', () => {
  it('reads Package URLs as BuildKit writes them (familiar names, percent-encoded host, tag, digest and platform qualifiers)', () => {
    expect(
      parseDockerPurl('pkg:docker/alpine@3.17?platform=linux%2Famd64', {
        sha256: '1'.repeat(64),
      }),
    ).toMatchObject({
      repository: 'docker.io/library/alpine',
      tag: '3.17',
      digest: D1,
      name: 'alpine:3.17',
    });
    expect(
      parseDockerPurl(dockerPurl('127.0.0.1:5000/base/node:22')),
    ).toMatchObject({
      repository: '127.0.0.1:5000/base/node',
      tag: '22',
      name: '127.0.0.1:5000/base/node:22',
    });
    expect(
      parseDockerPurl(dockerPurl(`ghcr.io/acme/base:1@${D2}`)),
    ).toMatchObject({
      repository: 'ghcr.io/acme/base',
      tag: '1',
      pinned: D2,
      digest: D2,
    });
    expect(parseDockerPurl(`pkg:docker/acme/base?digest=${D2}`)).toMatchObject({
      repository: 'docker.io/acme/base',
      tag: undefined,
      digest: D2,
    });
    // not images a registry serves
    expect(parseDockerPurl('pkg:oci/base@1')).toBeUndefined();
    expect(
      parseDockerPurl(`pkg:docker/acme/base?digest=${D2}&ref_type=blob`),
    ).toBeUndefined();
    expect(
      parseDockerPurl('https://github.com/moby/buildkit.git#refs/tags/v0.11.0'),
    ).toBeUndefined();
  });

  it("takes the one image of a mode=min build, leaving out the gateway frontend's own image, for v0.2 and v1", () => {
    for (const version of ['v0.2', 'v1'] as const) {
      const s = provenanceStatement(
        {
          version,
          frontend: { ref: 'docker/dockerfile:1', digest: D2 },
          images: [{ ref: 'node:22-bookworm-slim', digest: D1 }],
        },
        subject,
      );
      expect(baseFromProvenance([statement(s)])).toEqual({
        kind: 'base',
        name: 'node:22-bookworm-slim',
        digest: D1,
        scratch: false,
        info: {
          predicateType: version === 'v1' ? SLSA_V1 : SLSA_V02,
          uri: 'pkg:docker/node@22-bookworm-slim?platform=linux%2Famd64',
          determinedBy: 'only-image',
        },
      });
    }
  });

  it('never guesses: several images and no build steps, no image, or a final stage from a non-image source', () => {
    const several = provenanceStatement(
      {
        version: 'v1',
        images: [
          { ref: 'golang:1.23', digest: D1 },
          { ref: 'alpine:3.20', digest: D2 },
        ],
      },
      subject,
    );
    expect(baseFromProvenance([statement(several)])).toEqual({
      kind: 'unknown',
      reason: expect.stringContaining(
        "the provenance's resolvedDependencies list 2 images (golang:1.23, alpine:3.20) and no build steps (provenance mode=min)",
      ),
    });
    const none = provenanceStatement({ version: 'v0.2', images: [] }, subject);
    expect(baseFromProvenance([statement(none)])).toEqual({
      kind: 'unknown',
      reason: expect.stringContaining(
        "the provenance's materials list no image",
      ),
    });
    expect(
      finalRoot([
        {
          id: 'step0',
          op: { Op: { source: { identifier: 'local://context' } } },
        },
        { id: 'step1', op: { Op: {} }, inputs: ['step0:0'] },
      ]),
    ).toEqual({
      kind: 'unknown',
      why: 'the final stage starts from local://context, not an image',
    });
    expect(
      finalRoot([
        {
          id: 'step0',
          op: {
            Op: {
              source: {
                identifier: `docker-image://docker.io/library/a:1@${D1}`,
              },
            },
          },
        },
        {
          id: 'step1',
          op: {
            Op: {
              source: {
                identifier: `docker-image://docker.io/library/b:1@${D2}`,
              },
            },
          },
        },
        {
          id: 'step2',
          op: { Op: { diff: { lower: { input: 0 }, upper: { input: 1 } } } },
          inputs: ['step0:0', 'step1:0'],
        },
        { id: 'step3', op: { Op: {} }, inputs: ['step2:0'] },
      ]),
    ).toEqual({
      kind: 'unknown',
      why: 'the final stage passes through a diff step (step2), which is not followed',
    });
    expect(
      finalRoot([{ id: 'step0', op: { Op: { exec: {} } } }]),
    ).toMatchObject({
      kind: 'unknown',
    });
    expect(baseFromProvenance([])).toEqual({
      kind: 'unknown',
      reason: 'the attestation holds no SLSA provenance (v0.2 or v1) statement',
    });
  });

  it('follows the final stage through RUN, COPY, COPY --link and a stage built on a stage', () => {
    const s = provenanceStatement(
      {
        version: 'v0.2',
        images: [
          { ref: 'golang:1.23', digest: D1 },
          { ref: 'gcr.io/distroless/static:nonroot', digest: D2 },
        ],
        stages: [
          { from: { image: 0 }, steps: [{ run: 'go build' }] },
          { from: { image: 1 }, line: 5, steps: [{ copy: '/etc/app' }] },
          {
            from: { stage: 1 },
            steps: [
              { copy: '/app', from: { stage: 0 }, link: true },
              { run: 'true' },
              { copy: '/more', from: { image: 0 } },
            ],
          },
        ],
        dockerfile:
          'FROM golang:1.23 AS build\nRUN go build\n\n# runtime\nFROM gcr.io/distroless/static:nonroot AS base\nCOPY /etc/app /etc/app\nFROM base\n',
      },
      subject,
    );
    expect(baseFromProvenance([statement(s)])).toMatchObject({
      kind: 'base',
      name: 'gcr.io/distroless/static:nonroot',
      digest: D2,
      info: {
        determinedBy: 'build-steps',
        dockerfile: {
          path: 'Dockerfile',
          line: 5,
          text: 'FROM gcr.io/distroless/static:nonroot AS base',
        },
      },
    });
  });
});
