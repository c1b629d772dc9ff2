/**
 * "Did you mean" for a misspelt name: the closest known name by edit distance, or by one being
 * a prefix of the other, compared case-insensitively.
 */

/** The closest of `known` to `word`, or undefined when none is close. */
export function closestName(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const candidate = name.toLowerCase();
    const distance =
      candidate.startsWith(lower) || lower.startsWith(candidate) ? 1 : editDistance(candidate, lower);
    if (distance <= closeEnough(name) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** ` (did you mean X?)`, or ` (known: A, B, ...)` when nothing is close. */
export function suggestion(word: string, known: readonly string[], noun = 'known'): string {
  const close = closestName(word, known);
  return close ? ` (did you mean ${close}?)` : ` (${noun}: ${known.join(', ')})`;
}

/** Two edits, or a third of a long name. */
function closeEnough(name: string): number {
  return Math.max(2, Math.floor(name.length / 3));
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
