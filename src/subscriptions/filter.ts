import { log } from '../log';
import { evaluateSearch } from './search/evaluate';
import { parseSearch, SearchSyntaxError, type SearchNode } from './search/parse';

/**
 * A subscription's stored `filter` as a test on a payload, for fan-out. Filters are parsed when saved,
 * so a stored one always parses; should one not (a row written by hand), it lets every delivery
 * through and is logged: a delivery is never lost to a broken filter.
 */
export function deliveryFilter(subscriptionId: number, text: string): (data: unknown) => boolean {
  let tree: SearchNode;
  try {
    tree = parseSearch(text);
  } catch (err) {
    if (!(err instanceof SearchSyntaxError)) throw err;
    log.warn('stored subscription filter does not parse; delivering unfiltered', {
      subscriptionId,
      problem: err.message,
    });
    return () => true;
  }
  return (data) => evaluateSearch(tree, data);
}
