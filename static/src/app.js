import { initAll } from './govuk/govuk-frontend.min.js'
import './session-timeout.js'

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

// The meeting page folds the sections a user cannot act on (<details>). A link to one of them, or to a part of
// one, opens it first, so the link always lands on something visible.
const openFoldOf = (hash) => {
  const target = hash && hash.length > 1 && document.getElementById(decodeURIComponent(hash.slice(1)))
  const fold = target && target.closest('details.app-fold')
  if (fold && !fold.open) {
    fold.open = true
    target.scrollIntoView()
  }
}
openFoldOf(window.location.hash)
window.addEventListener('hashchange', () => openFoldOf(window.location.hash))
document.addEventListener('click', (event) => {
  const link = event.target.closest && event.target.closest('a[href^="#"]')
  if (link) openFoldOf(link.getAttribute('href'))
})

// The meeting page (htmx): a section saved in the background is drawn again in place. Start its GOV.UK
// components, and move focus to what needs reading: the error summary, or the "someone else saved" warning.
document.addEventListener('htmx:afterSettle', (event) => {
  const id = event.detail.target && event.detail.target.id
  const section = id && document.getElementById(id)
  if (!section) return
  initAll({ scope: section })
  // Otherwise the "Saved at" line, so a keyboard or screen reader user keeps their place in the section.
  const target = section.querySelector('.govuk-error-summary, .app-stale') || section.querySelector('.app-saved')
  if (target) {
    target.setAttribute('tabindex', '-1')
    target.focus()
  }
})

// A save the server refused outright (signed out, not allowed) or that never arrived: post the form the
// plain way, so the browser shows what happened and nothing typed is silently dropped.
document.addEventListener('htmx:responseError', (event) => {
  const form = event.detail.elt
  if (form && form.tagName === 'FORM') form.submit()
})
document.addEventListener('htmx:sendError', (event) => {
  const form = event.detail.elt
  if (!form || form.tagName !== 'FORM') return
  let note = form.querySelector('.app-not-saved')
  if (!note) {
    note = document.createElement('p')
    note.className = 'govuk-error-message app-not-saved'
    note.setAttribute('role', 'alert')
    form.prepend(note)
  }
  note.textContent = 'Not saved: the connection dropped. What you typed is still here; save again when you are back online.'
})
