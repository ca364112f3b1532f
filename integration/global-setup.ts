/**
 * vitest globalSetup of the integration project: starts (or finds) Azurite and MinIO once and
 * hands their endpoints to the tests with provide()/inject(). Order: endpoints from the
 * environment, a container runtime, local processes. A backend that cannot start fails its
 * tests (and, under CI=true, the whole run), unless F2KV_ALLOW_MISSING_BACKENDS=1 outside CI asks
 * to skip them knowingly.
 */
import type { TestProject } from 'vitest/node';
import { startAzure, startS3, type AzureEndpoint, type Running, type S3Endpoint } from './servers.js';

export type Backend<T> = { available: true; info: T } | { available: false; reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    s3: Backend<S3Endpoint>;
    azure: Backend<AzureEndpoint>;
  }
}

const log = (line: string) => process.stderr.write(`[integration] ${line}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ci = process.env['CI'] === 'true';
  const running: Running<unknown>[] = [];
  const [s3, azure] = await Promise.allSettled([startS3(log), startAzure(log)]);
  const teardown = async () => {
    for (const r of running) await r.stop().catch((e: unknown) => log(`stopping a server failed: ${String(e)}`));
  };
  const failures: string[] = [];
  if (s3.status === 'fulfilled') {
    running.push(s3.value);
    project.provide('s3', { available: true, info: s3.value.info });
  } else {
    const reason = s3.reason instanceof Error ? s3.reason.message : String(s3.reason);
    failures.push(`MinIO: ${reason}`);
    project.provide('s3', { available: false, reason });
  }
  if (azure.status === 'fulfilled') {
    running.push(azure.value);
    project.provide('azure', { available: true, info: azure.value.info });
  } else {
    const reason = azure.reason instanceof Error ? azure.reason.message : String(azure.reason);
    failures.push(`Azurite: ${reason}`);
    project.provide('azure', { available: false, reason });
  }
  if (failures.length > 0) {
    if (ci) {
      await teardown();
      throw new Error(`integration backends failed to start under CI=true:\n${failures.join('\n')}`);
    }
    for (const f of failures) log(`backend unavailable: ${f}`);
  }
  return teardown;
}
