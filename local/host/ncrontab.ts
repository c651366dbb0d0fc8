/**
 * Six-field NCRONTAB, as Azure Functions timer triggers use it: `{second} {minute} {hour} {day} {month}
 * {day-of-week}`, each field `*`, a value, a range `a-b`, a step `*\/s`, `a-b/s` or `a/s` (from `a` to the
 * end), or a comma list of those. Months and days of week also accept English three-letter names.
 * Evaluated in UTC (Azure's default without `WEBSITE_TIME_ZONE`). Like NCrontab, a time matches only when
 * both the day of month AND the day of week match (classic cron ORs them when both are restricted).
 */

export class CronExpressionError extends Error {
  constructor(expression: string, problem: string) {
    super(`Invalid NCRONTAB expression "${expression}": ${problem}`);
    this.name = 'CronExpressionError';
  }
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

export interface CronSchedule {
  readonly expression: string;
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
}

function parseValue(text: string, spec: FieldSpec, fail: (problem: string) => never): number {
  let value: number;
  if (/^\d+$/.test(text)) {
    value = Number(text);
  } else {
    const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
    if (index < 0) fail(`"${text}" is not a valid ${spec.name}`);
    value = index + spec.min;
  }
  if (value < spec.min || value > spec.max) fail(`${spec.name} ${value} is outside ${spec.min}-${spec.max}`);
  return value;
}

function parseField(text: string, spec: FieldSpec, fail: (problem: string) => never): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    if (part === '') fail(`empty list item in the ${spec.name} field`);
    const [rangeText = '', stepText, extra] = part.split('/');
    if (extra !== undefined) fail(`"${part}" has more than one step`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0)
        fail(`step "${stepText}" must be a positive integer`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (rangeText === '*') {
      from = spec.min;
      to = spec.max;
    } else if (rangeText.includes('-')) {
      const [a, b, more] = rangeText.split('-');
      if (a === undefined || b === undefined || more !== undefined || a === '' || b === '') {
        fail(`"${rangeText}" is not a valid range`);
      }
      from = parseValue(a, spec, fail);
      to = parseValue(b, spec, fail);
      if (from > to) fail(`range "${rangeText}" runs backwards`);
    } else if (rangeText !== '') {
      from = parseValue(rangeText, spec, fail);
      // `a/s` means every s from a to the end of the field, as in NCrontab.
      to = stepText === undefined ? from : spec.max;
    } else {
      fail(`empty value in the ${spec.name} field`);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

/** Parses a six-field NCRONTAB expression; throws `CronExpressionError` naming the bad field. */
export function parseNcrontab(expression: string): CronSchedule {
  const fail = (problem: string): never => {
    throw new CronExpressionError(expression, problem);
  };
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) {
    fail(`expected 6 fields (second minute hour day month day-of-week), found ${fields.length}`);
  }
  const sets = FIELDS.map((spec, i) => parseField(fields[i]!, spec, fail));
  const [seconds, minutes, hours, days, months, daysOfWeek] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  return { expression, seconds, minutes, hours, days, months, daysOfWeek };
}

/** How far ahead `nextOccurrence` looks before deciding a schedule never fires (e.g. `0 0 0 30 2 *`). */
const SEARCH_YEARS = 8;

/**
 * The first time strictly after `after` (to the second) that matches `schedule`, in UTC; undefined when
 * nothing matches within 8 years. Skips whole months, days, hours and minutes that cannot match.
 */
export function nextOccurrence(schedule: CronSchedule, after: Date): Date | undefined {
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const limit = Date.UTC(t.getUTCFullYear() + SEARCH_YEARS, 0, 1);
  while (t.getTime() < limit) {
    if (!schedule.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.days.has(t.getUTCDate()) || !schedule.daysOfWeek.has(t.getUTCDay())) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    if (!schedule.seconds.has(t.getUTCSeconds())) {
      t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
      continue;
    }
    return t;
  }
  return undefined;
}

/**
 * Resolves a `%SETTING%` schedule from settings (as the Functions runtime does); other text is returned
 * as is. Throws when the setting is missing or empty.
 */
export function resolveSchedule(
  schedule: string,
  settings: Readonly<Record<string, string | undefined>>,
): string {
  const match = /^%([^%]+)%$/.exec(schedule.trim());
  if (!match) return schedule;
  const name = match[1]!;
  const value = settings[name];
  if (value === undefined || value.trim() === '') {
    throw new CronExpressionError(schedule, `setting ${name} is not set`);
  }
  return value;
}
