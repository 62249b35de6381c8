/**
 * A stand-in for an object that a `beforeAll` hook creates later: a test file can write
 * `const { db, log } = useLogDatabase()` at its top and use `db` and `log` as they are in its
 * tests, once the hook has run. Property reads (methods bound to the real object) go to the
 * object `current()` returns; using it before then throws, naming it.
 */
export function lateBound<T extends object>(name: string, current: () => T | undefined): T {
  const target = (): T => {
    const value = current()
    if (value === undefined) throw new Error(`${name} is used before the beforeAll hook that opens it has run`)
    return value
  }
  return new Proxy({} as T, {
    get(_, key) {
      const real = target()
      const value: unknown = Reflect.get(real, key, real)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(real) : value
    },
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), key)
      return descriptor && { ...descriptor, configurable: true }
    },
  })
}
