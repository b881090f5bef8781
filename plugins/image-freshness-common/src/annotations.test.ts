import {
  isImageFreshnessAvailable,
  parseImagesAnnotation,
} from './annotations';

const entity = (annotations: Record<string, string>) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'api', annotations },
});

describe('parseImagesAnnotation', () => {
  it('splits on commas and newlines, trims and de-duplicates', () => {
    expect(
      parseImagesAnnotation(
        ' ghcr.io/a/api:1 ,\nghcr.io/a/worker:2\n\nghcr.io/a/api:1',
      ),
    ).toEqual(['ghcr.io/a/api:1', 'ghcr.io/a/worker:2']);
  });
});

describe('isImageFreshnessAvailable', () => {
  it('is true for Kubernetes or image annotations only', () => {
    expect(
      isImageFreshnessAvailable(entity({ 'image-freshness/images': 'a:1' })),
    ).toBe(true);
    expect(
      isImageFreshnessAvailable(
        entity({ 'backstage.io/kubernetes-id': 'api' }),
      ),
    ).toBe(true);
    expect(
      isImageFreshnessAvailable(entity({ 'image-freshness/images': '  ' })),
    ).toBe(false);
    expect(isImageFreshnessAvailable(entity({}))).toBe(false);
  });
});
