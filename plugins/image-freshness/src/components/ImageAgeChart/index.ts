export { ImageAgeChart } from './ImageAgeChart';
