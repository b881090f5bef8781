export interface Config {
  imageFreshness?: {
    /**
     * Credentials for AWS ECR (`<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`) and, with
     * `public: true`, ECR Public (`public.ecr.aws`): a token from the ECR API's
     * GetAuthorizationToken (12 hours), minted with the AWS credentials of the registry's
     * account from the root `aws` config (`aws.accounts`, `aws.mainAccount`, else the SDK's
     * default chain: environment, web identity / IRSA, instance role) and minted again 5 minutes
     * before it expires. Installed with
     * `backstage-plugin-image-freshness-backend-module-ecr`; without this section the module
     * adds nothing. Credentials in `imageFreshness.registries[]` and the Docker config file come
     * first.
     */
    ecr?: {
      /**
       * Registries whose account and region are not in their name (a registry behind a DNS name
       * of your own), or whose account or region you pin. ECR hostnames need no entry.
       * @default []
       */
      registries?: Array<{
        /** `host[:port]` as written in image references. */
        host: string;
        /** The AWS account that owns the registry (12 digits); default: parsed from the host. */
        accountId?: string;
        /** The registry's region; default: parsed from the host (`us-east-1` for ECR Public). */
        region?: string;
        /** Whether it is ECR Public (GetAuthorizationToken of the ecr-public API). */
        public?: boolean;
      }>;
      /**
       * Whether `public.ecr.aws` gets a token too (higher pull quota than anonymous pulls), from
       * the ECR Public API with the main account's credentials.
       * @default false
       */
      public?: boolean;
    };
  };
}
