/** What the etcd adapter reports, in etcdctl's terms: member IDs as lower-case hex strings. */

export interface EtcdMember {
  id: string;
  /** Empty until the member has started and published its name (etcd's "unstarted"). */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface EtcdMemberList {
  clusterId: string;
  members: EtcdMember[];
}

/** Maintenance.Status of the one member behind an endpoint. */
export interface EtcdStatus {
  /** The cluster of the member that answered: its data says which. */
  clusterId: string;
  /** The member that answered. */
  memberId: string;
  /** The leader as this member sees it; absent when it knows none. */
  leader?: string;
  raftIndex: number;
  raftAppliedIndex: number;
  isLearner: boolean;
  dbSize: number;
  errors: string[];
}

export interface EtcdAlarm {
  memberId: string;
  /** As etcdctl prints it: NOSPACE, CORRUPT. */
  alarm: string;
}
