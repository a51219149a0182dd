/** How the end-to-end tests print durations and moments in their logs. */

/** A duration in seconds to a tenth: `12.3 s`. */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** A moment (Date.now()) as the UTC time of day to the millisecond, to line up with etcd's logs. */
export const stamp = (ms: number): string => new Date(ms).toISOString().slice(11, 23);
