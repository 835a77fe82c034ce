import { describe, expect, it } from 'vitest';
import {
  CONSUMER_WORK_DEADLINE_SECONDS,
  DELIVERY_TIMEOUT_MS,
  HTTP_ACTION_TIMEOUT_MS,
  MOVE_DRAIN_RECORD_MARGIN_SECONDS,
  MOVE_DRAIN_SECONDS,
  SHOPIFY_ACTION_TIMEOUT_MS,
} from '../../src/env';

describe('a move drains what consumers started', () => {
  it('waits past the work deadline, the longest outbound request and the margin for the last records', () => {
    const longestRequestSeconds =
      Math.max(HTTP_ACTION_TIMEOUT_MS, SHOPIFY_ACTION_TIMEOUT_MS, DELIVERY_TIMEOUT_MS) / 1000;
    expect(MOVE_DRAIN_SECONDS).toBeGreaterThanOrEqual(
      CONSUMER_WORK_DEADLINE_SECONDS + longestRequestSeconds + MOVE_DRAIN_RECORD_MARGIN_SECONDS,
    );
    expect(MOVE_DRAIN_RECORD_MARGIN_SECONDS).toBeGreaterThan(0);
  });
});
