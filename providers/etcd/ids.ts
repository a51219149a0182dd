/** etcd3 returns uint64 IDs as decimal strings; etcdctl and our outputs use hex. */
export const hexId = (decimal: string | number): string => BigInt(decimal).toString(16);
export const decimalId = (hex: string): string => BigInt(`0x${hex}`).toString(10);
