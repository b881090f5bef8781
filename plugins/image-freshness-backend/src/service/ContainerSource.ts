// The container source types live in -node, where modules find them.
export type {
  ContainerSource,
  FoundContainers,
} from 'backstage-plugin-image-freshness-node';
