/**
 * The IDs etcd gives a cluster it founds, computed ahead: with `--initial-cluster-state=new` a
 * member's ID is the first 8 bytes of sha1(its sorted peer URLs, then the cluster token), and the
 * cluster ID the first 8 bytes of sha1 of the sorted member IDs (etcd's membership.NewMember and
 * RaftCluster.genID, the same in 3.4, 3.5 and 3.6). A founding member that answers with other IDs
 * did not found this cluster: it started on data of another.
 */
import * as crypto from "node:crypto";

const first8 = (bytes: Buffer): string => bytes.readBigUInt64BE(0).toString(16);

function bootstrapMemberId(peerURLs: string[], token: string): string {
  const text = [...peerURLs].sort().join("") + token;
  return first8(crypto.createHash("sha1").update(text).digest());
}

function clusterIdOf(memberIds: string[]): string {
  const ids = memberIds.map((id) => BigInt(`0x${id}`)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = Buffer.alloc(8 * ids.length);
  ids.forEach((id, i) => bytes.writeBigUInt64BE(id, 8 * i));
  return first8(crypto.createHash("sha1").update(bytes).digest());
}

/** The cluster a single founding member at `peerURL` creates with `token`. */
export function foundedIdentity(
  peerURL: string,
  token: string,
): { memberId: string; clusterId: string } {
  const memberId = bootstrapMemberId([peerURL], token);
  return { memberId, clusterId: clusterIdOf([memberId]) };
}
