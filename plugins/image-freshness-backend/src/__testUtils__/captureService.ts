export { captureService } from '@internal/test/harness/captureService';
