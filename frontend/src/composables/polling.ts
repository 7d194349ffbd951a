// Polling without websockets: chained timers (a slow answer never piles up
// requests), every few seconds while the tab is visible, slower when hidden,
// and at once when the tab comes back.
import { onMounted, onUnmounted } from 'vue'

/** The delay before the next poll, in milliseconds. */
export function nextDelay(baseSecs: number, hidden: boolean): number {
  const secs = Math.max(1, baseSecs)
  return (hidden ? Math.min(secs * 6, 60) : secs) * 1000
}

export interface Poller {
  /** Poll now (and restart the timer). */
  refresh: () => Promise<void>
  stop: () => void
}

/** Runs `task` on a chain of timers; the caller starts and stops it. */
export function createPoller(task: () => Promise<void>, baseSecs: () => number): Poller & { start: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null
  let stopped = true
  let running: Promise<void> | null = null

  const schedule = () => {
    if (stopped) return
    timer = setTimeout(tick, nextDelay(baseSecs(), typeof document !== 'undefined' && document.hidden))
  }
  const tick = async () => {
    timer = null
    if (running) return running
    running = (async () => {
      try {
        await task()
      } catch {
        // The view shows its own errors; polling simply tries again later.
      } finally {
        running = null
        schedule()
      }
    })()
    return running
  }
  const onVisibility = () => {
    if (!document.hidden && !stopped) {
      if (timer) clearTimeout(timer)
      void tick()
    }
  }
  return {
    start() {
      if (!stopped) return
      stopped = false
      document.addEventListener('visibilitychange', onVisibility)
      schedule()
    },
    stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      timer = null
      document.removeEventListener('visibilitychange', onVisibility)
    },
    async refresh() {
      if (timer) clearTimeout(timer)
      timer = null
      await tick()
    },
  }
}

/** A poller tied to the component's life. */
export function usePolling(task: () => Promise<void>, baseSecs: () => number): Poller {
  const poller = createPoller(task, baseSecs)
  onMounted(() => poller.start())
  onUnmounted(() => poller.stop())
  return poller
}
