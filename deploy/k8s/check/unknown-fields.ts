/**
 * Finds keys a schema does not know. The compiled validators of
 * kubernetes-models accept any extra key (their schemas do not close objects),
 * so a misspelt field (`readinesProbe`, `maxUnavaliable`) passes them, and the
 * API server would drop it or refuse it. The validators do look up, by name,
 * every property their schema declares, and enumerate the keys of maps
 * (labels, annotations, ConfigMap data). So the object is validated through
 * proxies that record those look-ups; a key that was neither looked up nor
 * enumerated is unknown to the schema. An object whose schema declares no
 * properties at all (free-form, such as Strimzi's `config`) is looked up not
 * at all, and is left alone.
 */
interface Access {
  read: Set<string>
  enumerated: boolean
}

export interface TrackedValue {
  /** The proxy to hand to the validator. */
  value: unknown
  /** After validation: the paths (JSON pointer) of keys the validator never looked at. */
  unknownKeys: () => string[]
}

export function trackAccess(root: unknown): TrackedValue {
  const access = new Map<object, Access>()
  const proxies = new WeakMap<object, object>()

  const wrap = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value
    const existing = proxies.get(value)
    if (existing !== undefined) return existing
    const record: Access = { read: new Set(), enumerated: false }
    access.set(value, record)
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === 'string') record.read.add(key)
        return wrap(Reflect.get(target, key, receiver))
      },
      has(target, key) {
        if (typeof key === 'string') record.read.add(key)
        return Reflect.has(target, key)
      },
      ownKeys(target) {
        record.enumerated = true
        return Reflect.ownKeys(target)
      },
    })
    proxies.set(value, proxy)
    return proxy
  }

  const unknownKeys = (): string[] => {
    const found: string[] = []
    const walk = (value: unknown, path: string): void => {
      if (value === null || typeof value !== 'object') return
      if (Array.isArray(value)) {
        value.forEach((item, index) => {
          walk(item, `${path}/${index}`)
        })
        return
      }
      const record = access.get(value)
      const keys = Object.keys(value)
      // Never reached by the validator (under a free-form parent), or a map, or free-form itself.
      const checked = record !== undefined && !record.enumerated && record.read.size > 0
      for (const key of keys) {
        if (checked && !record.read.has(key)) found.push(`${path}/${key}`)
        else walk((value as Record<string, unknown>)[key], `${path}/${key}`)
      }
    }
    walk(root, '')
    return found
  }

  return { value: wrap(root), unknownKeys }
}
