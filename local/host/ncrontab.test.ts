import { describe, expect, it } from 'vitest';
import { CronExpressionError, nextOccurrence, parseNcrontab, resolveSchedule } from './ncrontab.js';

const next = (expression: string, after: string) =>
  nextOccurrence(parseNcrontab(expression), new Date(after))?.toISOString();

describe('parseNcrontab', () => {
  it('parses *, values, ranges, steps and lists', () => {
    const s = parseNcrontab('*/15 0,30 9-17 1-31/10 * 1-5');
    expect([...s.seconds]).toEqual([0, 15, 30, 45]);
    expect([...s.minutes]).toEqual([0, 30]);
    expect([...s.hours]).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect([...s.days]).toEqual([1, 11, 21, 31]);
    expect(s.months.size).toBe(12);
    expect([...s.daysOfWeek]).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads `a/s` as from a to the end, and month and day names', () => {
    const s = parseNcrontab('5/20 0 0 * Jan,MAR-may sun,Sat');
    expect([...s.seconds]).toEqual([5, 25, 45]);
    expect([...s.months]).toEqual([1, 3, 4, 5]);
    expect([...s.daysOfWeek]).toEqual([0, 6]);
  });

  it.each([
    ['0 0 * * *', /expected 6 fields/],
    ['0 0 0 * * * *', /expected 6 fields/],
    ['60 * * * * *', /second 60 is outside 0-59/],
    ['* * 24 * * *', /hour 24 is outside 0-23/],
    ['* * * 0 * *', /day 0 is outside 1-31/],
    ['* * * * 13 *', /month 13 is outside 1-12/],
    ['* * * * * 7', /day of week 7 is outside 0-6/],
    ['*/0 * * * * *', /step "0"/],
    ['5-1 * * * * *', /runs backwards/],
    ['1,,2 * * * * *', /empty list item/],
    ['a * * * * *', /"a" is not a valid second/],
    ['1-2-3 * * * * *', /not a valid range/],
    ['1/2/3 * * * * *', /more than one step/],
  ])('rejects %s', (expression, message) => {
    expect(() => parseNcrontab(expression)).toThrow(CronExpressionError);
    expect(() => parseNcrontab(expression)).toThrow(message);
  });
});

describe('nextOccurrence (UTC)', () => {
  it('finds the daily sweep time', () => {
    expect(next('0 0 2 * * *', '2025-03-10T01:59:59.500Z')).toBe('2025-03-10T02:00:00.000Z');
    expect(next('0 0 2 * * *', '2025-03-10T02:00:00.000Z')).toBe('2025-03-11T02:00:00.000Z');
  });

  it('is strictly after the given time, to the second', () => {
    expect(next('* * * * * *', '2025-01-01T00:00:00.000Z')).toBe('2025-01-01T00:00:01.000Z');
    expect(next('* * * * * *', '2025-01-01T00:00:00.999Z')).toBe('2025-01-01T00:00:01.000Z');
  });

  it('rolls over minutes, hours, days, months and years', () => {
    expect(next('30 */5 * * * *', '2025-01-01T10:58:00Z')).toBe('2025-01-01T11:00:30.000Z');
    expect(next('0 0 0 1 * *', '2025-12-15T00:00:00Z')).toBe('2026-01-01T00:00:00.000Z');
    expect(next('0 0 12 29 2 *', '2025-01-01T00:00:00Z')).toBe('2028-02-29T12:00:00.000Z');
  });

  it('requires both day of month and day of week to match (NCrontab semantics)', () => {
    // The next Friday the 13th after 2025-01-01 is 2025-06-13.
    expect(next('0 0 0 13 * 5', '2025-01-01T00:00:00Z')).toBe('2025-06-13T00:00:00.000Z');
  });

  it('returns undefined for a schedule that never fires', () => {
    expect(next('0 0 0 30 2 *', '2025-01-01T00:00:00Z')).toBeUndefined();
  });
});

describe('resolveSchedule', () => {
  it('resolves %SETTING% from settings and keeps literal schedules', () => {
    expect(resolveSchedule('%SWEEP_SCHEDULE%', { SWEEP_SCHEDULE: '0 0 2 * * *' })).toBe('0 0 2 * * *');
    expect(resolveSchedule('0 */5 * * * *', {})).toBe('0 */5 * * * *');
  });

  it('fails clearly when the setting is missing or empty', () => {
    expect(() => resolveSchedule('%SWEEP_SCHEDULE%', {})).toThrow(/setting SWEEP_SCHEDULE is not set/);
    expect(() => resolveSchedule('%SWEEP_SCHEDULE%', { SWEEP_SCHEDULE: ' ' })).toThrow(/not set/);
  });
});
