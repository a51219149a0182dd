/**
 * The provider's pure half: `check` validates the inputs and adds the planned change (preview makes
 * no network calls), `diff` says whether a run is needed. Both see only inputs and the previous
 * outputs.
 */
import { checkSize } from "../../model/config/rules";
import { REPLACE_KEYS, UPDATE_KEYS, argsOf, validateInputs } from "../../model/membership/inputs";
import { UNKNOWN, isUnknown } from "../../model/membership/unknown";
import { checkFixedSettings } from "./fixedSettings";
import { plannedChange } from "./plannedChange";
import { describeReplacements } from "./replacements";

type Props = Record<string, unknown>;

const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export function checkInputs(olds: Props, news: Props) {
  // Another name or namespace is another cluster (a replacement): planned from nothing.
  const sameCluster = REPLACE_KEYS.every((k) => olds[k] === news[k]);
  const violations = [
    ...validateInputs(news),
    ...(sameCluster ? checkFixedSettings(olds, news) : []),
  ];
  const failures = violations.map((v) => ({ property: v.key, reason: v.message }));
  if (failures.length > 0) return { inputs: news, failures };
  if (isUnknown(news.size) || isUnknown(news.clusterName) || isUnknown(news.volumePolicy))
    return { inputs: { ...news, members: UNKNOWN, plan: UNKNOWN } };
  const oldSize =
    sameCluster && checkSize("size", olds.size) === undefined ? (olds.size as number) : undefined;
  const args = argsOf(news);
  const change = plannedChange(oldSize, args.size, args);
  const replacing = describeReplacements(args.replaceMembers ?? []);
  const planText = replacing ? `${replacing}; then ${change.plan}` : change.plan;
  return { inputs: { ...news, ...change, plan: planText } };
}

export function diffInputs(olds: Props, news: Props) {
  const replaces = REPLACE_KEYS.filter((k) => !sameValue(olds[k], news[k]));
  const updates = UPDATE_KEYS.filter((k) => !sameValue(olds[k], news[k]));
  // Every change leaves as many replicas as members. Other replicas after a refresh mean the
  // StatefulSet was scaled around the provider (a removed member's pod may be crash-looping on
  // its old volume): an update repairs that, so `pulumi up --refresh` does.
  const scaledAround = typeof olds.replicas === "number" && olds.replicas !== news.size;
  // A refresh found something to repair (or to refuse): only an update does either.
  const pending = typeof olds.pendingChange === "string";
  return {
    changes: replaces.length + updates.length > 0 || scaledAround || pending,
    replaces: [...replaces],
    deleteBeforeReplace: false,
  };
}
