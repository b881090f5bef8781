export { BaseImagesContent } from './BaseImagesContent';
