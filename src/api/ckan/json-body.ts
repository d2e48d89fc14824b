/**
 * The JSON body reader for the API and the portal: JSON.parse with three refusals a lenient parser
 * does not make. A key given twice in one object is refused (which one wins differs between
 * parsers, so a proxy and the server could read different requests), `__proto__` keys are refused
 * (Object.assign on such a value changes prototypes), and nesting is bounded before anything walks it.
 */
export const MAX_JSON_DEPTH = 32;

export class JsonBodyError extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_CTP_INVALID_JSON';
}

/** Walks the text once for keys and depth; syntax errors are left to JSON.parse, which names them. */
function scan(text: string): void {
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        let key: unknown;
        try {
          key = JSON.parse(text.slice(i, j + 1));
        } catch {
          return;
        }
        if (typeof key !== 'string') return;
        if (key === '__proto__') throw new JsonBodyError('key "__proto__" is not allowed');
        if (keys.has(key)) throw new JsonBodyError(`duplicate key ${JSON.stringify(key)}`);
        keys.add(key);
      }
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      stack.push(c === '{' ? new Set() : null);
      if (stack.length > MAX_JSON_DEPTH) throw new JsonBodyError(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') expectKey = stack[stack.length - 1] instanceof Set;
    else if (c === ':') expectKey = false;
  }
}

/** An empty body is an empty request, as CKAN reads it. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return {};
  scan(text);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new JsonBodyError((e as Error).message);
  }
}
