export { BaseImagesTable } from './BaseImagesTable';
