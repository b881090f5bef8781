export { GroupedImagesTable } from './GroupedImagesTable';
