export { ImageErrorNotice } from './ImageErrorNotice';
