/**
 * Page frames of an in-memory log: a ring of `count` page-sized buffers, each viewed as bytes and
 * as 32-bit words, allocated on first use (a log that never fills its budget never pays for it).
 * Page p lives in frame p mod count. Used by the HybridLog and the read cache.
 */
export class PageFrames {
  readonly u8: (Uint8Array | undefined)[];
  readonly u32: (Uint32Array | undefined)[];

  constructor(
    readonly count: number,
    readonly pageSize: number,
  ) {
    this.u8 = new Array<Uint8Array | undefined>(count).fill(undefined);
    this.u32 = new Array<Uint32Array | undefined>(count).fill(undefined);
  }

  /** Allocates the frame of `page` if it has none yet. */
  ensure(page: number): void {
    const f = page % this.count;
    if (this.u8[f] === undefined) {
      const buffer = new ArrayBuffer(this.pageSize);
      this.u8[f] = new Uint8Array(buffer);
      this.u32[f] = new Uint32Array(buffer);
    }
  }

  /** Bytes of frames allocated so far. */
  get memoryBytes(): number {
    let n = 0;
    for (const f of this.u8) if (f !== undefined) n++;
    return n * this.pageSize;
  }
}
