import { initAll } from './govuk/govuk-frontend.min.js'

initAll()

// After "Add another child" the page comes back at #child-N: put the cursor in the new person's first field.
// Wait for the browser to finish its own scroll to the fragment, which would otherwise take focus back.
// A page with an error summary keeps the summary's own focus.
const added =
  !document.querySelector('.govuk-error-summary') &&
  window.location.hash &&
  document.querySelector(`fieldset.app-person${window.location.hash}`)
if (added) {
  window.addEventListener('load', () => {
    window.setTimeout(() => {
      const firstInput = added.querySelector('input:not([type="hidden"])')
      if (firstInput) firstInput.focus()
    }, 0)
  })
}
