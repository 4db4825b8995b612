// Looks for credentials everywhere sluice's output can carry them: strings, errors with their
// causes and stacks, events, stats, headers, byte buffers, files' text. Shared by the library's
// and the CLI's secret tests, so "nowhere" means the same thing in both.

/**
 * The forms a URL's credentials can take in text: user name and password as written (percent-
 * encoded) and decoded, `user:password`, and the Basic `Authorization` value made of them.
 * Forms shorter than 4 characters are left out: they would match by chance.
 */
export function secretsOf(url: string | URL): string[] {
  const parsed = new URL(url);
  const forms = new Set<string>();
  const add = (form: string) => {
    if (form.length >= 4) forms.add(form);
  };
  for (const part of [parsed.username, parsed.password]) {
    add(part);
    add(safeDecode(part));
  }
  if (parsed.password !== '') {
    const pair = `${safeDecode(parsed.username)}:${safeDecode(parsed.password)}`;
    add(pair);
    add(Buffer.from(pair).toString('base64'));
  }
  return [...forms];
}

/** One place a secret was found: where (a path from the root) and which form. */
export interface SecretFinding {
  path: string;
  secret: string;
}

/**
 * Every place in `value` where one of `secrets` appears. Walks strings, numbers' text, errors
 * (name, message, stack, cause, and their own properties, enumerable or not), arrays, plain and
 * class objects (own properties and getters of Response/Headers-like objects), Maps, Sets,
 * `Headers`, `URL`s, and bytes (as UTF-8 and Latin-1). Each object is visited once.
 */
export function findSecrets(value: unknown, secrets: readonly string[], root = '$'): SecretFinding[] {
  const found: SecretFinding[] = [];
  const seen = new Set<object>();
  const inText = (text: string, path: string) => {
    for (const secret of secrets) if (text.includes(secret)) found.push({ path, secret });
  };
  const visit = (node: unknown, path: string, depth: number): void => {
    if (depth > 12 || node === null || node === undefined) return;
    if (typeof node === 'string') return inText(node, path);
    if (typeof node === 'number' || typeof node === 'bigint' || typeof node === 'boolean') return inText(String(node), path);
    if (typeof node === 'symbol') return inText(node.toString(), path);
    if (typeof node === 'function') return;
    if (seen.has(node)) return;
    seen.add(node);
    if (node instanceof URL) return inText(node.href, path);
    if (ArrayBuffer.isView(node)) {
      const bytes = Buffer.from(node.buffer, node.byteOffset, node.byteLength);
      inText(bytes.toString('utf8'), path);
      return inText(bytes.toString('latin1'), path);
    }
    if (node instanceof Headers) {
      for (const [name, text] of node) inText(`${name}: ${text}`, `${path}.headers[${name}]`);
      return;
    }
    if (node instanceof Map) {
      for (const [key, item] of node) {
        visit(key, `${path}<key>`, depth + 1);
        visit(item, `${path}.get(${String(key)})`, depth + 1);
      }
      return;
    }
    if (node instanceof Set) {
      let i = 0;
      for (const item of node) visit(item, `${path}<${i++}>`, depth + 1);
      return;
    }
    if (node instanceof Error) {
      // name, message and stack are own or inherited non-enumerable properties: read them by name.
      inText(`${node.name}: ${node.message}`, `${path}.message`);
      if (node.stack !== undefined) inText(node.stack, `${path}.stack`);
      if (node.cause !== undefined) visit(node.cause, `${path}.cause`, depth + 1);
      if (node instanceof AggregateError) node.errors.forEach((error, i) => visit(error, `${path}.errors[${i}]`, depth + 1));
    }
    if (isResponseLike(node)) {
      inText(node.url, `${path}.url`);
      inText(node.statusText, `${path}.statusText`);
      visit(node.headers, `${path}`, depth + 1);
    }
    for (const key of Reflect.ownKeys(node)) {
      const descriptor = Object.getOwnPropertyDescriptor(node, key);
      if (descriptor === undefined || !('value' in descriptor)) continue;
      const name = typeof key === 'symbol' ? `[${key.description ?? ''}]` : key;
      visit(descriptor.value, Array.isArray(node) ? `${path}[${name}]` : `${path}.${name}`, depth + 1);
    }
  };
  visit(value, root, 0);
  // Bytes are read two ways; one place is one finding.
  return found.filter((f, i) => found.findIndex((g) => g.path === f.path && g.secret === f.secret) === i);
}

/** Throws, listing every place found, when any of `secrets` appears in `value`. */
export function expectNoSecrets(value: unknown, secrets: readonly string[], what = 'value'): void {
  if (secrets.length === 0) throw new Error('expectNoSecrets: no secrets to look for (a scan that cannot fail)');
  const found = findSecrets(value, secrets, what);
  if (found.length > 0) {
    throw new Error(`credentials found in ${what}:\n${found.map((f) => `  ${f.path} contains ${JSON.stringify(f.secret)}`).join('\n')}`);
  }
}

function isResponseLike(node: object): node is { url: string; statusText: string; headers: Headers } {
  return typeof (node as Response).url === 'string' && (node as Response).headers instanceof Headers;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
