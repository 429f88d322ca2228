// The GOV.UK timeout warning: two minutes before the idle timeout, a modal dialog offers to stay signed in.
// The server decides (templates/includes/timeout_dialog.html carries its answer at page load; /session/ tells
// how long is left without counting as activity, so another tab's activity is seen). "Stay signed in", Enter or
// Escape post to /session/keep-alive/. Once signed out, a page with nothing typed goes to the sign-in page; a page
// where something was typed stays, so it can still be saved (the server keeps it across the sign-in).

const dialog = document.getElementById('app-timeout-dialog')
if (dialog && typeof dialog.showModal === 'function') start(dialog)

function start (dialog) {
  const warnSeconds = Number(dialog.dataset.warnSeconds) || 120
  const warning = dialog.querySelector('.app-timeout-dialog__warning')
  const signedOutPart = dialog.querySelector('.app-timeout-dialog__signed-out')
  const countdown = dialog.querySelector('.app-timeout-dialog__countdown')
  const spoken = dialog.querySelector('.app-timeout-dialog__spoken')
  const live = dialog.querySelector('[aria-live]')
  const stayForm = dialog.querySelector('.app-timeout-dialog__stay')
  let checkTimer = null
  let tickTimer = null
  let endsAt = 0
  let typed = false
  let signedOut = false

  document.addEventListener('input', (event) => {
    const form = event.target && event.target.form
    if (form && !dialog.contains(form)) typed = true
  })

  async function ask (url, options = {}) {
    try {
      const response = await fetch(url, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
        ...options
      })
      return response.ok ? await response.json() : null
    } catch {
      return null
    }
  }

  function schedule (seconds) {
    window.clearTimeout(checkTimer)
    // At most a day: a longer delay overflows setTimeout, which would then ask at once, again and again.
    checkTimer = window.setTimeout(check, Math.min(Math.max(0, seconds), 24 * 60 * 60) * 1000)
  }

  function answer (status) {
    if (!status) {
      schedule(15) // the server did not answer: ask again soon, and keep the dialog as it is
    } else if (!status.signed_in) {
      showSignedOut()
    } else if (status.seconds_left <= warnSeconds) {
      warn(status.seconds_left)
    } else {
      close()
      schedule(status.seconds_left - warnSeconds)
    }
  }

  async function check () {
    if (!signedOut) answer(await ask(dialog.dataset.statusUrl))
  }

  function words (seconds) {
    if (seconds >= 60) {
      const minutes = Math.ceil(seconds / 60)
      return `${minutes} minute${minutes === 1 ? '' : 's'}`
    }
    return `${seconds} second${seconds === 1 ? '' : 's'}`
  }

  function render () {
    const left = Math.max(0, Math.round((endsAt - Date.now()) / 1000))
    countdown.textContent = words(left)
    // Screen readers hear whole minutes, then every 15 seconds, not every tick.
    const said = words(left >= 60 ? left : Math.ceil(left / 15) * 15)
    if (spoken.textContent !== said) {
      spoken.textContent = said
      if (dialog.open && left > 0) live.textContent = `We will sign you out in ${said}.`
    }
    if (left === 0) {
      window.clearInterval(tickTimer)
      check()
    }
  }

  function warn (secondsLeft) {
    endsAt = Date.now() + secondsLeft * 1000
    window.clearInterval(tickTimer)
    render()
    if (!dialog.open) {
      live.textContent = ''
      dialog.showModal() // moves focus to "Stay signed in"; the rest of the page is inert until it closes
    }
    tickTimer = window.setInterval(render, 1000)
  }

  function close () {
    window.clearInterval(tickTimer)
    if (dialog.open) dialog.close() // focus goes back where it was
  }

  function showSignedOut () {
    signedOut = true
    window.clearInterval(tickTimer)
    window.clearTimeout(checkTimer)
    if (!typed) {
      const here = window.location.pathname + window.location.search
      window.location.assign(`${dialog.dataset.signInUrl}?next=${encodeURIComponent(here)}`)
      return
    }
    warning.hidden = true
    signedOutPart.hidden = false
    dialog.setAttribute('aria-labelledby', 'app-timeout-dialog-signed-out-title')
    dialog.setAttribute('aria-describedby', 'app-timeout-dialog-signed-out-text')
    if (dialog.open) dialog.close()
    dialog.showModal()
  }

  async function stay () {
    close()
    answer(await ask(stayForm.action, { method: 'POST', body: new FormData(stayForm) }))
  }

  stayForm.addEventListener('submit', (event) => {
    event.preventDefault()
    stay()
  })
  dialog.addEventListener('cancel', (event) => {
    // Escape: while the warning shows it means "stay signed in"; once signed out, back to the page.
    event.preventDefault()
    if (signedOut) dialog.close()
    else stay()
  })
  dialog.querySelector('.app-timeout-dialog__close').addEventListener('click', () => dialog.close())
  // Timers in a hidden tab are slowed down: ask again when it is looked at.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') check()
  })

  answer({ signed_in: true, seconds_left: Number(dialog.dataset.secondsLeft) })
}
