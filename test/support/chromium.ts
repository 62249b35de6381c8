import { chromium, type Browser, type Page } from 'playwright-core'

/** The Chromium the browser tests drive: Debian's /usr/bin/chromium (.ci/run installs it), or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Starts headless Chromium without the background work (updates, networking) that slows tests. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
}

/** Dismisses every dialog (`alert`, `confirm`, ...) `page` opens and returns the list their messages go to. */
export function recordDialogs(page: Page): string[] {
  const dialogs: string[] = []
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  return dialogs
}
