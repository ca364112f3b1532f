import { ConfigError } from '../core/errors.js';
import { redactUrl } from '../core/logger.js';
import { normalizePrefix } from './object-store.js';

/** An object store URL split into its parts (parseObjectStoreUrl). */
export interface ParsedStoreUrl {
  /** memory://, file://, s3:// or az://. */
  scheme: 'memory' | 'file' | 's3' | 'az';
  /** memory: the name; s3: the bucket; az: the container; file: "". */
  authority: string;
  /** file: the absolute directory; others: the key prefix without leading/trailing '/'. */
  path: string;
}

const SCHEMES = ['memory', 'file', 's3', 'az'] as const;

/** Splits and validates an object-store URL; a malformed one is a ConfigError naming the wrong part. */
export function parseObjectStoreUrl(url: string, option = 'url'): ParsedStoreUrl {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new ConfigError(option, 'expected a URL such as memory://, file:///var/lib/f2kv, s3://bucket/prefix or az://container/prefix');
  }
  const shown = redactUrl(url);
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)([?#].*)?$/.exec(url);
  if (!m) {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1];
    if (scheme && !url.startsWith(`${scheme}://`)) {
      throw new ConfigError(option, `"${shown}": expected "${scheme}://" after the scheme`);
    }
    throw new ConfigError(option, `"${shown}" is not a URL: the scheme is missing; use memory://, file:///dir, s3://bucket/prefix or az://container/prefix`);
  }
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  const rawPath = m[3] ?? '';
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    throw new ConfigError(option, `"${shown}": unsupported scheme "${scheme}"; use memory, file, s3 or az`);
  }
  if (m[4]) throw new ConfigError(option, `"${shown}": query strings and fragments are not supported; pass settings as options`);
  if (authority.includes('@')) throw new ConfigError(option, `"${shown}": credentials do not belong in the URL; pass them as options or environment variables`);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new ConfigError(option, `"${shown}": the path is not valid percent-encoding`);
  }
  switch (scheme) {
    case 'memory':
      if (authority !== '' && !/^[A-Za-z0-9._-]+$/.test(authority)) {
        throw new ConfigError(option, `"${shown}": memory store name "${authority}" may use only letters, digits, '.', '_' and '-'`);
      }
      return { scheme, authority, path: normalizePrefix(path) };
    case 'file':
      if (authority !== '' && authority !== 'localhost') {
        throw new ConfigError(option, `"${shown}": file URLs need an absolute path (file:///abs/dir); host "${authority}" is not supported`);
      }
      if (!path.startsWith('/') || path === '/') throw new ConfigError(option, `"${shown}": the path must be an absolute directory other than /`);
      if (path.split('/').some((s) => s === '..' || s === '.')) throw new ConfigError(option, `"${shown}": the path must not contain '.' or '..' segments`);
      return { scheme, authority: '', path: path.length > 1 ? path.replace(/\/+$/, '') : path };
    case 's3':
      if (authority === '') throw new ConfigError(option, `"${shown}": the bucket is missing (s3://bucket/prefix)`);
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(authority) || authority.includes('..')) {
        throw new ConfigError(option, `"${shown}": bucket "${authority}" is not a valid S3 bucket name (3-63 lowercase letters, digits, '.', '-')`);
      }
      checkPrefix(option, shown, path);
      return { scheme, authority, path: normalizePrefix(path) };
    case 'az':
      if (authority === '') throw new ConfigError(option, `"${shown}": the container is missing (az://container/prefix)`);
      if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(authority) && authority !== '$root') {
        throw new ConfigError(option, `"${shown}": container "${authority}" is not a valid Azure container name (3-63 lowercase letters, digits, single '-')`);
      }
      checkPrefix(option, shown, path);
      return { scheme, authority, path: normalizePrefix(path) };
  }
  throw new ConfigError(option, `"${shown}": unsupported scheme "${scheme}"`);
}

function checkPrefix(option: string, shown: string, path: string): void {
  if (path.split('/').some((s) => s === '..' || s === '.')) {
    throw new ConfigError(option, `"${shown}": the prefix must not contain '.' or '..' segments`);
  }
}
