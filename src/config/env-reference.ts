/**
 * `${VAR}` references in configuration strings, so that secrets and per-machine settings stay out
 * of the file: `connection_string = "${AZURE_STORAGE_CONNECTION_STRING}"`.
 *
 * - `${NAME}` is replaced by the variable's value; an unset variable is a ConfigError naming it.
 * - `${NAME:-fallback}` uses `fallback` when NAME is unset or empty.
 * - `$${` is a literal `${`.
 */
import { ConfigError } from '../core/errors.js';

export type Environment = Readonly<Record<string, string | undefined>>;

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when `value` contains at least one `${…}` reference. */
export function hasEnvReference(value: string): boolean {
  return /(?<!\$)\$\{/.test(value);
}

/** Expands the `${…}` references of `value`; `option` names the key in errors. */
export function expandEnvReferences(option: string, value: string, env: Environment): string {
  return value.replace(REFERENCE, (match: string, body: string | undefined) => {
    if (match === '$${') return '${';
    if (body === undefined) throw new ConfigError(option, `"\${" is not closed; write \${NAME} (or $\${ for a literal "\${")`);
    const sep = body.indexOf(':-');
    const name = sep === -1 ? body : body.slice(0, sep);
    if (!NAME.test(name)) {
      throw new ConfigError(option, `"\${${body}}" is not an environment variable reference; names use letters, digits and _ (e.g. \${AWS_REGION})`);
    }
    const v = env[name];
    if (v !== undefined && (sep === -1 || v !== '')) return v;
    if (sep !== -1) return body.slice(sep + 2);
    throw new ConfigError(option, `environment variable ${name} is not set; set it or write \${${name}:-default}`);
  });
}
