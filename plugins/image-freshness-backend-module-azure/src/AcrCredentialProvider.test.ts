import { ConfigReader } from '@backstage/config';
import {
  AcrCredentialProvider,
  isAzureRegistry,
  readAcrConfig,
} from './AcrCredentialProvider';

describe('ACR hosts', () => {
  it('speaks for azurecr.io, the sovereign clouds and the configured hosts only', () => {
    for (const host of [
      'contoso.azurecr.io',
      'contoso.azurecr.cn',
      'contoso.azurecr.us',
      'contoso.westeurope.azurecr.io',
    ]) {
      expect(isAzureRegistry(host)).toBe(true);
    }
    for (const host of [
      'azurecr.io',
      'contoso.azurecr.io.evil.example',
      'contosoazurecr.io',
      'ghcr.io',
    ]) {
      expect(isAzureRegistry(host)).toBe(false);
    }
    expect(readAcrConfig(new ConfigReader({}))).toBeUndefined();
    const provider = new AcrCredentialProvider({
      config: readAcrConfig(
        new ConfigReader({
          imageFreshness: { azure: { hosts: ['acr.internal:5000'] } },
        }),
      )!,
      credential: { getToken: async () => null },
    });
    expect(provider.matches('acr.internal:5000')).toBe(true);
    expect(provider.matches('contoso.azurecr.io')).toBe(true);
    expect(provider.matches('quay.io')).toBe(false);
  });
});
