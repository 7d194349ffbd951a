// A form's or a page's work in flight: `busy` while a request runs (so its
// buttons are disabled), and what went wrong with the last one.
import { ref } from 'vue'
import { errorText } from '../views/tickets'

export function useAction() {
  const busy = ref(false)
  const error = ref<string | null>(null)

  /**
   * Runs `work`, clearing the last error first. A failure goes to `failed`
   * when given (a form that puts it beside a field), else into `error` as
   * the problem's own text.
   */
  async function run(work: () => Promise<void>, failed?: (e: unknown) => void): Promise<void> {
    error.value = null
    busy.value = true
    try {
      await work()
    } catch (e) {
      if (failed) failed(e)
      else error.value = errorText(e)
    } finally {
      busy.value = false
    }
  }

  return { busy, error, run }
}
