export { ContainerImagesTable } from './ContainerImagesTable';
