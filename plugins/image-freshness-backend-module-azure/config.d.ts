export interface Config {
  imageFreshness?: {
    /**
     * Credentials for Azure Container Registry (`*.azurecr.io`, and the sovereign clouds'
     * `*.azurecr.cn`, `*.azurecr.us`): an Entra ID token for
     * `https://containerregistry.azure.net/.default` from `DefaultAzureCredential` (environment,
     * workload identity, managed identity, Azure CLI), exchanged at the registry's
     * `/oauth2/exchange` for an ACR refresh token, used with the user
     * `00000000-0000-0000-0000-000000000000` and minted again 5 minutes before it expires.
     * Installed with `backstage-plugin-image-freshness-backend-module-azure`; without this
     * section the module adds nothing. Credentials in `imageFreshness.registries[]` and the
     * Docker config file come first.
     */
    azure?: {
      /**
       * More hosts that are ACR registries (a registry behind a DNS name of your own).
       * @default []
       */
      hosts?: string[];
      /**
       * The Entra ID tenant the registry trusts, sent with the exchange; default: the
       * credential's own.
       */
      tenantId?: string;
    };
  };
}
