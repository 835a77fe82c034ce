import { ExactNumber } from './exact';

/**
 * True when `value` nests objects/arrays deeper than `limit` (checked without recursion, so a
 * value too deep for a recursive walk is still measured). `{}` and `[]` are depth 1.
 */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null || node instanceof ExactNumber) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}
