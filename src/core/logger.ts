import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * The root pino logger. Components take a child (`logger.child({ component: 'hybrid-log' })`).
 * Secrets are redacted by key name wherever they appear in a logged object; URLs are logged only
 * after `redactUrl`. Level from F2KV_LOG_LEVEL (default "warn"), so an embedded store is quiet.
 */
export const REDACT_PATHS = [
  'secret', '*.secret', 'secretAccessKey', '*.secretAccessKey', 'accessKeyId', '*.accessKeyId',
  'sessionToken', '*.sessionToken', 'connectionString', '*.connectionString', 'accountKey', '*.accountKey',
  'sasToken', '*.sasToken', 'password', '*.password', 'credentials', '*.credentials', 'authorization', '*.authorization',
];

/** Where the root logger writes (stdout unless setLogDestination retargets it, e.g. from a config file's [log]). */
const output: { target: DestinationStream } = { target: pino.destination({ dest: 1, sync: true }) };

export const logger: Logger = pino(
  {
    name: 'f2kv',
    level: process.env['F2KV_LOG_LEVEL'] ?? 'warn',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  },
  { write: (line: string): void => void output.target.write(line) },
);

/** Sends every later log line to `target`; returns the previous destination (the caller may close it). */
export function setLogDestination(target: DestinationStream): DestinationStream {
  const previous = output.target;
  output.target = target;
  return previous;
}

export function componentLogger(component: string): Logger {
  return logger.child({ component });
}

/** Removes credentials from a URL or connection string before it is logged or put in an error. */
export function redactUrl(url: string): string {
  return url
    .replace(/\/\/([^/@\s]*)@/g, '//[redacted]@')
    .replace(/(AccountKey|SharedAccessSignature|sig|SecretAccessKey|X-Amz-Signature|X-Amz-Credential|token)=([^;&\s]+)/gi, '$1=[redacted]');
}
