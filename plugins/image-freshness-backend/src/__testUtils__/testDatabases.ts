// shared with the modules' store tests
export { storeTestDatabases } from '@internal/test/harness/testDatabases';
