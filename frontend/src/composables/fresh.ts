// Which rows of a polled list just arrived or changed: a ticket that is new
// to the list, or whose activity moved on since the last poll, is "fresh"
// for a while, so the eye finds it (the first load marks nothing).
import { ref, watch, type Ref } from 'vue'
import type { Ticket } from '../api/types'

const FRESH_MS = 15_000

export function useFreshness(items: Ref<Ticket[]>) {
  const fresh = ref(new Set<number>())
  let seen: Map<number, string> | null = null

  watch(items, (now) => {
    const before = seen
    seen = new Map(now.map((t) => [t.id, t.last_activity_at]))
    if (!before) return
    const arrived = now.filter((t) => before.get(t.id) !== t.last_activity_at).map((t) => t.id)
    if (!arrived.length) return
    fresh.value = new Set([...fresh.value, ...arrived])
    setTimeout(() => {
      const left = new Set(fresh.value)
      for (const id of arrived) left.delete(id)
      fresh.value = left
    }, FRESH_MS)
  })

  return { fresh }
}
