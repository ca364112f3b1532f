/** The devices layer: object stores, storage devices, and how to open them by URL. */
export type { ObjectStore, PutCondition, PutOptions, GetOptions, PutResult, ByteRange, ObjectInfo } from './object-store.js';
export type { ObjectStoreStats, RequestKindStats, RequestKind } from './object-store-stats.js';
export type { StorageDevice, DeviceStats, DeviceExtent } from './storage-device.js';
export { openObjectStore, type OpenObjectStoreOptions } from './open-object-store.js';
export { parseObjectStoreUrl, type ParsedStoreUrl } from './object-store-url.js';
export { openStorageDevice, type OpenStorageDeviceOptions } from './open-storage-device.js';
export { MemoryObjectStore, type MemoryObjectStoreOptions } from './memory-object-store.js';
export { LocalFsObjectStore, type LocalFsObjectStoreOptions } from './local-fs-object-store.js';
export { RetryingObjectStore } from './retrying-object-store.js';
export {
  FaultInjectingObjectStore,
  type FaultKind,
  type FaultRule,
  type FaultSchedule,
  type InjectedFault,
} from './fault-injecting-object-store.js';
export { RequestPolicy, type RequestPolicyOptions } from './request-policy.js';
export { ObjectLogDevice, type ObjectLogDeviceOptions } from './object-log-device.js';
export { FileDevice, type FileDeviceOptions } from './file-device.js';
export { NullDevice } from './null-device.js';
export { DirectoryLock } from './directory-lock.js';
export type { PayloadChecksum, S3ObjectStore, S3ObjectStoreOptions, S3Credentials } from './s3-object-store.js';
export type { AzureBlobObjectStore, AzureBlobObjectStoreOptions } from './azure-blob-object-store.js';
