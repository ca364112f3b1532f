/**
 * F2 checkpoints: one token for both tiers. The hot tier checkpoints under `<checkpoint.url>/hot`
 * (its own manifests, CPR, snapshot of its log) and the cold tier under its own URL; an F2
 * checkpoint is complete only when its manifest, published last under `<checkpoint.url>/f2`,
 * names the hot and the cold token. Recovery reads the newest F2 manifest and opens each tier
 * at the token it names, so a crash between the tiers' checkpoints and the F2 manifest leaves
 * the previous F2 checkpoint in force. Opening claims the F2 prefix (a manifest with the next
 * writer epoch) before either tier, so a superseded writer's next F2 publish fails (FencedError).
 */
import { randomBytes } from 'node:crypto';
import type { FencedError } from '../core/errors.js';
import type { ObjectStore } from '../devices/object-store.js';
import { chooseCheckpoint, describeTokens, ManifestStore, MANIFEST_FORMAT, type ManifestEntry } from '../kv/checkpoint-manifest.js';

export interface F2CheckpointDescriptor {
  token: string;
  createdAt: string;
  /** The hot tier's checkpoint token (under <checkpoint.url>/hot). */
  hot: string;
  /** The cold tier's checkpoint token (under the cold URL). */
  cold: string;
  /** Per session id, the serial number up to which its operations are in the checkpoint. */
  sessions: Record<string, number>;
  /** With an operation log: its tail at the checkpoint's version switch (recovery replays from there). */
  aofAddress?: number;
}

export class F2Manifests {
  private constructor(
    readonly store: ObjectStore,
    private readonly manifests: ManifestStore<F2CheckpointDescriptor>,
    private seq: number,
    readonly writerEpoch: number,
    private readonly writerId: string,
    /** Retained checkpoints, newest first. */
    private retained: F2CheckpointDescriptor[],
    readonly chosen: F2CheckpointDescriptor | undefined,
  ) {}

  /** Reads the F2 manifests, picks the checkpoint to recover and claims the prefix. */
  static async claim(store: ObjectStore, recover: boolean | string, keep: number): Promise<F2Manifests> {
    const manifests = new ManifestStore<F2CheckpointDescriptor>(store);
    const { chosen, seq, writerEpoch } = await chooseCheckpoint(manifests, 'f2', recover);
    const writerId = randomBytes(8).toString('hex');
    const retained = chosen ? [chosen] : [];
    await manifests.publish({ format: MANIFEST_FORMAT, kind: 'f2', seq, writerEpoch, writerId, publishedAt: new Date().toISOString(), checkpoint: chosen });
    return new F2Manifests(store, manifests, seq, writerEpoch, writerId, retained, chosen);
  }

  /**
   * The claim check (one LIST): a FencedError when another writer has published an F2 manifest
   * after this writer's newest, undefined while this writer owns the store.
   */
  newerWriter(): Promise<FencedError | undefined> {
    return this.manifests.newerWriter(this.seq, this.writerId);
  }

  /** Publishes the F2 manifest naming both tiers' tokens: the commit point of an F2 checkpoint. */
  async publish(hot: string, cold: string, sessions: Record<string, number>, keep: number, aofAddress?: number): Promise<string> {
    const seq = this.seq + 1;
    const token = `${String(seq).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
    const descriptor: F2CheckpointDescriptor = {
      token, createdAt: new Date().toISOString(), hot, cold, sessions, ...(aofAddress !== undefined ? { aofAddress } : {}),
    };
    const published = await this.manifests.publish({
      format: MANIFEST_FORMAT,
      kind: 'f2',
      seq,
      writerEpoch: this.writerEpoch,
      writerId: this.writerId,
      publishedAt: new Date().toISOString(),
      checkpoint: descriptor,
    });
    this.seq = published;
    this.retained = [descriptor, ...this.retained].slice(0, keep);
    await this.prune().catch(() => undefined);
    return token;
  }

  /** Lowest operation-log address a retained F2 checkpoint replays from (undefined: none records one). */
  operationLogLimit(): number | undefined {
    let limit: number | undefined;
    for (const c of this.retained) if (c.aofAddress !== undefined) limit = Math.min(limit ?? c.aofAddress, c.aofAddress);
    return limit;
  }

  /** Deletes manifests older than the newest that describe no retained checkpoint. */
  private async prune(): Promise<void> {
    const tokens = new Set(this.retained.map((c) => c.token));
    const doomed: string[] = [];
    const keys = await this.manifests.keys();
    // A newer manifest than this writer's: another writer owns the store now; delete nothing.
    if ((keys.at(-1)?.seq ?? 0) > this.seq) return;
    for (const e of keys) {
      if (e.seq >= this.seq) continue;
      const entry: ManifestEntry<F2CheckpointDescriptor> = await this.manifests.read(e.key, e.seq);
      const token = entry.manifest?.checkpoint?.token;
      if (entry.error === undefined && (token === undefined || !tokens.has(token))) doomed.push(e.key);
    }
    await this.manifests.delete(doomed);
  }

  /** Tokens of the F2 checkpoints, newest first. */
  async tokens(): Promise<string[]> {
    const entries = await this.manifests.all();
    return [...new Set(entries.flatMap((e) => (e.manifest?.checkpoint ? [e.manifest.checkpoint.token] : [])))];
  }

  async othersThan(token: string): Promise<string> {
    return describeTokens(await this.manifests.all(), token);
  }
}
