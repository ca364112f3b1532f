/**
 * [metrics]: the Prometheus endpoint's settings. Validated here; the metrics module serves them.
 * Defaults: disabled, port 9464, path "/metrics", prefix "f2kv_".
 */
import { ConfigError } from '../core/errors.js';
import type { ConfigTree } from './config-tree.js';

/** The [metrics] table of a configuration file: the Prometheus endpoint (see startMetricsServer). */
export interface MetricsSettings {
  /** Serve metrics (default false). */
  enabled: boolean;
  /** TCP port (default 9464; 0: any free port). */
  port: number;
  /** URL path of the endpoint (default "/metrics"). */
  path: string;
  /** Prefix of every metric name. */
  prefix: string;
}

export const DEFAULT_METRICS: Readonly<MetricsSettings> = { enabled: false, port: 9464, path: '/metrics', prefix: 'f2kv_' };

export function readMetricsSettings(section: ConfigTree | undefined): MetricsSettings {
  const s = section ?? {};
  const enabled = s['enabled'] ?? DEFAULT_METRICS.enabled;
  if (typeof enabled !== 'boolean') throw new ConfigError('metrics.enabled', 'must be true or false');
  const port = s['port'] ?? DEFAULT_METRICS.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError('metrics.port', `must be a TCP port from 0 to 65535 (0: any free port), got ${String(port)}`);
  }
  const path = s['path'] ?? DEFAULT_METRICS.path;
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9._~\/-]*$/.test(path)) {
    throw new ConfigError('metrics.path', `must be a URL path starting with "/" (letters, digits, . _ ~ - /), got ${String(path)}`);
  }
  const prefix = s['prefix'] ?? DEFAULT_METRICS.prefix;
  if (typeof prefix !== 'string' || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
    throw new ConfigError('metrics.prefix', `must be empty or a Prometheus name prefix (letters, digits, _ and :, not starting with a digit), got ${String(prefix)}`);
  }
  return { enabled, port, path, prefix };
}
