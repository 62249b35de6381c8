/** An action as people read it, for the page and `tail` alike: `login_failed` → `Login failed`, `invoice.voided` → `Invoice voided`. */
export function actionLabel(action: string): string {
  const words = action.replace(/[_.]+/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}
