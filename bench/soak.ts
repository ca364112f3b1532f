/**
 * `npm run soak`: a long mixed F2 load with migrations and checkpoints on a bounded memory
 * budget (bench/lib/soak.ts), printing a line every --report-every seconds and JSON at the end.
 * Exits with status 1 if any read was wrong, any acknowledged write was lost at the final
 * recovery, or the object count or RSS outgrew their bounds after warm-up.
 *
 *   npm run soak                                   # 5 minutes, the store in a temp directory
 *   npm run soak -- --duration 2h --minio          # against a local MinIO (integration/servers.ts)
 *   npm run soak -- --url s3://bucket/prefix       # a real bucket (credentials from the AWS chain)
 *
 * Flags: --duration (90s, 10m, 2h), --report-every (s, 10), --checkpoint-every (s, 15),
 * --keys (20000), --value-bytes (100), --hot-memory (1MiB), --cold-budget (4MiB), --seed, --url, --endpoint, --minio,
 * --json (file for the result).
 */
import { writeFileSync } from 'node:fs';
import { Flags, parseBytes } from './lib/args.js';
import { runSoak } from './lib/soak.js';
import type { OpenObjectStoreOptions } from '../src/devices/open-object-store.js';

function seconds(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw new Error(`--duration: "${raw}" is not a duration (90s, 10m, 2h)`);
  const n = Number(m[1]);
  return m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 'ms' ? n / 1000 : n;
}

async function main(): Promise<number> {
  const flags = new Flags(process.argv.slice(2));
  const durationSec = seconds(flags.string('duration', '5m'));
  const reportEverySec = flags.count('report-every', 10);
  const checkpointEverySec = flags.count('checkpoint-every', 15);
  const keys = flags.count('keys', 20_000);
  const valueBytes = flags.count('value-bytes', 100);
  const hotMemory = parseBytes(flags.string('hot-memory', '1MiB')) ?? 1024 * 1024;
  const coldLogBudget = parseBytes(flags.string('cold-budget', '4MiB')) ?? 4 * 1024 * 1024;
  const seed = flags.count('seed', (Date.now() ^ (Math.random() * 2 ** 31)) >>> 0);
  let url = flags.optionalString('url');
  const endpoint = flags.optionalString('endpoint');
  const useMinio = flags.bool('minio', false);
  const jsonPath = flags.optionalString('json');
  flags.rejectUnknown();
  let store: OpenObjectStoreOptions = endpoint ? { endpoint } : {};
  let minio: { stop(): Promise<void> } | undefined;
  if (useMinio) {
    const { startS3 } = await import('../integration/servers.js');
    const server = await startS3((line) => process.stderr.write(`${line}\n`));
    minio = server;
    const i = server.info;
    url = `s3://${i.bucket}/soak-${Date.now().toString(36)}`;
    store = { endpoint: i.endpoint, region: i.region, forcePathStyle: true, credentials: { accessKeyId: i.accessKeyId, secretAccessKey: i.secretAccessKey } };
  }
  const stop = (): void => {
    void (minio?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`[soak] seed=${seed} duration=${durationSec}s keys=${keys} valueBytes=${valueBytes} hotMemory=${hotMemory} url=${url ?? '(temp directory)'}`);
  try {
    const r = await runSoak({
      ...(url !== undefined ? { url } : {}), store, durationSec, reportEverySec, checkpointEverySec, keys, valueBytes, hotMemory, coldLogBudget, seed,
      warmupFraction: 0.3, print: (line) => console.log(line),
    });
    const summary = { ...r, samples: undefined };
    console.log(JSON.stringify(summary, null, 2));
    if (jsonPath) writeFileSync(jsonPath, JSON.stringify(r, null, 2));
    const ok = r.wrongReads === 0 && r.lost === 0 && r.withinBounds && r.errors.length === 0;
    console.log(`[soak] ${ok ? 'OK' : 'FAILED'}: acknowledged=${r.acknowledged} wrong reads=${r.wrongReads} lost=${r.lost} ` +
      `objects after warm-up max ${r.bounds.maxObjectsAfterWarmup} (bound ${r.bounds.objects}), RSS max ${r.bounds.maxRssMiBAfterWarmup} MiB (bound ${r.bounds.rssMiB})`);
    return ok ? 0 : 1;
  } finally {
    await minio?.stop();
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
