export interface Config {
  imageFreshness?: {
    /**
     * Credentials for Google Artifact Registry (`<location>-docker.pkg.dev`) and Container
     * Registry (`gcr.io`, `<region>.gcr.io`): an OAuth2 access token from Application Default
     * Credentials (workload identity, `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's application
     * default login, the metadata server), used as the password of user `oauth2accesstoken` and
     * minted again 5 minutes before it expires. Installed with
     * `backstage-plugin-image-freshness-backend-module-gcp`; without this section the module
     * adds nothing. Credentials in `imageFreshness.registries[]` and the Docker config file come
     * first.
     */
    gcp?: {
      /**
       * More hosts that take Google access tokens (a registry behind a DNS name of your own).
       * @default []
       */
      hosts?: string[];
      /**
       * OAuth2 scopes asked for.
       * @default [https://www.googleapis.com/auth/cloud-platform]
       */
      scopes?: string[];
    };
  };
}
