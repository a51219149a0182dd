/**
 * The bench's environment settings: a whole number of at least 1, or the default when unset. A
 * value that is not is refused before anything starts, naming the variable.
 */
export function countSetting(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name}=${JSON.stringify(text)} is not allowed: a whole number, 1 or more`);
  return value;
}
