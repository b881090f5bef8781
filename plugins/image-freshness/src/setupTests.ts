import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// Waits wait for what the user sees, sized for a loaded 2-core machine: a
// full entity page can take seconds to render there while other suites run.
// Timer-driven steps (polling, countdowns) run on fake timers instead
// (fakeTimersAt in __testUtils__), where these waits are fake time.
configure({ asyncUtilTimeout: 10_000 });
jest.setTimeout(60_000);
