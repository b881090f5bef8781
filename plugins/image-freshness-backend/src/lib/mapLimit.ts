export { mapLimit } from 'backstage-plugin-image-freshness-common';
