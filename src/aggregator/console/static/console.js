// summa's live console: one snapshot a second over Server-Sent Events, drawn
// as numbers and small canvas charts. No framework and no chart library: the
// page must load from the aggregator alone, with nothing fetched elsewhere.

const historyLength = 60
const history = {
  total: [],
  adds: [],
  applied: [],
  e2e50: [],
  e2e99: [],
  apply50: [],
  apply99: [],
  lag: [],
  outbox: [],
}
const $ = (id) => document.getElementById(id)

function push(series, value) {
  series.push(value)
  if (series.length > historyLength) series.shift()
}

/** Thousands separators on an exact decimal string (the total may exceed 2^53). */
function groupDigits(text) {
  const negative = text.startsWith('-')
  const digits = negative ? text.slice(1) : text
  return (negative ? '−' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f')
}

function seconds(value) {
  if (value === null || value === undefined) return '–'
  if (value < 1) return `${(value * 1000).toFixed(value < 0.01 ? 2 : 1)} ms`
  return `${value.toFixed(2)} s`
}

function rate(value) {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1)
}

function ago(iso) {
  if (iso === null) return 'never'
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000)
  return s < 1 ? 'just now' : s < 90 ? `${s.toFixed(0)} s ago` : new Date(iso).toLocaleTimeString()
}

function draw(canvas, seriesList) {
  const ratio = window.devicePixelRatio || 1
  const width = canvas.clientWidth
  const height = canvas.height / (canvas.dataset.scaled ? ratio : 1)
  if (!canvas.dataset.scaled) {
    canvas.dataset.scaled = '1'
    canvas.style.height = `${height}px`
  }
  canvas.width = width * ratio
  canvas.height = height * ratio
  const g = canvas.getContext('2d')
  g.scale(ratio, ratio)
  g.clearRect(0, 0, width, height)
  const values = seriesList.flatMap((s) => s.filter((v) => v !== null && Number.isFinite(v)))
  const max = Math.max(1e-9, ...values)
  const min = Math.min(0, ...values)
  const styles = getComputedStyle(document.documentElement)
  g.strokeStyle = styles.getPropertyValue('--line')
  g.beginPath()
  g.moveTo(0, height - 0.5)
  g.lineTo(width, height - 0.5)
  g.stroke()
  seriesList.forEach((series, index) => {
    g.strokeStyle = styles.getPropertyValue(`--c${index}`)
    g.lineWidth = 2
    g.beginPath()
    let started = false
    series.forEach((value, i) => {
      if (value === null || !Number.isFinite(value)) return
      // Newest point at the right edge, so a short history grows from the right.
      const x = width - ((series.length - 1 - i) / (historyLength - 1)) * width
      const y = height - 4 - ((value - min) / (max - min || 1)) * (height - 8)
      if (started) g.lineTo(x, y)
      else g.moveTo(x, y)
      started = true
    })
    g.stroke()
  })
  g.fillStyle = styles.getPropertyValue('--dim')
  g.font = '11px system-ui'
  g.fillText(max >= 10 ? max.toFixed(0) : max.toPrecision(2), 4, 12)
}

function render(s) {
  $('total').textContent = groupDigits(s.total)
  $('total').dataset.total = s.total
  $('applied').textContent = groupDigits(s.appliedEvents)
  $('applied').dataset.value = s.appliedEvents
  $('dead-letters').textContent = groupDigits(s.deadLetters)
  $('last-applied').textContent = ago(s.lastAppliedAt)
  $('adds-rate').textContent = rate(s.addsPerSecond)
  $('applied-rate').textContent = rate(s.appliedPerSecond)
  $('e2e-p50').textContent = seconds(s.endToEnd.p50)
  $('e2e-p90').textContent = seconds(s.endToEnd.p90)
  $('e2e-p99').textContent = seconds(s.endToEnd.p99)
  $('apply-p50').textContent = seconds(s.applyLatency.p50)
  $('apply-p99').textContent = seconds(s.applyLatency.p99)
  $('lag-offsets').textContent = s.lag === null ? 'n/a' : groupDigits(String(s.lag.offsets))
  $('lag-seconds').textContent = s.lag === null ? 'n/a' : seconds(s.lag.seconds)
  $('outbox-pending').textContent = s.outbox === null ? 'n/a' : groupDigits(String(s.outbox.pending))
  $('outbox-age').textContent = s.outbox === null ? 'n/a' : seconds(s.outbox.oldestAgeSeconds)
  // Which aggregator replica holds which partitions: "host-8080 0,2,4 · host-8180 1,3,5".
  $('owners').textContent =
    s.owners === null || s.owners === undefined
      ? 'n/a'
      : s.owners.length === 0
        ? 'none assigned (rebalancing?)'
        : s.owners.map((owner) => `${owner.replica} ${owner.partitions.join(',') || '–'}`).join(' · ')

  push(history.total, Number(s.total))
  push(history.adds, s.addsPerSecond)
  push(history.applied, s.appliedPerSecond)
  push(history.e2e50, s.endToEnd.p50)
  push(history.e2e99, s.endToEnd.p99)
  push(history.apply50, s.applyLatency.p50)
  push(history.apply99, s.applyLatency.p99)
  push(history.lag, s.lag === null ? null : s.lag.offsets)
  push(history.outbox, s.outbox === null ? null : s.outbox.pending)
  draw($('chart-total'), [history.total])
  draw($('chart-rate'), [history.adds, history.applied])
  draw($('chart-e2e'), [history.e2e50, history.e2e99])
  draw($('chart-apply'), [history.apply50, history.apply99])
  draw($('chart-backlog'), [history.lag, history.outbox])

  const rows = s.recent.map((e) => {
    const tr = document.createElement('tr')
    const cells = [
      e.seq,
      e.eventId,
      e.partition,
      e.offset,
      groupDigits(e.sum),
      seconds((Date.parse(e.appliedAt) - Date.parse(e.acceptedAt)) / 1000),
    ]
    cells.forEach((value, i) => {
      const td = document.createElement('td')
      td.textContent = String(value)
      if (i === 4) td.className = 'num'
      tr.append(td)
    })
    return tr
  })
  $('recent').replaceChildren(...rows)
  const status = $('status')
  status.dataset.state = 'live'
  status.dataset.snapshots = String(Number(status.dataset.snapshots ?? 0) + 1)
  status.textContent = `live · ${new Date(s.at).toLocaleTimeString()}`
}

function connect() {
  const source = new EventSource('/console/events')
  source.addEventListener('snapshot', (event) => render(JSON.parse(event.data)))
  source.onerror = () => {
    const status = $('status')
    status.dataset.state = 'lost'
    status.textContent = 'reconnecting…'
  }
}

connect()
