/**
 * Runs Pulumi code under `pulumi.runtime.setMocks` and records each registration as the engine
 * would receive it: type, name, inputs, and the parent, dependencies and options that the mocks'
 * `newResource` does not see. Pulumi's runtime state is global to the process, and Node's test
 * runner gives each test file its own process, so each file runs one program.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Registration {
  type: string;
  name: string;
  urn: string;
  /** URN of the parent, "" for none. */
  parent: string;
  /** URNs this resource waits for (explicit dependsOn and input dependencies). */
  dependencies: string[];
  custom: boolean;
  retainOnDelete: boolean;
  ignoreChanges: string[];
  /** Outputs the engine is told to keep secret (`additionalSecretOutputs`). */
  additionalSecretOutputs: string[];
  /** Top-level inputs that reach the engine as secrets (wrapped in Pulumi's secret signature). */
  secretInputs: string[];
  inputs: Record<string, unknown>;
}

/** How the SDK marks a secret value in the Struct it sends to the engine. */
export const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";
export const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";

/** The parts of the mock monitor's register request and response that the recorder reads. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getRetainondelete(): boolean | undefined;
  getIgnorechangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface RegisterResponse {
  getUrn(): string;
}
type Callback = (error: unknown, response?: RegisterResponse) => void;
interface RecordableMonitor {
  registerResource(request: RegisterRequest, callback: Callback): unknown;
}

export async function recordRegistrations(
  project: string,
  stack: string,
  preview = false,
): Promise<Registration[]> {
  const registrations: Registration[] = [];
  const inputs = new Map<string, Record<string, unknown>>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        inputs.set(`${args.type}::${args.name}`, args.inputs as Record<string, unknown>);
        return { id: args.custom ? `${args.name}-id` : undefined, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    project,
    stack,
    preview,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as RecordableMonitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) =>
    register(request, (error, response) => {
      if (!error && response) {
        const key = `${request.getType()}::${request.getName()}`;
        registrations.push({
          type: request.getType(),
          name: request.getName(),
          urn: response.getUrn(),
          parent: request.getParent(),
          dependencies: request.getDependenciesList(),
          custom: request.getCustom(),
          retainOnDelete: request.getRetainondelete() === true,
          ignoreChanges: request.getIgnorechangesList(),
          additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
          secretInputs: Object.entries(request.getObject()?.toJavaScript() ?? {})
            .filter(
              ([, v]) =>
                (v as Record<string, unknown> | null)?.[SIGNATURE_KEY] === SECRET_SIGNATURE,
            )
            .map(([k]) => k),
          inputs: inputs.get(key) ?? {},
        });
      }
      callback(error, response);
    });
  return registrations;
}

/** Waits until every registration the program started has been answered. */
export async function settle(): Promise<void> {
  await pulumi.runtime.disconnect();
}

export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

export function find(registrations: Registration[], type: string, name: string): Registration {
  const found = registrations.find((r) => r.type === type && r.name === name);
  if (!found)
    throw new Error(
      `no ${type} named ${name}; registered: ${registrations.map((r) => `${r.type} ${r.name}`).join(", ")}`,
    );
  return found;
}

/** The inputs of one registered resource, read as the object type they describe. */
export function inputsOf<T>(registrations: Registration[], type: string, name: string): T {
  return find(registrations, type, name).inputs as unknown as T;
}
