/**
 * JSON with integers beyond 2^53 read exactly. Brusnika writes a premise's
 * `price` (seed type: bigint) as a plain JSON integer, which JSON.parse would
 * round (9007199254740993 becomes ...992). Node 20's JSON.parse cannot show a
 * reviver the source text, and no exact-JSON library is installed, so the
 * integers of the named fields are quoted before parsing: they arrive as their
 * exact digits, and the contract's schemas take them as strings from there on.
 */

/** Parses `text`, reading the integer values of `fields` as strings of their exact digits. */
export function parseJsonWithExactIntegers(text: string, fields: ReadonlySet<string>): unknown {
  return JSON.parse(quoteIntegerFields(text, fields));
}

/**
 * Wraps in quotes every integer literal that is the value of a member named in
 * `fields`, at any depth; everything else is copied as it is. A tokenizer, not a
 * regular expression, so the same words inside strings are left alone.
 */
export function quoteIntegerFields(text: string, fields: ReadonlySet<string>): string {
  const parts: string[] = [];
  let copiedUpTo = 0;
  /** The last string literal, while it may still turn out to be a member name. */
  let lastString: string | undefined;
  let valueOfNamedField = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      const start = i;
      for (i += 1; i < text.length && text[i] !== '"'; i += text[i] === '\\' ? 2 : 1);
      i += 1;
      lastString = text.slice(start, i);
      valueOfNamedField = false;
      continue;
    }
    if (ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t') {
      i += 1;
      continue;
    }
    if (ch === ':') {
      valueOfNamedField = lastString !== undefined && fields.has(memberName(lastString));
      lastString = undefined;
      i += 1;
      continue;
    }
    if (valueOfNamedField && (ch === '-' || (ch >= '0' && ch <= '9'))) {
      const start = i;
      while (i < text.length && /[-+0-9.eE]/.test(text[i]!)) i += 1;
      const literal = text.slice(start, i);
      if (/^-?\d+$/.test(literal)) {
        parts.push(text.slice(copiedUpTo, start), `"${literal}"`);
        copiedUpTo = i;
      }
      valueOfNamedField = false;
      continue;
    }
    lastString = undefined;
    valueOfNamedField = false;
    i += 1;
  }
  parts.push(text.slice(copiedUpTo));
  return parts.join('');
}

function memberName(literal: string): string {
  try {
    const name: unknown = JSON.parse(literal);
    return typeof name === 'string' ? name : '';
  } catch {
    // Malformed: JSON.parse of the whole text will say so.
    return '';
  }
}
