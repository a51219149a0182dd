/**
 * The preview's words for `replaceMembers`. Preview makes no network call and `check` sees only
 * the old inputs, which hold no member IDs, so the members are named by ID; the run itself says
 * which member each ID is, or that it is no longer a member (already replaced).
 */
export function describeReplacements(ids: string[]): string | undefined {
  if (ids.length === 0) return undefined;
  const which = ids.length === 1 ? `member ${ids[0]}` : `members ${ids.join(", ")}, one at a time`;
  return (
    `replace ${which} if still a member: remove it, discard its volume, add a new member at its ` +
    "ordinal as a learner on an empty volume and promote it"
  );
}
