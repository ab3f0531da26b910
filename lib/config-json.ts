// An adapter config as the command line gives it (--config, per API node and per external node).

/**
 * An adapter config written as JSON on a command line: an object of string values (a number
 * must be quoted, so a wrong type fails here, not in the adapter). Throws saying what is wrong.
 */
export function parseConfigJson(text: string): Record<string, string> {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new Error(`is not JSON (${(err as Error).message}): ${text}`);
  }
  const isStringMap = typeof config === 'object' && config !== null && !Array.isArray(config) &&
    Object.values(config).every((v) => typeof v === 'string');
  if (!isStringMap) throw new Error(`must be a JSON object of string values (quote numbers too): ${text}`);
  return config as Record<string, string>;
}
