import type { Entity } from '@backstage/catalog-model';
import { notificationPayload, notificationScope } from './notificationPayload';

const entity = (name: string, namespace = 'Payments'): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace },
  spec: { owner: 'team-a' },
});

describe('notificationPayload', () => {
  it('links to the tab at the catalog route; the scope names the entity by its ref', () => {
    const payload = notificationPayload({
      entity: entity('Checkout'),
      condition: { kind: 'stale', image: 'ghcr.io/acme/a:1', reason: 'Old' },
      severity: 'high',
    });
    expect(payload.link).toBe(
      '/catalog/payments/component/Checkout/image-freshness',
    );
    expect(payload.scope).toBe(
      'image-freshness:stale:component:payments/checkout:ghcr.io/acme/a:1',
    );
  });

  it('keeps scope and title within the 255 characters the notifications backend stores', () => {
    const image = `registry.example.com/${'very-long-path/'.repeat(20)}app:1.0`;
    const condition = { kind: 'rebuild-due' as const, image, reason: 'Moved' };
    const payload = notificationPayload({
      entity: entity('checkout'),
      condition,
      severity: 'normal',
    });
    expect(payload.scope).toMatch(
      /^image-freshness:rebuild-due:sha256:[0-9a-f]{64}$/,
    );
    expect(payload.title.length).toBe(255);
    expect(payload.title.endsWith('…')).toBe(true);
    // the same transition always has the same scope; another image another
    const key = {
      entityRef: 'component:payments/checkout',
      kind: condition.kind,
      image,
    };
    expect(notificationScope(key)).toBe(payload.scope);
    expect(notificationScope({ ...key, image: `${image}x` })).not.toBe(
      payload.scope,
    );
  });
});
