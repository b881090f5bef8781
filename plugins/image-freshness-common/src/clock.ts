import { Settings } from 'luxon';

/**
 * Where code reads "now". Every time-dependent part of the backend takes one
 * in its options, and tests pass a fixed one; verdicts are computed against
 * it, never against the wall clock directly.
 *
 * @public
 */
export type Clock = () => Date;

/**
 * The one default clock: luxon's (`Settings.now`), which is the system clock
 * unless something pins it. Relative times and `DateTime.now()` read the same
 * one, so a verdict and the text beside it always agree.
 *
 * @public
 */
export const systemClock: Clock = () => new Date(Settings.now());
