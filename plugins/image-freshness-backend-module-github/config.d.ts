export interface Config {
  imageFreshness?: {
    /**
     * Credentials for GitHub Container Registry (`ghcr.io`) from the portal's GitHub
     * integration (`integrations.github`): the token the integration has for the image's owner
     * (`ghcr.io/<owner>/...`). GHCR accepts only classic personal access tokens with
     * `read:packages`; a GitHub App installation token is refused, and the error then says so.
     * Installed with `backstage-plugin-image-freshness-backend-module-github`; without this
     * section the module adds nothing. Credentials in `imageFreshness.registries[]` and the
     * Docker config file come first.
     */
    github?: {
      /**
       * The registry hosts that take the integration's tokens.
       * @default [ghcr.io]
       */
      hosts?: string[];
      /**
       * The host of the GitHub integration whose credentials are used (`integrations.github[].host`).
       * @default github.com
       */
      integrationHost?: string;
    };
  };
}
