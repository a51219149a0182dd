/**
 * `$(VAR)` expansion exactly as Kubernetes does it in env values, command and args
 * (k8s.io/kubernetes third_party/forked/golang/expansion): `$$` escapes a `$`, a reference to an
 * undefined variable stays as written, an unterminated `$(` is copied unchanged.
 */

export type Mapping = (name: string) => string;

/** Looks a name up in each context in turn; an unknown name keeps its `$(NAME)` form. */
export function mappingFor(...contexts: ReadonlyMap<string, string>[]): Mapping {
  return (name) => {
    for (const vars of contexts) {
      const value = vars.get(name);
      if (value !== undefined) return value;
    }
    return `$(${name})`;
  };
}

/** Reads what follows a `$`: [text to emit or name, whether it is a name, characters consumed]. */
function readVariableName(input: string): [string, boolean, number] {
  if (input[0] === "$") return ["$", false, 1];
  if (input[0] === "(") {
    const close = input.indexOf(")", 1);
    if (close !== -1) return [input.slice(1, close), true, close + 1];
    return ["$(", false, 1];
  }
  return [`$${input[0]}`, false, 1];
}

export function expand(input: string, mapping: Mapping): string {
  let out = "";
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] === "$" && cursor + 1 < input.length) {
      out += input.slice(checkpoint, cursor);
      const [read, isName, advance] = readVariableName(input.slice(cursor + 1));
      out += isName ? mapping(read) : read;
      cursor += advance;
      checkpoint = cursor + 1;
    }
  }
  return out + input.slice(checkpoint);
}
