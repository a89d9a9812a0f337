import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextRetryDelay, RETRY_WINDOW_SECONDS } from './retrySchedule.ts';

describe('retry schedule (nextRetryDelay)', () => {
  // [failed attempt, seconds left in the window, random draw, expected delay in seconds]
  const table: [number, number, number, number | null][] = [
    [1, RETRY_WINDOW_SECONDS, 0, 2.5],
    [1, RETRY_WINDOW_SECONDS, 1, 5],
    [1, RETRY_WINDOW_SECONDS, 0.5, 3.75],
    [2, RETRY_WINDOW_SECONDS, 1, 20],
    [3, RETRY_WINDOW_SECONDS, 1, 80],
    [4, RETRY_WINDOW_SECONDS, 1, 320],
    [5, RETRY_WINDOW_SECONDS, 1, 1280],
    [6, RETRY_WINDOW_SECONDS, 1, 5120],
    [7, RETRY_WINDOW_SECONDS, 1, 20_480],
    [8, RETRY_WINDOW_SECONDS, 1, 28_800],
    [8, RETRY_WINDOW_SECONDS, 0, 14_400],
    [40, RETRY_WINDOW_SECONDS, 1, 28_800],
    [8, 600, 1, 600],
    [1, 3, 1, 3],
    [1, 0.5, 1, null],
    [3, 0, 0, null],
    [3, -10, 0, null],
  ];
  for (const [attempt, remaining, random, expected] of table) {
    it(`after attempt ${attempt} with ${remaining} s left and a draw of ${random}: ${expected ?? 'no more attempts'}`, () => {
      assert.equal(
        nextRetryDelay(attempt, remaining, () => random),
        expected,
      );
    });
  }

  it('keeps trying for the whole three days and stops there, at most 8 hours apart', () => {
    for (const draw of [0, 0.5, 1]) {
      let elapsed = 0;
      let attempt = 1;
      let longest = 0;
      for (;;) {
        const delay = nextRetryDelay(attempt, RETRY_WINDOW_SECONDS - elapsed, () => draw);
        if (delay === null) break;
        longest = Math.max(longest, delay);
        elapsed += delay;
        attempt++;
      }
      assert.equal(elapsed, RETRY_WINDOW_SECONDS, `draw ${draw}: the last attempt is at the window's end`);
      assert.ok(longest <= 8 * 3600);
      assert.ok(attempt > 8 && attempt < 40, `draw ${draw}: ${attempt} attempts`);
    }
  });
});
