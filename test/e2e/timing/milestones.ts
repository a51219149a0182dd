/** The stages of a pod's start and end that the breakdown times. Pure. */

export const MILESTONES = [
  "created",
  "scheduled",
  "running",
  "serving",
  "started",
  "ready",
  "deleting",
  "gone",
] as const;
export type Milestone = (typeof MILESTONES)[number];

/** What each milestone means, for the tables. */
export const MILESTONE_TEXT: Record<Milestone, string> = {
  created: "pod created (StatefulSet controller)",
  scheduled: "pod scheduled",
  running: "container running",
  serving: "etcd serving (/livez answers)",
  started: "startup probe passed",
  ready: "Ready",
  deleting: "pod deletion started",
  gone: "pod gone",
};

export type PodTimes = Partial<Record<Milestone, number>>;
