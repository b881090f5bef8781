import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { imageFreshnessKargoWarehousesReadPermission } from 'backstage-plugin-image-freshness-common';
import {
  requirePermission,
  type BaseImageFacts,
} from 'backstage-plugin-image-freshness-node';
import express from 'express';
import Router from 'express-promise-router';
import type { KargoConfig } from './config';
import { buildWarehouses } from './warehouses';
import { warehousesYaml } from './yaml';

/**
 * `GET /kargo/warehouses`: the Kargo Warehouses for every monitored
 * repository, from the store (never a registry). Multi-document YAML, or a
 * Kubernetes `List` in JSON for `Accept: application/json`. Services may
 * read it; users need `image-freshness.kargo.warehouses.read` (it names every
 * entity's images, whatever the catalog lets a user see).
 */
export function createKargoRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  facts: BaseImageFacts;
  config: KargoConfig;
}): express.Router {
  const { httpAuth, permissions, facts, config } = options;
  const router = Router();
  router.get('/kargo/warehouses', async (req, res) => {
    await requirePermission({ httpAuth, permissions }, req, {
      permission: imageFreshnessKargoWarehousesReadPermission,
      what: 'Reading the Kargo Warehouses',
      allowServices: true,
    });
    const { warehouses, skipped } = buildWarehouses({
      uses: await facts.listImageUses(),
      policyFor: repository => facts.trackingPolicyFor(repository),
      ...config,
    });
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Vary', 'Accept');
    if (
      req.accepts(['application/yaml', 'application/json']) ===
      'application/json'
    ) {
      res.json({ apiVersion: 'v1', kind: 'List', items: warehouses });
      return;
    }
    res.type('application/yaml').send(warehousesYaml(warehouses, skipped));
  });
  return router;
}
