/**
 * The one way this project makes an error a caller can recognise: a plain `Error` with a `name`
 * (and plain fields), never a subclass. Pulumi serializes the membership provider with the code it
 * captures, and a serialized subclass's constructor runs `super(message)` as
 * `Error.call(this, message)`, which leaves the thrown object without its message; `instanceof`
 * against a serialized class fails as well. A name and plain fields survive both.
 */
export function namedError<T extends object>(
  name: string,
  message: string,
  fields?: T,
  options?: ErrorOptions,
): Error & T {
  const error = new Error(message, options);
  error.name = name;
  return Object.assign(error, fields);
}

export const hasErrorName = (error: unknown, name: string): error is Error =>
  error instanceof Error && error.name === name;
