/**
 * Bytes and objects a store keeps under a prefix of a bucket (S3) or container (Azure Blob),
 * listed directly on the server, not through the counting proxy: the benchmark's own LISTs are
 * not the store's requests.
 */
export interface BucketUsage {
  objects: number;
  bytes: number;
}

export type BucketTarget =
  | { kind: 's3'; endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string }
  | { kind: 'azure'; connectionString: string; container: string };

export async function bucketUsage(target: BucketTarget, prefix: string): Promise<BucketUsage> {
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  let objects = 0;
  let bytes = 0;
  if (target.kind === 's3') {
    const { S3Client, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const client = new S3Client({ endpoint: target.endpoint, region: target.region, forcePathStyle: true, credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey } });
    try {
      let token: string | undefined;
      do {
        const r = await client.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: p, ContinuationToken: token }));
        for (const o of r.Contents ?? []) {
          objects++;
          bytes += o.Size ?? 0;
        }
        token = r.IsTruncated === true ? r.NextContinuationToken : undefined;
      } while (token !== undefined);
    } finally {
      client.destroy();
    }
  } else {
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const container = BlobServiceClient.fromConnectionString(target.connectionString).getContainerClient(target.container);
    for await (const b of container.listBlobsFlat({ prefix: p })) {
      objects++;
      bytes += b.properties.contentLength ?? 0;
    }
  }
  return { objects, bytes };
}
