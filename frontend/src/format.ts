// Dates for people: "5 minutes ago", with the exact time on hover.

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
]

export function relativeTime(iso: string, now: number = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000)
  const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit)
  }
  return 'just now'
}

/** The exact time, with the time zone: "26 Nov 2026, 14:03 CET". */
export function fullTime(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  })
}

/** A day and time without the zone, for headers: "26 Nov 2026, 14:03". */
export function dayAndTime(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })
}

/** A system note in the badges' words: "Status changed from New to In progress". */
export function noteText(body: string, labels: Record<string, string>): string {
  return body.replace(/^Status changed from (\w+) to (\w+)$/, (whole, from: string, to: string) =>
    labels[from] && labels[to] ? `Status changed from ${labels[from]} to ${labels[to]}` : whole,
  )
}

export function subjectLabel(subject: string, sub: string | null): string {
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)
  return sub ? `${cap(subject)} · ${sub}` : cap(subject)
}
