/** A Redis server address. */
export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

/** Which Redis the node uses: exactly one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS (`app/config.ts`). */
export type RedisTarget =
  | { readonly kind: 'standalone'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly RedisAddress[] }
  | { readonly kind: 'sentinel'; readonly sentinels: readonly RedisAddress[]; readonly name: string };
