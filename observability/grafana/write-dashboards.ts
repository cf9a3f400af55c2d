// Writes dashboards/summa-overview.json from summa-overview.ts (`make dashboards`).
import { writeFileSync } from 'node:fs'
import { buildDashboard } from './summa-overview.ts'

const target = new URL('./dashboards/summa-overview.json', import.meta.url)
writeFileSync(target, `${JSON.stringify(buildDashboard(), null, 2)}\n`)
console.log(`wrote ${target.pathname}`)
